"""The conversation history a run is given: run-time data, placed where Dotprompt places it
(``{{history}}``, else before the last user message), never written to the prompt file.

Typed as turns, one ``role:`` line starting each (``user:``, ``assistant:`` or ``model:``,
``system:``; later lines continue the turn), or pasted as the JSON list ``run --history``
reads.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from textual.message import Message as TextualMessage
from textual.widgets import Collapsible, TextArea

if TYPE_CHECKING:  # the template engine loads after the first frame
    from playground.core.template import Message

_TURN = re.compile(r"^(system|user|assistant|model|tool):[ \t]?(.*)$")


class HistoryError(ValueError):
    """The history cannot be read; one line saying where."""


def parse_history(text: str) -> list[Message]:
    """Turns from the pane's text (``role: text`` lines, or a JSON list of {role, content})."""
    if not text.strip():  # the usual case, at start-up: no need to load the template module
        return []
    from playground.core.template import HISTORY_ROLES, Message, TemplateError, history_messages

    if text.lstrip().startswith("["):
        try:
            return history_messages(json.loads(text))
        except json.JSONDecodeError as exc:
            raise HistoryError(f"history: not JSON: {exc.msg} (line {exc.lineno})") from None
        except TemplateError as exc:
            raise HistoryError(f"history: {exc}") from None
    turns: list[list[str]] = []
    for number, line in enumerate(text.split("\n"), 1):
        match = _TURN.match(line)
        if match:
            turns.append([match.group(1), match.group(2)])
        elif turns:
            turns[-1][1] += "\n" + line
        elif line.strip():
            raise HistoryError(
                f"history line {number}: start each turn with user: or assistant: (or model:)"
            )
    return [Message(HISTORY_ROLES[role], content.rstrip("\n")) for role, content in turns]


def _title_for(text: str) -> str:
    try:
        count = len(parse_history(text))
    except HistoryError:
        return "History (cannot be read)"
    return f"History ({count} turn{'s' if count != 1 else ''})" if count else "History (none)"


def format_history(messages: list[Message]) -> str:
    return "\n".join(f"{m.role}: {m.content}" for m in messages)


_USES_HISTORY = re.compile(r"\{\{~?\s*history\b")


def uses_history(text: str) -> bool:
    """True when a prompt file's body places the history itself (``{{history}}``)."""
    return _USES_HISTORY.search(text) is not None


class HistoryPane(Collapsible):
    """Hidden until a prompt wants history (``reveal``); its title says how many turns a run
    will be given."""

    DEFAULT_CSS = """
    HistoryPane { display: none; height: auto; border-top: none; padding: 0; margin: 0; }
    HistoryPane.-shown { display: block; }
    HistoryPane > Contents { padding: 0 0 0 1; }
    HistoryPane TextArea { height: 6; border: none; background: $boost; }
    HistoryPane TextArea:focus { border: none; background: $primary 20%; }
    HistoryPane.-invalid CollapsibleTitle { color: $error; }
    """

    class Changed(TextualMessage):
        """The history text changed."""

    def __init__(self, text: str = "", **kw: Any) -> None:
        self._area = TextArea(text, id="history-text", soft_wrap=True)
        super().__init__(self._area, title=_title_for(text), collapsed=not text, **kw)

    @property
    def text(self) -> str:
        return self._area.text

    def messages(self) -> list[Message]:
        """The turns; HistoryError with one line when they cannot be read."""
        return parse_history(self._area.text)

    def set_messages(self, messages: list[Message]) -> None:
        with self._area.prevent(TextArea.Changed):
            self._area.load_text(format_history(messages))
        self._retitle()
        if messages:
            self.reveal()

    def reveal(self, open_it: bool = False) -> None:
        """Show the pane (and, with ``open_it``, expand it)."""
        self.add_class("-shown")
        if open_it:
            self.collapsed = False

    def _retitle(self) -> None:
        self.title = _title_for(self._area.text)
        self.set_class(self.title.endswith("(cannot be read)"), "-invalid")

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()  # not an edit of the prompt
        self._retitle()
        self.post_message(self.Changed())
