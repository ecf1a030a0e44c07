"""Token counts and prices for a run's cells: provider-reported usage, else marked estimates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from playground.core import pricing
from playground.core.providers.base import UsageReport

if TYPE_CHECKING:
    from playground.config import Settings
    from playground.core.model import CellResult
    from playground.core.template import Message


def reported_usage(result: CellResult) -> UsageReport | None:
    """A result's token counts as the usage they price; None when it has neither count."""
    if result.input_tokens is None and result.output_tokens is None:
        return None
    return UsageReport(
        result.input_tokens or 0,
        result.output_tokens or 0,
        result.cached_input_tokens,
        result.cache_write_tokens,
    )


class RunUsage:
    """Counts and prices one run's cells (the prompt is counted once per model)."""

    def __init__(self, settings: Settings, messages: Sequence[Message]) -> None:
        self.settings = settings
        self.messages = list(messages)
        self._estimates: dict[str, int] = {}

    def chars(self) -> int:
        """The prompt's length in characters (what counting it costs)."""
        return sum(len(m.content) for m in self.messages)

    def input_estimate(self, model_id: str) -> int:
        """Our count of the prompt for this model; the same for every cell of a run."""
        count = self._estimates.get(model_id)
        if count is None:
            from playground.core import tokens  # not loaded by a run answered from the cache

            count = self._estimates[model_id] = tokens.count_messages(
                model_id, self.messages
            ).tokens
        return count

    def warm_up(self, models: Sequence[str]) -> None:
        """Load the token tables and prices these models need (slow the first time)."""
        for model_id in models:
            try:
                self.input_estimate(model_id)
                pricing.cost_usd(self.settings, model_id, UsageReport(1, 1))
            except Exception:  # the real call reports any problem, in its cell
                pass

    @staticmethod
    def apply(result: CellResult, usage: UsageReport) -> None:
        """A provider's usage report onto the cell's result."""
        if usage.input_tokens is not None:
            result.input_tokens = usage.input_tokens
        if usage.output_tokens is not None:
            result.output_tokens = usage.output_tokens
        result.cached_input_tokens = usage.cached_input_tokens or result.cached_input_tokens
        result.cache_write_tokens = usage.cache_write_tokens or result.cache_write_tokens
        result.usage_source = "provider"

    def finalize(self, result: CellResult) -> None:
        """Fill missing counts with marked estimates, then price the call."""
        if result.cached:
            return
        model_id = result.model_used or result.cell.model
        estimated = False
        result.estimated_input_tokens = self.input_estimate(model_id)
        if result.input_tokens is None and (result.status != "error" or result.output):
            result.input_tokens = result.estimated_input_tokens
            estimated = True
        if result.output_tokens is None and (result.output or result.reasoning):
            from playground.core import tokens

            result.output_tokens = tokens.count_text(
                model_id, result.output + result.reasoning
            ).tokens
            estimated = True
        if estimated:
            result.usage_source = "estimate"
        usage = reported_usage(result)
        if usage is None:
            return
        result.cost_usd = pricing.cost_usd(self.settings, model_id, usage)
