"""A loopback server for the providers' batch APIs, for tests and benchmarks.

Real HTTP on 127.0.0.1 from a background thread, speaking OpenAI's Files + Batches and
Anthropic's Message Batches as their API references describe them. Nothing here imports
playground (``settings()`` aside), so benchmarks can run it in another process too.

    with BatchServer() as srv:
        srv.write_config(tmp_path)         # providers lb-openai, lb-anthropic, lb-live
        ...                                # playground run ... --batch; batches collect
        srv.jobs["batch_..."].state

Routes (OpenAI under /v1, Anthropic under /v1/messages):

    POST /v1/files                       multipart: purpose=batch, file=JSONL (checked: each
                                         line has custom_id, method POST, url
                                         /v1/chat/completions, body.model, no stream; one
                                         model per file; custom_ids unique)
    DELETE /v1/files/{id}
    POST /v1/batches                     input_file_id, endpoint, completion_window 24h
    GET  /v1/batches/{id}                status: validating -> in_progress -> completed
    POST /v1/batches/{id}/cancel         -> cancelled (requests not yet run: batch_cancelled)
    GET  /v1/files/{id}/content          output / error file (JSONL, not in input order)
    POST /v1/messages/batches            {"requests": [{custom_id, params}]} (custom_id
                                         ^[a-zA-Z0-9_-]{1,64}$, unique; no stream)
    GET  /v1/messages/batches            list
    GET  /v1/messages/batches/{id}       processing_status in_progress -> ended
    POST /v1/messages/batches/{id}/cancel
    GET  /v1/messages/batches/{id}/results   JSONL
    POST /v1/chat/completions            a live (streamed) answer, for providers with
                                         batch = false

Keys: a request without the provider's key (``env()``) is refused with 401, except a
results file fetched from ``alt_base_url`` (another origin: ``results_elsewhere = True``
makes Anthropic's results_url point there), where every request is recorded so a test can
check that no key reached it.

A job ends at its ``polls_to_finish``-th retrieve (default 1; 0: only when ``finish(id)``
is called). Answers: ``"batch answer from <model>: <last user message>"`` with usage
input 7, output 5. Scripting, all optional:

    outcome(custom_id, body) -> "ok" | "error" | "expired" | "canceled"   per request
    expire_after = N     the job ends expired after N requests (the rest: expired)
    fail_next = [("upload" | "create" | "retrieve" | "results", status), ...]   one-shot
    truncate_results     the results file stops in the middle of its last line
    refuse_files         OpenAI: every input file fails validation (the job ends "failed")
    drop_results = {custom_id, ...}   left out of the results
    extra_results = [line dict, ...]  added to the results (unknown custom_ids)
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from .config import TomlSettings
from .server import QuietHTTPServer, print_last

KEY_ENV = {
    "lb-openai": "LB_OPENAI_KEY",
    "lb-anthropic": "LB_ANTHROPIC_KEY",
    "lb-live": "LB_LIVE_KEY",
}
KEYS = {name: f"test-batch-{name[3:]}-key" for name in KEY_ENV}
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ENDPOINT = "/v1/chat/completions"
_ids = itertools.count(1)


@dataclass
class Seen:
    """A request the server saw."""

    method: str
    path: str
    headers: dict[str, str]
    port: int
    size: int


@dataclass
class Job:
    id: str
    kind: str  # openai | anthropic
    requests: list[dict[str, Any]]  # {custom_id, model, body}
    state: str
    polls: int = 0
    created: float = field(default_factory=time.time)
    output: str | None = None  # file ids (OpenAI)
    errors: str | None = None
    problem: list[dict[str, Any]] | None = None  # OpenAI: why the input file was refused
    done: int = 0  # requests that ended (for the counts)


def _now_iso(ts: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts or time.time()))


class BatchServer(TomlSettings):
    """The server: start()/stop() or a context manager. Records are thread-safe enough for
    tests (appends under a lock)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.jobs: dict[str, Job] = {}
        self.seen: list[Seen] = []
        self.polls_to_finish = 1
        self.outcome: Callable[[str, dict[str, Any]], str] | None = None
        self.expire_after: int | None = None
        self.fail_next: list[tuple[str, int]] = []
        self.truncate_results = False
        self.drop_results: set[str] = set()
        self.extra_results: list[dict[str, Any]] = []
        self.results_elsewhere = False
        self.refuse_files = False
        self.lock = threading.Lock()
        self._servers: list[QuietHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self.port = self.alt_port = 0

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> BatchServer:
        for _ in range(2):  # the API, and another origin for results_elsewhere
            httpd = QuietHTTPServer(("127.0.0.1", 0), _Handler)
            httpd.owner = self  # type: ignore[attr-defined]
            thread = threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            self._servers.append(httpd)
            self._threads.append(thread)
        self.port = self._servers[0].server_address[1]
        self.alt_port = self._servers[1].server_address[1]
        return self

    def stop(self) -> None:
        for httpd in self._servers:
            httpd.shutdown()
            httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> BatchServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- config -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alt_base_url(self) -> str:
        return f"http://127.0.0.1:{self.alt_port}"

    @staticmethod
    def env() -> dict[str, str]:
        return {var: KEYS[name] for name, var in KEY_ENV.items()}

    def config_toml(self, extra: str = "", max_retries: int = 0) -> str:
        lines = []
        for name, kind, path, batch in (
            ("lb-openai", "openai", "/v1", True),
            ("lb-anthropic", "anthropic", "", True),
            ("lb-live", "openai", "/v1", False),
        ):
            lines += [
                f"[providers.{name}]",
                f'kind = "{kind}"',
                f'base_url = "{self.base_url}{path}"',
                f'api_key_env = "{KEY_ENV[name]}"',
                *([] if batch else ["batch = false"]),
                "",
            ]
        for model in ("lb-openai:gpt-a", "lb-openai:gpt-b", "lb-anthropic:claude-a", "lb-live:m"):
            lines += [
                f'[models."{model}"]',
                "price = {input_per_mtok = 2, output_per_mtok = 8}",
                "",
            ]
        lines += ["[defaults]", f"max_retries = {max_retries}", "temperatures = [0.0]", ""]
        return "\n".join(lines) + extra

    # -- scripting ----------------------------------------------------------------------------
    def finish(self, job_id: str) -> None:
        """End a job now (as if its last request ran)."""
        with self.lock:
            self._end(self.jobs[job_id])

    def requests_to(self, path_part: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if path_part in s.path]

    def _fail(self, route: str) -> int | None:
        with self.lock:
            for i, (name, status) in enumerate(self.fail_next):
                if name == route:
                    del self.fail_next[i]
                    return status
        return None

    # -- the jobs' lives ----------------------------------------------------------------------
    def _poll(self, job: Job) -> None:
        with self.lock:
            if job.state in ("completed", "expired", "cancelled", "failed", "ended"):
                return
            job.polls += 1
            if job.problem is not None:
                job.state = "failed"
            elif self.polls_to_finish and job.polls >= self.polls_to_finish:
                self._end(job)
            else:  # part way: a share of the requests done, never all of them
                job.state = "in_progress"
                if self.polls_to_finish:
                    share = len(job.requests) * job.polls // self.polls_to_finish
                    job.done = min(len(job.requests) - 1, share)

    def _end(self, job: Job, cancelled: bool = False) -> None:
        """Run the requests: results (and an error file) ready to download."""
        expired = False
        outputs: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for i, req in enumerate(job.requests):
            what = self.outcome(req["custom_id"], req["body"]) if self.outcome else "ok"
            if self.expire_after is not None and i >= self.expire_after:
                what, expired = "expired", True
            if cancelled and i >= job.done:
                what = "canceled"
            line = (_openai_line if job.kind == "openai" else _anthropic_line)(req, what)
            (outputs if job.kind == "anthropic" or what == "ok" else errors).append(line)
        outputs.reverse()  # results are not in input order
        outputs += self.extra_results
        body = "".join(
            json.dumps(line) + "\n"
            for line in outputs
            if line["custom_id"] not in self.drop_results
        )
        if self.truncate_results and body:
            body = body[: len(body) - len(json.dumps(outputs[-1])) // 2]
        job.done = len(job.requests)
        if job.kind == "openai":
            job.output = f"file-out-{next(_ids)}"
            self.files[job.output] = body.encode()
            if errors:
                job.errors = f"file-err-{next(_ids)}"
                self.files[job.errors] = "".join(json.dumps(e) + "\n" for e in errors).encode()
            job.state = "cancelled" if cancelled else "expired" if expired else "completed"
        else:
            self.files[job.id] = body.encode()
            job.state = "ended"

    def openai_job(self, job: Job) -> dict[str, Any]:
        ok = errors = 0
        if job.output is not None:
            ok = self.files[job.output].count(b"\n")
            errors = self.files[job.errors].count(b"\n") if job.errors else 0
        else:
            ok = job.done
        return {
            "id": job.id,
            "object": "batch",
            "endpoint": ENDPOINT,
            "errors": {"object": "list", "data": job.problem} if job.problem else None,
            "input_file_id": f"file-in-{job.id}",
            "completion_window": "24h",
            "status": job.state,
            "output_file_id": job.output,
            "error_file_id": job.errors,
            "created_at": int(job.created),
            "request_counts": {"total": len(job.requests), "completed": ok, "failed": errors},
            "metadata": {},
        }

    def anthropic_job(self, job: Job) -> dict[str, Any]:
        ended = job.state == "ended"
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            for line in self.files[job.id].decode().splitlines():
                with contextlib.suppress(ValueError, KeyError):
                    counts[json.loads(line)["result"]["type"]] += 1
        else:
            counts["processing"] = len(job.requests) - job.done
            counts["succeeded"] = job.done
        base = self.alt_base_url if self.results_elsewhere else self.base_url
        return {
            "id": job.id,
            "type": "message_batch",
            "processing_status": job.state,
            "request_counts": counts,
            "created_at": _now_iso(job.created),
            "expires_at": _now_iso(job.created + 86400),
            "ended_at": _now_iso() if ended else None,
            "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": f"{base}/v1/messages/batches/{job.id}/results" if ended else None,
        }


def _answer(req: dict[str, Any]) -> str:
    body = req["body"]
    messages = body.get("messages") or []
    last = messages[-1]["content"] if messages else ""
    return f"batch answer from {body.get('model')}: {last}"


def _openai_line(req: dict[str, Any], what: str) -> dict[str, Any]:
    cid = req["custom_id"]
    if what == "ok":
        body = {
            "id": f"chatcmpl-{cid}",
            "object": "chat.completion",
            "model": req["body"].get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": _answer(req)},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12},
        }
        return {
            "id": f"batch_req_{cid}",
            "custom_id": cid,
            "response": {"status_code": 200, "request_id": f"req_{cid}", "body": body},
            "error": None,
        }
    if what == "error":
        err = {
            "error": {"message": "The model is overloaded", "type": "server_error", "code": None}
        }
        return {
            "id": f"batch_req_{cid}",
            "custom_id": cid,
            "response": {"status_code": 500, "request_id": f"req_{cid}", "body": err},
            "error": None,
        }
    code = {"expired": "batch_expired", "canceled": "batch_cancelled"}[what]
    message = {
        "expired": "This request could not be executed before the completion window expired.",
        "canceled": "This request was not executed because the batch was cancelled.",
    }[what]
    return {
        "id": f"batch_req_{cid}",
        "custom_id": cid,
        "response": None,
        "error": {"code": code, "message": message},
    }


def _anthropic_line(req: dict[str, Any], what: str) -> dict[str, Any]:
    cid = req["custom_id"]
    if what == "ok":
        message = {
            "id": f"msg_{cid}",
            "type": "message",
            "role": "assistant",
            "model": req["body"].get("model"),
            "content": [{"type": "text", "text": _answer(req)}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 7, "output_tokens": 5},
        }
        return {"custom_id": cid, "result": {"type": "succeeded", "message": message}}
    if what == "error":
        err = {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "message": "max_tokens: too large for this model",
            },
        }
        return {"custom_id": cid, "result": {"type": "errored", "error": err}}
    return {"custom_id": cid, "result": {"type": what}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    @property
    def owner(self) -> BatchServer:
        return self.server.owner  # type: ignore[attr-defined,no-any-return]

    def _send(
        self,
        status: int,
        obj: Any = None,
        raw: bytes | None = None,
        ctype: str = "application/json",
    ) -> None:
        data = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _error(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        self._send(status, {"type": "error", "error": {"type": kind, "message": message}})

    def _serve(self, method: str) -> None:
        srv = self.owner
        path = urlsplit(self.path).path
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        port = self.server.server_address[1]
        with srv.lock:
            srv.seen.append(Seen(method, path, headers, port, len(raw)))
        if port == srv.alt_port:  # another origin: results only, and no key expected
            m = re.fullmatch(r"/v1/messages/batches/([^/]+)/results", path)
            if m and m.group(1) in srv.files:
                self._send(200, raw=srv.files[m.group(1)], ctype="application/binary")
            else:
                self._error(404, "not found", "not_found_error")
            return
        anthropic = path.startswith("/v1/messages")
        name = "lb-anthropic" if anthropic else None
        key = (
            headers.get("x-api-key")
            if anthropic
            else headers.get("authorization", "").removeprefix("Bearer ")
        )
        if (anthropic and key != KEYS["lb-anthropic"]) or (
            not anthropic and key not in (KEYS["lb-openai"], KEYS["lb-live"])
        ):
            self._error(401, f"invalid x-api-key ({name or 'openai'})", "authentication_error")
            return
        try:
            if anthropic:
                self._anthropic(method, path, raw)
            else:
                self._openai(method, path, raw)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- OpenAI ---------------------------------------------------------------------------------
    def _openai(self, method: str, path: str, raw: bytes) -> None:
        srv = self.owner
        if method == "POST" and path == "/v1/files":
            if (status := srv._fail("upload")) is not None:
                self._error(status, "upload failed", "server_error")
                return
            form = self._multipart(raw)
            if form.get("purpose") != b"batch" or "file" not in form:
                self._error(400, "purpose must be batch, with a file")
                return
            file_id = f"file-in-{next(_ids)}"
            with srv.lock:
                srv.files[file_id] = form["file"]
            self._send(
                200,
                {
                    "id": file_id,
                    "object": "file",
                    "bytes": len(form["file"]),
                    "purpose": "batch",
                    "filename": "playground-batch.jsonl",
                    "created_at": int(time.time()),
                    "status": "processed",
                },
            )
        elif method == "DELETE" and (m := re.fullmatch(r"/v1/files/([^/]+)", path)):
            with srv.lock:
                srv.files.pop(m.group(1), None)
            self._send(200, {"id": m.group(1), "object": "file", "deleted": True})
        elif method == "POST" and path == "/v1/batches":
            if (status := srv._fail("create")) is not None:
                self._error(status, "create failed", "server_error")
                return
            body = json.loads(raw)
            data = srv.files.get(body.get("input_file_id", ""))
            if (
                data is None
                or body.get("endpoint") != ENDPOINT
                or body.get("completion_window") != "24h"
            ):
                self._error(400, "bad input_file_id, endpoint or completion_window")
                return
            requests, problem = _read_openai_file(data)
            if srv.refuse_files:
                problem = [{"code": "invalid_request", "message": "line 1 is refused", "line": 1}]
            job = Job(
                id=f"batch_{next(_ids)}",
                kind="openai",
                requests=requests,
                state="validating",
                problem=problem,
            )
            with srv.lock:
                srv.jobs[job.id] = job
            self._send(200, srv.openai_job(job))
        elif method == "GET" and (m := re.fullmatch(r"/v1/batches/([^/]+)", path)):
            if (status := srv._fail("retrieve")) is not None:
                self._error(status, "retrieve failed", "server_error")
                return
            job = srv.jobs.get(m.group(1))
            if job is None:
                self._error(404, "no such batch")
                return
            srv._poll(job)
            self._send(200, srv.openai_job(job))
        elif method == "POST" and (m := re.fullmatch(r"/v1/batches/([^/]+)/cancel", path)):
            job = srv.jobs.get(m.group(1))
            if job is None:
                self._error(404, "no such batch")
                return
            with srv.lock:
                if job.state in ("validating", "in_progress"):
                    srv._end(job, cancelled=True)
            self._send(200, srv.openai_job(job))
        elif method == "GET" and (m := re.fullmatch(r"/v1/files/([^/]+)/content", path)):
            if (status := srv._fail("results")) is not None:
                self._error(status, "download failed", "server_error")
                return
            data = srv.files.get(m.group(1))
            if data is None:
                self._error(404, "no such file")
            else:
                self._send(200, raw=data, ctype="application/octet-stream")
        elif method == "POST" and path == ENDPOINT:  # live, for batch = false providers
            self._live(json.loads(raw))
        else:
            self._error(404, f"no route for {method} {path}")

    def _live(self, body: dict[str, Any]) -> None:
        text = _answer({"body": body}).replace("batch answer", "live answer")
        frames = [
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": text},
                        "finish_reason": None,
                    }
                ]
            },
            {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 5}},
        ]
        data = "".join(f"data: {json.dumps(f)}\n\n" for f in frames) + "data: [DONE]\n\n"
        self._send(200, raw=data.encode(), ctype="text/event-stream")

    def _multipart(self, raw: bytes) -> dict[str, bytes]:
        head = f"Content-Type: {self.headers.get('content-type')}\r\n\r\n".encode()
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
        out: dict[str, bytes] = {}
        for part in msg.iter_parts():  # type: ignore[attr-defined]
            name = part.get_param("name", header="content-disposition")
            out[name] = part.get_payload(decode=True)
        return out

    # -- Anthropic ------------------------------------------------------------------------------
    def _anthropic(self, method: str, path: str, raw: bytes) -> None:
        srv = self.owner
        if method == "POST" and path == "/v1/messages/batches":
            if (status := srv._fail("create")) is not None:
                self._error(status, "create failed", "api_error")
                return
            body = json.loads(raw)
            requests = []
            ids: set[str] = set()
            for item in body.get("requests") or []:
                cid = item.get("custom_id", "")
                params = item.get("params") or {}
                if not CUSTOM_ID.match(cid) or cid in ids:
                    self._error(400, f"requests: custom_id {cid!r} is invalid or repeated")
                    return
                if "stream" in params or not params.get("model") or not params.get("max_tokens"):
                    self._error(400, f"requests.{cid}.params: model and max_tokens, no stream")
                    return
                ids.add(cid)
                requests.append({"custom_id": cid, "model": params["model"], "body": params})
            if not requests:
                self._error(400, "requests: at least one")
                return
            job = Job(
                id=f"msgbatch_{next(_ids):06d}",
                kind="anthropic",
                requests=requests,
                state="in_progress",
            )
            with srv.lock:
                srv.jobs[job.id] = job
            self._send(200, srv.anthropic_job(job))
        elif method == "GET" and path == "/v1/messages/batches":
            data = [srv.anthropic_job(j) for j in srv.jobs.values() if j.kind == "anthropic"]
            self._send(200, {"data": data, "has_more": False, "first_id": None, "last_id": None})
        elif method == "GET" and (m := re.fullmatch(r"/v1/messages/batches/([^/]+)", path)):
            if (status := srv._fail("retrieve")) is not None:
                self._error(status, "retrieve failed", "api_error")
                return
            job = srv.jobs.get(m.group(1))
            if job is None:
                self._error(404, "no such batch", "not_found_error")
                return
            srv._poll(job)
            self._send(200, srv.anthropic_job(job))
        elif method == "POST" and (m := re.fullmatch(r"/v1/messages/batches/([^/]+)/cancel", path)):
            job = srv.jobs.get(m.group(1))
            if job is None:
                self._error(404, "no such batch", "not_found_error")
                return
            with srv.lock:
                if job.state == "in_progress":
                    srv._end(job, cancelled=True)
            self._send(200, srv.anthropic_job(job))
        elif method == "GET" and (m := re.fullmatch(r"/v1/messages/batches/([^/]+)/results", path)):
            if (status := srv._fail("results")) is not None:
                self._error(status, "download failed", "api_error")
                return
            data = srv.files.get(m.group(1))
            if data is None:
                self._error(404, "results not ready", "not_found_error")
            else:
                self._send(200, raw=data, ctype="application/binary")
        else:
            self._error(404, f"no route for {method} {path}", "not_found_error")


