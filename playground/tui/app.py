"""The Textual app: services (settings, store, providers, runner) and app-wide commands.

Built through ``make_app(settings, store, providers)`` so tests hand in a temp store and
loopback providers. Start-up stays near Textual's own import cost: httpx (via the runner),
the store and tiktoken load after the first frame, when first needed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.screen import Screen

from playground.tui.state import UIState, follow_defaults, load_state, save_state

if TYPE_CHECKING:
    from playground.config import Settings
    from playground.core.plan import RunPlan
    from playground.core.runner import Runner


class PlaygroundApp(App[None]):
    """One prompt, many models and temperatures, streaming side by side."""

    CSS_PATH = "playground.tcss"
    TITLE = "Prompt Playground"
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        settings: Settings,
        store: Any = None,
        providers: dict[str, Any] | None = None,
        *,
        prompt_file: str | Path | None = None,
        prompt: Any = None,
    ) -> None:
        super().__init__()
        self.prompt = prompt  # a loaded PromptFile (playground PROMPT_FILE)
        self.settings = settings
        self._store = store
        self._store_given = store is not None
        self._store_error: str | None = None
        self._session_started = False
        self._estimator: Any = None
        self._providers = providers
        self._runner: Runner | None = None
        self.prompt_file = Path(prompt_file) if prompt_file else None
        self.state: UIState = load_state(settings)
        # playground.toml's [defaults] changed since the state was saved: they win, said once
        self.defaults_changed = follow_defaults(self.state, settings)
        self.bundled_themes: list[str] = []

    # -- services ---------------------------------------------------------------------------
    @property
    def providers(self) -> dict[str, Any]:
        if self._providers is None:
            from playground.core.providers import build_providers

            self._providers = build_providers(self.settings)
        return self._providers

    @property
    def runner(self) -> Runner:
        if self._runner is None:
            from playground.core.runner import Runner

            self._runner = Runner(self.settings, self.providers, self.store)
        return self._runner

    @property
    def store(self) -> Any:
        """The session store (also the runner's recorder), opened on first use; None if broken."""
        if self._store is None and self._store_error is None:
            try:
                from playground.store import Store

                self._store = Store.open(self.settings.db_path())
            except Exception as exc:  # a bad or newer database: runs still work, unrecorded
                self._store_error = " ".join(str(exc).split()) or type(exc).__name__
        if self._store is not None and not self._session_started:
            self._session_started = True
            envs = {name: cfg.api_key_env for name, cfg in self.settings.providers.items()}
            if hasattr(self._store, "add_provider_keys"):
                self._store.add_provider_keys(envs)
            if hasattr(self._store, "new_session") and self._store.session_id is None:
                self._store.new_session(source="tui")
            if hasattr(self._store, "on_busy"):  # told from the store's writer thread
                self._store.on_busy = lambda busy: self.call_from_thread(self._db_busy, busy)
        return self._store

    def _db_busy(self, busy: bool) -> None:
        """Another process holds the database's write lock: results wait, none is lost."""
        if busy:
            self.notify("database busy: results are kept and written when it frees", timeout=4)
        else:
            self.notify("database free: results written", timeout=2)

    @property
    def store_error(self) -> str | None:
        return self._store_error

    def estimate(self, plan: RunPlan) -> Any:
        """The plan's estimate (blocking: call from a thread). One Estimator for the app, so
        re-estimating after a keystroke only re-counts the edited text."""
        if self._estimator is None:
            from playground.core.estimate import Estimator

            store = self.store
            stats = store if hasattr(store, "usage_stats") else None
            self._estimator = Estimator(self.settings, stats, exact=self._exact_counter())
        return self._estimator.estimate(plan)

    def _exact_counter(self) -> Any:
        """Anthropic's and Gemini's count endpoints, when one of them has a key (else None)."""
        from playground.core.exact_counts import EXACT_KINDS, ExactCounter

        providers = self.settings.providers.values()
        if any(cfg.kind in EXACT_KINDS and cfg.api_key() for cfg in providers):
            return ExactCounter(self.settings)
        return None

    @property
    def exact_counter(self) -> Any:
        """The estimator's ExactCounter, once the first estimate made one (None: no key)."""
        return getattr(self._estimator, "exact", None)

    def runs_changed(self) -> None:
        """A run ended: the expected costs may move with the new history."""
        if self._estimator is not None:
            self._estimator.refresh_stats()

    def remember(self, **changes: Any) -> None:
        """Update the remembered UI state and write it (small JSON file)."""
        for key, value in changes.items():
            setattr(self.state, key, value)
        save_state(self.settings, self.state)

    # -- lifecycle --------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        from playground.tui.screens.main import MainScreen

        return MainScreen()

    def on_load(self) -> None:
        # no collections until the first frame is out: re-measured Dec 2 (bench_tui.py, A/B,
        # medians of 9), without this the first frame costs ~35 ms more CPU (1.43x the minimal
        # app's instead of 1.29x); what start-up leaves is collected once, then frozen, in
        # _calm_gc
        gc.disable()

    def on_mount(self) -> None:
        self.call_after_refresh(_calm_gc)
        remembered = self.state.theme
        if remembered and remembered not in self.available_themes:
            self._register_themes()  # one of ours was chosen: it must style the first frame
        else:
            self.call_after_refresh(self._register_themes)  # reading TOML can wait a frame
        if remembered and remembered in self.available_themes:
            self.theme = remembered
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if self.defaults_changed:
            self.notify(self.defaults_changed, timeout=8)
            save_state(self.settings, self.state)  # the new defaults recorded: said only once

    def _register_themes(self) -> None:
        if self.bundled_themes:
            return
        from playground.tui.themes import register_bundled_themes

        self.bundled_themes = register_bundled_themes(self)

    def _theme_changed(self, theme: Any) -> None:
        self.remember(theme=theme.name)

    async def on_unmount(self) -> None:
        gc.enable()  # in case the app ends before its first frame
        if self._runner is not None:
            await self._runner.aclose()
        if self._estimator is not None:
            self._estimator.close()
            if self._estimator.exact is not None:
                await self._estimator.exact.aclose()
        close = getattr(self._store, "close", None)
        if close and not self._store_given:
            close()

    # -- command palette --------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = getattr(screen, "palette_commands", None)
        if commands is not None:
            yield from commands()


def _calm_gc() -> None:
    """Garbage collection without long pauses while cells stream.

    What exists after start-up (Textual, the widgets) is frozen out of the collector, and
    young collections run less often: full collections otherwise took up to ~90 ms here,
    long enough to delay a keystroke's echo.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    gc.enable()


def make_app(
    settings: Settings,
    store: Any = None,
    providers: dict[str, Any] | None = None,
    *,
    prompt_file: str | Path | None = None,
    prompt: Any = None,
) -> PlaygroundApp:
    """The app with its services; tests pass a temp store and loopback providers."""
    return PlaygroundApp(settings, store, providers, prompt_file=prompt_file, prompt=prompt)
