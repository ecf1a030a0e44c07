"""Anthropic's Message Batches: the requests inline in one POST; results from results_url."""

from __future__ import annotations

import json
from typing import Any

from playground.core.batch import limits
from playground.core.batch.api import BatchAPI, JobStatus, Outcome, error_text, loads, spool
from playground.core.providers.base import ChatRequest

REASONS = {
    "canceled": "canceled: the batch was canceled before this request ran",
    "expired": "expired: the batch ended (24 h) before this request ran",
}


class AnthropicBatches(BatchAPI):
    kind = "anthropic"
    limits = limits.ANTHROPIC
    overhead = 1  # the comma between requests

    def encode(self, custom_id: str, request: ChatRequest) -> bytes:
        head = json.dumps({"custom_id": custom_id})[:-1].encode()
        return head + b',"params":' + self.params_json(request) + b"}"

    async def submit(self, group: list[tuple[str, bytes]], metadata: dict[str, str]) -> JobStatus:
        # the body is made of the encoded requests as they are (no second encoding)
        with spool(group, b",", b'{"requests":[', b"]}") as fh:
            job = await self.http.request("POST", f"{self.base}/v1/messages/batches", content=fh)
        return self._status(job)

    async def retrieve(self, job_id: str) -> JobStatus:
        return self._status(
            await self.http.request("GET", f"{self.base}/v1/messages/batches/{job_id}")
        )

    async def cancel(self, job_id: str) -> JobStatus:
        return self._status(
            await self.http.request("POST", f"{self.base}/v1/messages/batches/{job_id}/cancel")
        )

    def result_urls(self, status: JobStatus) -> list[str]:
        if status.results_url:
            return [status.results_url]
        return [f"{self.base}/v1/messages/batches/{status.job_id}/results"] if status.done else []

    @staticmethod
    def _status(job: dict[str, Any]) -> JobStatus:
        state = str(job.get("processing_status") or "unknown")
        counts = {k: int(v or 0) for k, v in (job.get("request_counts") or {}).items()}
        finished = sum(v for k, v in counts.items() if k != "processing")
        return JobStatus(
            job_id=str(job.get("id") or ""),
            state=state,
            done=state == "ended",
            counts=counts,
            total=finished + counts.get("processing", 0),
            finished=finished,
            results_url=job.get("results_url"),
        )

    def parse(self, line: bytes) -> tuple[str, Outcome]:
        obj = loads(line)
        custom_id = obj["custom_id"]
        result = obj.get("result") or {}
        kind = result.get("type")
        if kind == "succeeded":
            message = result.get("message") or {}
            blocks = message.get("content") or []
            usage = message.get("usage") or {}
            cache_read = usage.get("cache_read_input_tokens") or 0
            cache_write = usage.get("cache_creation_input_tokens") or 0
            inp = usage.get("input_tokens")
            return custom_id, Outcome(
                ok=True,
                output="".join(b.get("text", "") for b in blocks if b.get("type") == "text"),
                reasoning="".join(
                    b.get("thinking", "") for b in blocks if b.get("type") == "thinking"
                ),
                finish_reason=message.get("stop_reason"),
                input_tokens=None if inp is None else inp + cache_read + cache_write,
                output_tokens=usage.get("output_tokens"),
                cached_input_tokens=cache_read,
                cache_write_tokens=cache_write,
            )
        if kind == "errored":
            return custom_id, Outcome(ok=False, error=error_text(result.get("error")))
        return custom_id, Outcome(ok=False, error=REASONS.get(str(kind), f"{kind}: no result"))
