"""The exact request a cell sent and the raw response it got, with anything key-like redacted.

The runner already records requests without headers, so redaction here is a second line of
defence: a provider adapter that one day puts a key in a body or URL must still not show it.
"""

from __future__ import annotations

import json
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane, TextArea

from playground.core.model import CellResult
from playground.core.secrets import redact, redact_text
from playground.render.figures import result_label


def request_text(result: CellResult) -> str:
    """The request as sent: provider, URL, then the JSON body (headers never shown)."""
    request = dict(result.request or {})
    if not request:
        return "(no request recorded: the cell failed before anything was sent)"
    request.pop("headers", None)
    request = redact(request)
    lines = []
    if "provider" in request:
        lines.append(f"provider: {request.pop('provider')}")
    if "url" in request:
        lines.append(f"POST {request.pop('url')}")
    body = request.pop("body", None)
    for k, v in request.items():
        lines.append(f"{k}: {json.dumps(v, ensure_ascii=False)}")
    if body is not None:
        lines.append("")
        lines.append(json.dumps(body, indent=2, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def raw_response_text(result: CellResult) -> str:
    """The response as it came over the wire: status line, headers, the streamed body."""
    if result.raw_response:
        return redact_text(result.raw_response)
    if result.cached:
        return "(answered from the store: no call was made)\n"
    provider = (result.request or {}).get("provider")
    if provider == "echo" or result.cell.model == "echo":
        return "(echo answers offline: there is no HTTP response)\n"
    return "(no response recorded: nothing came back, or the run predates raw responses)\n"


def _fmt_ms(ms: float | None) -> str:
    return "—" if ms is None else f"{ms:,.0f} ms"


def response_text(result: CellResult) -> str:
    """Everything the cell got back: status, finish, usage, timings, error, output, reasoning."""
    r = result
    mark = " (estimated)" if r.usage_source == "estimate" else ""
    tps = r.tokens_per_s
    cost = "unpriced" if r.cost_usd is None else f"${r.cost_usd:.6f}"
    lines = [
        f"status: {r.status}    finish: {r.finish_reason or '—'}    attempts: {r.attempts}",
        f"model: {r.model_used or r.cell.model}"
        + (f"    fallback: {r.fallback_used}" if r.fallback_used else "")
        + ("    answered from cache" if r.cached else ""),
        f"usage{mark}: input {_n(r.input_tokens)}"
        + (f" (cached {r.cached_input_tokens})" if r.cached_input_tokens else "")
        + f" · output {_n(r.output_tokens)} · cost {cost}",
        f"timings: first token {_fmt_ms(r.ttft_ms)} · total {_fmt_ms(r.latency_ms)}"
        + (f" · {tps:.1f} tokens/s" if tps else ""),
    ]
    if r.error:
        lines.append(f"error: {r.error}")
    lines += ["", "── output ──", r.output or "(empty)"]
    if r.reasoning:
        lines += ["", "── reasoning ──", r.reasoning]
    return redact_text("\n".join(lines)) + "\n"


def _n(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


class InspectScreen(Screen[None]):
    """Two tabs, each read-only and selectable; c copies the visible one."""

    DEFAULT_CSS = """
    InspectScreen {
        background: $background;
    }
    InspectScreen #inspect-title {
        height: 1;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    InspectScreen #inspect-tabs {
        height: 1fr;
    }
    InspectScreen TabPane {
        height: 1fr;
        padding: 0;
    }
    InspectScreen TextArea {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("c", "copy", "Copy tab"),
        Binding("1", "show('inspect-request')", "Request"),
        Binding("2", "show('inspect-response')", "Response"),
        Binding("3", "show('inspect-raw')", "Raw"),
    ]

    def __init__(self, result: CellResult) -> None:
        super().__init__()
        self.result = result
        self.texts = {
            "inspect-request": request_text(result),
            "inspect-response": response_text(result),
            "inspect-raw": raw_response_text(result),
        }

    def compose(self) -> ComposeResult:
        yield Static(
            Content(f"Inspect: {result_label(self.result)}"), id="inspect-title", markup=False
        )
        with TabbedContent(id="inspect-tabs"):
            for pane_id, title in (
                ("inspect-request", "Request"),
                ("inspect-response", "Response"),
                ("inspect-raw", "Raw response"),
            ):
                with TabPane(title, id=pane_id):
                    yield TextArea(
                        self.texts[pane_id],
                        read_only=True,
                        soft_wrap=True,
                        show_line_numbers=False,
                        id=f"{pane_id}-text",
                    )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#inspect-request-text", TextArea).focus()

    def action_show(self, pane_id: str) -> None:
        self.query_one(TabbedContent).active = pane_id
        self.query_one(f"#{pane_id}-text", TextArea).focus()

    def action_copy(self) -> None:
        active = self.query_one(TabbedContent).active or "inspect-request"
        area = self.query_one(f"#{active}-text", TextArea)
        text = area.selected_text or self.texts[active]
        self.app.copy_to_clipboard(text)
        what = "selection" if area.selected_text else active.removeprefix("inspect-")
        self.notify(f"copied the {what} ({len(text):,} characters)", timeout=2)

    def action_close(self) -> None:
        self.dismiss(None)
