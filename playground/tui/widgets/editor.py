"""The prompt editor: system and user messages, then any turns after the user message
(few-shot examples, an assistant prefill), with cheap template highlighting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message as TextualMessage
from textual.widgets import Label

from playground.tui.widgets.template_area import TemplateArea

if TYPE_CHECKING:
    from playground.tui.widgets.turns import Turn, TurnArea


class PromptEditor(Vertical):
    """System above user; the user message takes the room. Turns after it (few-shot
    examples, a prefill) are added with Ctrl+T, each as tall as its text."""

    DEFAULT_CSS = """
    PromptEditor { height: 1fr; }
    PromptEditor > Label { color: $text-muted; padding: 0 1; height: 1; }
    PromptEditor > #system, PromptEditor > #system-stand-in { height: 3; max-height: 25%; }
    PromptEditor > #system-stand-in {
        padding: 0 1; border-left: outer $panel; background: $boost; color: $text 40%;
    }
    PromptEditor > #turns { height: auto; max-height: 60%; overflow-y: auto; }
    PromptEditor > #turns.-empty { display: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "add_turn", "Add turn", show=False),
    ]

    class TurnsChanged(TextualMessage):
        """A turn was added, removed or changed role."""

    def __init__(
        self,
        system: str = "",
        user: str = "",
        turns: Sequence[tuple[str, str]] = (),
        *,
        stand_in: bool = False,
        **kw: object,
    ) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        # held, not queried: the texts stay readable while the screen unmounts (its draft is
        # saved then, after the children are gone)
        self._system_area = TemplateArea(system, id="system", placeholder="optional system message")
        self._user_area = TemplateArea(
            user, id="user", placeholder="Write the prompt; {{name}} makes a variable"
        )
        # an empty system message is drawn by a stand-in in the first frame (its placeholder
        # in a Static: a TextArea costs that frame ~20 M instructions more, ~2%); the area
        # replaces it just after, or at first use (system_area)
        self._stand_in = stand_in and not system
        self._numbered = 0
        self._turns: list[Turn] = [self._new_turn(role, text) for role, text in turns]
        # scrolls when the turns do not fit, but takes no focus: Tab goes from turn to turn;
        # mounted with the first turn (a start without turns does without it)
        self._turns_box: Vertical | None = (
            Vertical(*self._turns, id="turns") if self._turns else None
        )

    def compose(self) -> ComposeResult:
        yield Label("System", id="system-label")
        if self._stand_in:
            from textual.widgets import Static

            yield Static(self._system_area.placeholder, id="system-stand-in", markup=False)
        else:
            yield self._system_area
        yield Label("User  (ctrl+r runs)", id="user-label")
        yield self._user_area
        if self._turns_box is not None:
            yield self._turns_box

    def on_mount(self) -> None:
        self._relabel()
        if self._stand_in:
            self.call_after_refresh(self._mount_system)

    def _mount_system(self) -> None:
        """The system message's area in place of its stand-in (once)."""
        if not self._stand_in:
            return
        self._stand_in = False
        stand_in = self.query_one("#system-stand-in")
        with self.app.batch_update():
            self.mount(self._system_area, before=stand_in)
            stand_in.remove()

    @property
    def turns_box(self) -> Vertical:
        """The turns' box under the user message, mounted when the first turn comes."""
        if self._turns_box is None:
            self._turns_box = Vertical(id="turns")
            self.mount(self._turns_box, after=self._user_area)
        return self._turns_box

    @property
    def system_area(self) -> TemplateArea:
        """Mounted if it was not yet (the first frame's stand-in is then replaced now)."""
        if self._stand_in and self.is_attached:
            self._mount_system()
        return self._system_area

    @property
    def user_area(self) -> TemplateArea:
        return self._user_area

    @property
    def system(self) -> str:
        return self._system_area.text  # readable before the area mounts

    @property
    def user(self) -> str:
        return self.user_area.text

    @property
    def turns(self) -> list[tuple[str, str]]:
        """The turns after the first user message, in order: ``(role, text)``."""
        return [(t.role, t.area.text) for t in self._turns]

    @property
    def turn_areas(self) -> list[TurnArea]:
        return [t.area for t in self._turns]

    def rows_wanted(self) -> int:
        """Rows the turns would take beyond those they have now (the form grows by these)."""
        if not self._turns:
            return 0
        want = sum(1 + min(8, max(1, t.area.wrapped_document.height)) for t in self._turns)
        squeezed = max(0, want - self.turns_box.size.height)
        shown = sum(w.outer_size.height for w in self.children if w.display)
        return squeezed + max(0, shown - self.size.height)  # and what overflows the editor

    def texts(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        """Everything typed, comparable: system, user and the turns."""
        return self.system, self.user, tuple(self.turns)

    def set_texts(self, system: str, user: str, turns: Sequence[tuple[str, str]] = ()) -> None:
        """Replace the messages (loading a file or a past run); system and user as one edit
        each, so Ctrl+Z brings back what was there; the cursor goes to the end of the text."""
        self.system_area.set_text(system)
        self.user_area.set_text(user)
        if list(turns) != self.turns:
            for turn in self._turns:
                turn.remove()
            self._turns = [self._new_turn(role, text) for role, text in turns]
            if self._turns:
                self.turns_box.mount_all(self._turns)
            self._turns_changed(quiet=True)

    # -- turns ------------------------------------------------------------------------------
    def _new_turn(self, role: str, text: str) -> Turn:
        from playground.tui.widgets.turns import Turn  # with the first turn: most prompts have none

        self._numbered += 1
        return Turn(role, text, self._numbered)

    def focused_turn(self) -> Turn | None:
        focused = self.screen.focused if self.is_attached else None
        return next((t for t in self._turns if t.area is focused), None)

    def add_turn(self, role: str | None = None, after: object = None) -> Turn:
        """A turn after the focused message (or ``after``, the area the focus was in; after the
        last turn when it is elsewhere); without a role, the other one than the message before
        it (an answer after a user message, a user message after an answer). The new turn
        takes the focus."""
        focused = after or (self.screen.focused if self.is_attached else None)
        here = next((t for t in self._turns if t.area is focused), None)
        if here is not None:
            at = self._turns.index(here) + 1
        elif focused is self.user_area:
            at = 0
        else:
            at = len(self._turns)
        before = self._turns[at - 1].role if at else "user"
        if role is None:
            role = "user" if before == "assistant" else "assistant"
        turn = self._new_turn(role, "")
        self._turns.insert(at, turn)
        if at + 1 < len(self._turns):
            self.turns_box.mount(turn, before=self._turns[at + 1])
        else:
            self.turns_box.mount(turn)
        self._turns_changed()
        self.call_after_refresh(turn.area.focus)
        return turn

    def remove_turn(self, turn: Turn | None = None) -> bool:
        """Take a turn away (the focused one by default); the focus goes to the message
        before it. False when there is no such turn."""
        turn = turn or self.focused_turn()
        if turn is None or turn not in self._turns:
            return False
        at = self._turns.index(turn)
        self._turns.remove(turn)
        target = self._turns[at - 1].area if at else self.user_area
        target.focus()
        target.move_cursor(target.document.end)
        turn.remove()
        self._turns_changed()
        return True

    def switch_role(self, turn: Turn | None = None) -> bool:
        """The focused turn becomes the other role (user <-> assistant)."""
        turn = turn or self.focused_turn()
        if turn is None:
            return False
        turn.set_role("user" if turn.role == "assistant" else "assistant", False)
        self._turns_changed()
        return True

    def action_add_turn(self) -> None:
        self.add_turn()

    def on_turn_area_remove_requested(self, event: TurnArea.RemoveRequested) -> None:
        event.stop()
        turn = next((t for t in self._turns if t.area is event.area), None)
        if turn is not None:
            self.remove_turn(turn)

    def _relabel(self) -> None:
        for i, turn in enumerate(self._turns):
            turn.set_role(turn.role, i == len(self._turns) - 1)
        if self._turns_box is not None:
            self._turns_box.set_class(not self._turns, "-empty")

    def _turns_changed(self, quiet: bool = False) -> None:
        self._relabel()
        if not quiet:
            self.post_message(self.TurnsChanged())
