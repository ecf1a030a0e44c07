"""Importing Prompty and `llm` templates, exporting a promptfoo config whose loader renders the
.prompt file with dotpromptz."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from playground.config import Settings
from playground.library import LibraryError, load_prompt, promote
from playground.library.llm_template import import_llm_template
from playground.library.promptfoo import export_promptfoo
from playground.library.prompty import import_prompty
from playground.library.reference import render_reference

BASIC_PROMPTY = """---
name: Basic Prompt
description: A basic prompt that uses the chat API to answer questions
model:
  api: chat
  configuration:
    type: azure_openai
    azure_deployment: gpt-4o
  parameters:
    max_tokens: 128
    temperature: 0.2
inputs:
  question:
    type: string
sample:
  "question": "Who is the most famous person in the world?"
---
system:
You are an AI assistant who helps people find information.
As the assistant, you answer questions briefly, succinctly.

user:
{{question}}
"""

LOOP_PROMPTY = """---
model:
  configuration:
    type: openai
    name: gpt-4.1-mini
sample:
  firstName: Jane
  items: [tent, stove]
  vip: true
---
system:
{% if vip %}Greet {{ firstName }} warmly.{% else %}Greet {{firstName}}.{% endif %}
user:
Items:
{% for item in items %}
- {{item}}
{% endfor %}
"""


def _promote_imported(folder: Path, imported, name: str = "imp"):  # type: ignore[no-untyped-def]
    return promote(
        folder,
        name,
        template=imported.template,
        model=imported.model,
        variables=imported.variables,
        **{k: v for k, v in imported.params.items()},
    )


def test_prompty_import_keeps_messages_model_params_and_sample(tmp_path: Path) -> None:
    imported = import_prompty(BASIC_PROMPTY, "basic.prompty")
    assert imported.model == "openai:gpt-4o"
    assert imported.params == {"max_tokens": 128, "temperature": 0.2}
    assert imported.variables == {"question": "Who is the most famous person in the world?"}
    assert [m.role for m in imported.template.messages] == ["system", "user"]
    assert imported.template.messages[0].content.endswith("briefly, succinctly.")

    p = _promote_imported(tmp_path, imported)
    pf = load_prompt("imp", tmp_path)
    assert (pf.model, pf.temperature, pf.max_tokens) == ("openai:gpt-4o", 0.2, 128)
    sent = imported.template.render(imported.variables)
    assert render_reference(p.path.read_text(encoding="utf-8")) == sent
    assert sent[1].content == "Who is the most famous person in the world?"


def test_prompty_jinja_if_and_for_become_handlebars(tmp_path: Path) -> None:
    imported = import_prompty(LOOP_PROMPTY, "loop.prompty")
    assert imported.model == "openai:gpt-4.1-mini"
    system, user = imported.template.render(imported.variables)
    assert system.content == "Greet Jane warmly."
    assert user.content == "Items:\n- tent\n- stove\n"
    p = _promote_imported(tmp_path, imported)
    assert render_reference(p.path.read_text(encoding="utf-8")) == [system, user]


def test_prompty_jinja_it_cannot_convert_is_a_clear_error() -> None:
    text = "---\nsample: {x: a}\n---\nuser:\n{{ x | upper }}\n"
    with pytest.raises(LibraryError, match=r"^f\.prompty: .*\{\{ x \| upper \}\}"):
        import_prompty(text, "f.prompty")


def test_prompty_broken_yaml_names_file_and_line() -> None:
    with pytest.raises(LibraryError, match=r"^b\.prompty:3: invalid YAML"):
        import_prompty("---\nmodel: gpt\n  bad: indent\n---\nuser:\nhi\n", "b.prompty")


def test_llm_template_variables_options_and_dollars(tmp_path: Path) -> None:
    text = (
        "system: Translate into $lang. Prices stay in $$.\n"
        "prompt: 'Text: ${input} {{not a var}}'\n"
        "model: claude-haiku-4-5\n"
        "defaults:\n  lang: French\n"
        "options:\n  temperature: 0.4\n  max_tokens: 300\n"
    )
    imported = import_llm_template(text, "t.yaml")
    assert imported.model == "anthropic:claude-haiku-4-5"
    assert imported.params == {"temperature": 0.4, "max_tokens": 300}
    values = {"lang": "French", "input": "Bonjour"}
    system, user = imported.template.render(values)
    assert system.content == "Translate into French. Prices stay in $."
    assert user.content == "Text: Bonjour {{not a var}}"
    p = promote(
        tmp_path,
        "translate",
        template=imported.template,
        model=imported.model,
        variables=values,
        **imported.params,
    )
    assert render_reference(p.path.read_text(encoding="utf-8")) == [system, user]


def test_llm_template_model_names_map_to_providers() -> None:
    assert import_llm_template("prompt: hi\nmodel: gpt-4o-mini\n").model == "openai:gpt-4o-mini"
    assert import_llm_template("prompt: hi\nmodel: gemini-2.5-flash\n").model == (
        "gemini:gemini-2.5-flash"
    )
    assert import_llm_template("prompt: hi\nmodel: ollama:llama3.2\n").model == "ollama:llama3.2"


def test_promptfoo_export_points_at_the_prompt_file_and_renders_it(tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    imported = import_prompty(LOOP_PROMPTY, "loop.prompty")
    promote(
        folder,
        "gear",
        template=imported.template,
        model="anthropic:claude-haiku-4-5",
        temperature=0.3,
        max_tokens=200,
        variables=imported.variables,
    )
    (folder / "gear.tests.yaml").write_text(
        "defaults:\n  assert: [{type: icontains, value: tent}]\ncases:\n  - vars: {vip: false}\n",
        encoding="utf-8",
    )
    out = tmp_path / "eval"
    pf = load_prompt("gear", folder)
    config_text, loader_name, loader = export_promptfoo(
        pf, out, Settings(), folder / "gear.tests.yaml"
    )
    config = yaml.safe_load(config_text)
    assert config["prompts"] == [{"id": f"file://{loader_name}:render", "label": "gear v1"}]
    assert config["providers"] == [
        {
            "id": "anthropic:messages:claude-haiku-4-5",
            "config": {"temperature": 0.3, "max_tokens": 200},
        }
    ]
    assert config["defaultTest"]["assert"] == [{"type": "icontains", "value": "tent"}]
    assert config["defaultTest"]["vars"]["firstName"] == "Jane"
    assert config["tests"] == [{"vars": {"vip": False}}]

    out.mkdir()
    (out / loader_name).write_text(loader, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("loader", out / loader_name)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    messages = module.render({"vars": {"vip": False, "firstName": "Ann", "items": ["rope"]}})
    assert messages == [
        {"role": "system", "content": "Greet Ann."},
        {"role": "user", "content": "Items:\n- rope\n"},
    ]


def test_promptfoo_provider_ids_for_our_providers() -> None:
    from playground.config import ProviderConfig
    from playground.library.promptfoo import promptfoo_provider

    settings = Settings()
    settings.providers["local"] = ProviderConfig(
        "local", "openai", "http://127.0.0.1:8080/v1", "LOCAL_API_KEY"
    )
    ids = {
        m: promptfoo_provider(m, settings, {})["id"]
        for m in ("openai:gpt-4.1", "gemini:gemini-2.5-flash", "ollama:llama3.2", "echo")
    }
    assert ids == {
        "openai:gpt-4.1": "openai:chat:gpt-4.1",
        "gemini:gemini-2.5-flash": "google:gemini-2.5-flash",
        "ollama:llama3.2": "ollama:chat:llama3.2",
        "echo": "echo",
    }
    local = promptfoo_provider("local:my-model", settings, {"temperature": 0})
    assert local == {
        "id": "openai:chat:my-model",
        "config": {
            "temperature": 0,
            "apiBaseUrl": "http://127.0.0.1:8080/v1",
            "apiKeyEnvar": "LOCAL_API_KEY",
        },
    }