def _read_openai_file(data: bytes) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """The requests of an input file, or why the API would refuse it (as `errors.data`)."""
    requests: list[dict[str, Any]] = []
    models: set[str] = set()
    ids: set[str] = set()
    for n, line in enumerate(data.decode().splitlines(), 1):
        try:
            obj = json.loads(line)
        except ValueError:
            return [], [
                {"code": "invalid_json_line", "message": f"line {n} is not JSON", "line": n}
            ]
        body = obj.get("body") or {}
        cid = obj.get("custom_id")
        if (
            not isinstance(cid, str)
            or cid in ids
            or obj.get("method") != "POST"
            or obj.get("url") != ENDPOINT
            or not body.get("model")
            or "stream" in body
        ):
            return [], [
                {
                    "code": "invalid_request",
                    "message": f"line {n} is not a valid request",
                    "line": n,
                }
            ]
        ids.add(cid)
        models.add(body["model"])
        requests.append({"custom_id": cid, "model": body["model"], "body": body})
    if len(models) > 1:
        return requests, [
            {"code": "mismatched_model", "message": "one model per batch file", "line": None}
        ]
    return requests, None


def main(argv: list[str] | None = None) -> int:
    """Standalone: prints ``PORT <n>``, serves until stdin closes, then prints how many jobs
    and requests it took as one JSON line."""
    import sys

    del argv
    srv = BatchServer().start()
    print(f"PORT {srv.port}", flush=True)
    sys.stdin.read()
    srv.stop()
    requests = sum(len(j.requests) for j in srv.jobs.values())
    print_last(json.dumps({"jobs": len(srv.jobs), "requests": requests}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
