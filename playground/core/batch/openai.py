"""OpenAI's Batch API: a JSONL input file (one model) uploaded to /files, then /batches."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from playground.core.batch import limits
from playground.core.batch.api import BatchAPI, JobStatus, Outcome, error_text, loads, spool
from playground.core.providers.base import ChatRequest

ENDPOINT = "/v1/chat/completions"
DONE = frozenset({"completed", "failed", "expired", "cancelled"})


class OpenAIBatches(BatchAPI):
    kind = "openai"
    limits = limits.OPENAI
    one_model_per_job = True

    def encode(self, custom_id: str, request: ChatRequest) -> bytes:
        head = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT}
        return json.dumps(head)[:-1].encode() + b',"body":' + self.params_json(request) + b"}"

    async def submit(self, group: list[tuple[str, bytes]], metadata: dict[str, str]) -> JobStatus:
        with spool(group, b"\n", tail=b"\n") as fh:

            def files() -> dict[str, Any]:
                fh.seek(0)
                return {"file": ("playground-batch.jsonl", fh, "application/jsonl")}

            uploaded = await self.http.request(
                "POST", f"{self.base}/files", files=files, data={"purpose": "batch"}
            )
        file_id = str(uploaded.get("id") or "")
        if not file_id:
            from playground.core.providers.base import ProviderError

            raise ProviderError("the file upload answered without a file id")
        try:
            job = await self.http.request(
                "POST",
                f"{self.base}/batches",
                json={
                    "input_file_id": file_id,
                    "endpoint": ENDPOINT,
                    "completion_window": "24h",
                    "metadata": metadata,
                },
            )
        except Exception:
            with contextlib.suppress(Exception):  # leave nothing behind at the provider either
                await self.http.request("DELETE", f"{self.base}/files/{file_id}")
            raise
        status = self._status(job)
        status.input_file_id = status.input_file_id or file_id
        return status

    async def retrieve(self, job_id: str) -> JobStatus:
        return self._status(await self.http.request("GET", f"{self.base}/batches/{job_id}"))

    async def cancel(self, job_id: str) -> JobStatus:
        return self._status(await self.http.request("POST", f"{self.base}/batches/{job_id}/cancel"))

    def result_urls(self, status: JobStatus) -> list[str]:
        return [
            f"{self.base}/files/{file_id}/content"
            for file_id in (status.output_file_id, status.error_file_id)
            if file_id
        ]

    @staticmethod
    def _status(job: dict[str, Any]) -> JobStatus:
        state = str(job.get("status") or "unknown")
        counts = {k: int(v or 0) for k, v in (job.get("request_counts") or {}).items()}
        problem = None
        errors = (
            (job.get("errors") or {}).get("data") if isinstance(job.get("errors"), dict) else None
        )
        if errors:
            problem = "; ".join(error_text(e) for e in errors[:3])
        return JobStatus(
            job_id=str(job.get("id") or ""),
            state=state,
            done=state in DONE,
            counts=counts,
            total=counts.get("total", 0),
            finished=counts.get("completed", 0) + counts.get("failed", 0),
            input_file_id=job.get("input_file_id"),
            output_file_id=job.get("output_file_id"),
            error_file_id=job.get("error_file_id"),
            problem=problem,
        )

    def parse(self, line: bytes) -> tuple[str, Outcome]:
        obj = loads(line)
        custom_id = obj["custom_id"]
        response = obj.get("response")
        if isinstance(response, dict) and response.get("status_code") == 200:
            body = response.get("body") or {}
            choice = (body.get("choices") or [{}])[0]
            message = choice.get("message") or {}
            usage = body.get("usage") or {}
            details = usage.get("prompt_tokens_details") or {}
            return custom_id, Outcome(
                ok=True,
                output=message.get("content") or "",
                reasoning=message.get("reasoning_content") or message.get("reasoning") or "",
                finish_reason=choice.get("finish_reason"),
                input_tokens=usage.get("prompt_tokens"),
                output_tokens=usage.get("completion_tokens"),
                cached_input_tokens=details.get("cached_tokens") or 0,
            )
        if isinstance(response, dict):
            status = response.get("status_code")
            return custom_id, Outcome(
                ok=False, error=f"HTTP {status}: {error_text(response.get('body'))}"
            )
        return custom_id, Outcome(ok=False, error=error_text(obj.get("error")))
