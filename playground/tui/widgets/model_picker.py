"""Pick models across every configured provider; unavailable ones say why."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

if TYPE_CHECKING:  # the list loads with the picker's content, just after the first frame
    from textual.widgets import SelectionList


@dataclass
class ModelEntry:
    """One model id, or a provider placeholder (``model_id`` ending in ``:*``)."""

    model_id: str
    available: bool = True
    reason: str = ""


def model_ids_for(name: str, kind: str, models: list[str]) -> list[str]:
    if kind == "echo":
        return [name] if name == "echo" else [f"{name}:{m}" for m in models or ["echo"]]
    return [f"{name}:{m}" for m in models]


def catalog_from_settings(settings: Any) -> list[ModelEntry]:
    """What we know without the network: configured models, and which lack a key."""
    out: list[ModelEntry] = []
    for name, cfg in settings.providers.items():
        missing = bool(cfg.api_key_env) and not os.environ.get(cfg.api_key_env or "")
        reason = f"set {cfg.api_key_env}" if missing else ""
        ids = model_ids_for(name, cfg.kind, list(cfg.models))
        if not ids:
            out.append(ModelEntry(f"{name}:*", False, reason or "checking…"))
        out += [ModelEntry(m, not missing, reason) for m in ids]
    return out


async def probe_provider(name: str, provider: Any, settings: Any, client: Any) -> list[ModelEntry]:
    """Is this provider ready, and what does it offer? (Short timeouts; never raises.)"""
    cfg = settings.providers.get(name) or provider.config
    try:
        ready, why = await provider.check_ready(client)
        models = await provider.list_models(client) if ready else list(cfg.models)
    except Exception as exc:
        ready, why, models = False, " ".join(str(exc).split())[:60], list(cfg.models)
    ids = model_ids_for(name, cfg.kind, models)
    if not ids:
        reason = why if not ready else f"no models: add models = [...] to [providers.{name}]"
        return [ModelEntry(f"{name}:*", False, reason)]
    return [ModelEntry(m, ready, "" if ready else why) for m in ids]


class ModelPicker(Vertical):
    """A search field over a checkbox list. The selection survives filtering."""

    DEFAULT_CSS = """
    ModelPicker { height: 1fr; min-height: 4; }
    ModelPicker > Input { border: none; height: 1; padding: 0 1; background: $boost; }
    ModelPicker > Input:focus { border: none; background: $primary 20%; }
    ModelPicker > SelectionList { height: 1fr; border: none; padding: 0; background: $surface; }
    ModelPicker > SelectionList:focus { background-tint: $foreground 4%; }
    ModelPicker > #model-why {
        display: none; height: auto; max-height: 3; padding: 0 1; color: $text-muted;
    }
    ModelPicker > #model-why.-shown { display: block; }
    """

    class Changed(Message):
        """The selection changed."""

    def __init__(self, entries: list[ModelEntry], selected: list[str], **kw: Any) -> None:
        super().__init__(**kw)
        self.entries: dict[str, ModelEntry] = {e.model_id: e for e in entries}
        self.selected: list[str] = list(dict.fromkeys(selected))
        for model in self.selected:
            self.entries.setdefault(model, ModelEntry(model, True, ""))
        self._query = ""

    def on_mount(self) -> None:
        # the list (and its CSS) is styled just after the first frame: the editor comes first
        self.call_after_refresh(self.fill)

    def fill(self) -> None:
        """Mount the search field and the list (once); ``selected`` holds the state until."""
        if self.children:
            return
        from textual.widgets import SelectionList, Static

        self.mount_all(
            [
                Input(placeholder="search models…", id="model-search"),
                SelectionList[str](id="model-list"),
                # while searching, why the listed models are unavailable, per provider, in
                # full (the list cuts long reasons; a disabled entry cannot be highlighted)
                Static("", id="model-why", markup=False),
            ]
        )
        self._rebuild()

    @property
    def selection_list(self) -> SelectionList[str]:
        from textual.widgets import SelectionList

        return self.query_one("#model-list", SelectionList)

    def _label(self, entry: ModelEntry) -> Text:
        text = Text(entry.model_id.removesuffix(":*"))
        if entry.reason and not entry.available:
            text.append(f"  {entry.reason}", style="italic dim")
        return text

    def _visible(self) -> list[ModelEntry]:
        words = self._query.lower().split()
        order = sorted(
            self.entries.values(),
            key=lambda e: (e.model_id not in self.selected, not e.available),
        )
        return [e for e in order if all(w in e.model_id.lower() for w in words)]

    def _rebuild(self) -> None:
        if not self.children:
            return  # not filled yet: fill() builds the list from the state
        from textual.widgets import SelectionList
        from textual.widgets.selection_list import Selection

        sl = self.selection_list
        highlighted = sl.highlighted
        with sl.prevent(SelectionList.SelectedChanged):
            sl.clear_options()
            sl.add_options(
                [
                    Selection(
                        self._label(e),
                        e.model_id,
                        e.model_id in self.selected,
                        disabled=not e.available and e.model_id not in self.selected,
                    )
                    for e in self._visible()
                ]
            )
        if highlighted is not None and sl.option_count:
            sl.highlighted = min(highlighted, sl.option_count - 1)
        self._show_reasons()

    def _show_reasons(self) -> None:
        """While searching (so the list stays long otherwise): why the matches are out."""
        reasons: dict[str, str] = {}
        for e in self._visible() if self._query.strip() else ():
            if e.reason and not e.available:
                reasons.setdefault(e.model_id.split(":", 1)[0], e.reason)
        label = self.query_one("#model-why", Static)
        label.update(" · ".join(f"{provider}: {why}" for provider, why in reasons.items()))
        label.set_class(bool(reasons), "-shown")

    @work(exclusive=True, group="probe", exit_on_error=False)
    async def probe(
        self, providers: dict[str, Any], settings: Any, client: Any, *, first_start: bool = False
    ) -> None:
        """Ask every provider whether it is ready and what it offers, then show it. On a first
        start without keys, echo and up to two local (Ollama) models are selected."""
        names = list(providers)
        groups = await asyncio.gather(
            *(probe_provider(n, providers[n], settings, client) for n in names)
        )
        entries = [e for group in groups for e in group]
        if not self.is_attached:
            return  # the app is closing
        self.set_entries(entries)
        if first_start:
            local = [
                e.model_id
                for e in entries
                if e.available
                and e.model_id != "echo"
                and settings.providers[e.model_id.split(":")[0]].kind == "ollama"
            ]
            self.set_selected(["echo", *local[:2]])

    def set_entries(self, entries: list[ModelEntry]) -> None:
        """Replace what is known about the models (after the readiness check)."""
        self.entries = {e.model_id: e for e in entries}
        for model in self.selected:
            self.entries.setdefault(model, ModelEntry(model, True, ""))
        self._rebuild()

    def set_selected(self, models: list[str]) -> None:
        self.selected = list(dict.fromkeys(models))
        for model in self.selected:
            self.entries.setdefault(model, ModelEntry(model, True, ""))
        self._rebuild()
        self.post_message(self.Changed())

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._query = event.value
        self._rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search field: a typed ``provider:model`` is selected as it is, listed
        or not; otherwise the first match is toggled. What cannot be used says why."""
        event.stop()
        typed = event.value.strip()
        if ":" in typed and " " not in typed and not typed.endswith(":*"):
            self.choose(typed)
            return
        visible = self._visible()
        usable = [e for e in visible if e.available or e.model_id in self.selected]
        if usable:
            self._toggle(usable[0].model_id)
            self._rebuild()
        elif visible:
            self.say(f"{visible[0].model_id.removesuffix(':*')}: {visible[0].reason}")

    def choose(self, model_id: str) -> None:
        """Select a model by its id, whether or not a provider listed it."""
        provider = model_id.split(":", 1)[0]
        providers = {m.split(":", 1)[0] for m in self.entries}
        if provider not in providers:
            self.say(
                f"no provider {provider!r} is configured: add [providers.{provider}] to "
                "playground.toml"
            )
            return
        entry = self.entries.get(model_id)
        if entry is not None and not entry.available and model_id not in self.selected:
            self.say(f"{model_id}: {entry.reason or 'not available'}")
            return
        if entry is None:
            known = self.entries.get(f"{provider}:*") or next(
                (e for e in self.entries.values() if e.model_id.startswith(f"{provider}:")), None
            )
            if known is not None and not known.available:
                self.say(f"{model_id}: {known.reason or 'not available'}")
                return
            self.entries[model_id] = ModelEntry(model_id, True, "")
        if model_id not in self.selected:
            self._toggle(model_id)
        self.say("")
        self._rebuild()

    def say(self, text: str) -> None:
        """One line under the list: why a choice cannot be made (empty hides it)."""
        if not self.children:
            return
        label = self.query_one("#model-why", Static)
        label.update(text)
        label.set_class(bool(text), "-shown")

    def _toggle(self, model_id: str) -> None:
        if model_id in self.selected:
            self.selected.remove(model_id)
        else:
            self.selected.append(model_id)
        self.post_message(self.Changed())

    def on_key(self, event: Any) -> None:
        """Down in the search field goes into the list."""
        focused = self.screen.focused
        if event.key == "down" and isinstance(focused, Input) and focused.id == "model-search":
            event.stop()
            sl = self.selection_list
            sl.focus()
            if sl.highlighted is None and sl.option_count:
                sl.highlighted = 0

    def on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled) -> None:
        event.stop()
        self._toggle(event.selection.value)
