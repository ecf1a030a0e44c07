"""Prompt files on disk: read, write, version, promote, diff (Dotprompt .prompt files)."""

from __future__ import annotations

from playground.core.schema import coerce_variables, variable_types
from playground.library.current import current_schema
from playground.library.errors import LibraryError
from playground.library.fromstore import promote_response
from playground.library.loading import list_problems, list_prompts, load_prompt
from playground.library.names import check_name, current_path, list_versions, version_path
from playground.library.promptfile import PromptFile, parse_prompt_text, render_prompt_file
from playground.library.versions import Promotion, preview_promotion, promote, unified_diff

__all__ = [
    "LibraryError",
    "Promotion",
    "PromptFile",
    "check_name",
    "coerce_variables",
    "current_path",
    "current_schema",
    "list_problems",
    "list_prompts",
    "list_versions",
    "load_prompt",
    "parse_prompt_text",
    "preview_promotion",
    "promote",
    "promote_response",
    "render_prompt_file",
    "unified_diff",
    "variable_types",
    "version_path",
]
