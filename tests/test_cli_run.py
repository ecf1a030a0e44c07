"""`playground run` as a user runs it: a subprocess, real exit codes, real stdout and stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import clean_env, playground
from loopback import LoopbackServer, Reply

# The JSON contract of DESIGN.md: every cell has at least these fields.
CELL_KEYS = {
    "id",
    "model",
    "temperature",
    "sample",
    "status",
    "output",
    "error",
    "input_tokens",
    "output_tokens",
    "usage_source",
    "cost_usd",
    "ttft_ms",
    "latency_ms",
    "cached",
}


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("playground: ")
    for needle in needles:
        assert needle in lines[0]


def test_readme_line_works_with_no_key(tmp_path: Path) -> None:
    proc = playground(
        tmp_path, "run", "-p", "Say hi to {{name}}", "--var", "name=Ada", "-m", "echo", "-t", "0", "-t", "1"
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Say hi to Ada") == 2
    assert "2/2 ok" in proc.stdout


def test_json_shape(tmp_path: Path) -> None:
    proc = playground(
        tmp_path, "run", "-p", "Say hi to {{name}}", "--var", "name=Ada", "-m", "echo",
        "-t", "0", "-t", "1", "--repeat", "2", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {"session_id", "run_id", "cells"} <= set(doc)
    cells = doc["cells"]
    assert [(c["temperature"], c["sample"]) for c in cells] == [(0, 1), (0, 2), (1, 1), (1, 2)]
    ids = [c["id"] for c in cells]
    assert len(set(ids)) == 4 and None not in ids
    for cell in cells:
        assert set(cell) >= CELL_KEYS
        assert cell["model"] == "echo"
        assert cell["status"] == "ok" and cell["error"] is None
        assert "Say hi to Ada" in cell["output"]
        assert cell["usage_source"] in ("provider", "estimate")
        assert cell["input_tokens"] > 0 and cell["output_tokens"] > 0
        assert cell["cost_usd"] == 0  # echo is free
        assert cell["ttft_ms"] is not None and cell["latency_ms"] >= cell["ttft_ms"]
        assert cell["cached"] is False


def test_failed_cell_is_exit_1_and_others_still_answer(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    loopback.write_config(tmp_path, max_retries=0)
    loopback.enqueue(Reply(status=400, error_message="no such model"), model="bad")
    loopback.enqueue(Reply(text="partial answer", drop_after=1), model="dropped")
    env = clean_env(tmp_path, **loopback.env())
    proc = playground(
        tmp_path, "run", "-p", "hi", "-m", "lo-openai:good", "-m", "lo-anthropic:bad",
        "-m", "lo-gemini:dropped", "-t", "0.2", "--json", env=env,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    good, bad, dropped = json.loads(proc.stdout)["cells"]
    assert good["status"] == "ok" and good["output"].startswith("model=good temperature=0.2")
    assert good["usage_source"] == "provider" and good["input_tokens"] == 11
    assert good["cost_usd"] is None  # no known price: null, never $0
    assert bad["status"] == "error" and bad["error"] == "HTTP 400: no such model"
    assert dropped["status"] == "error" and dropped["output"] == "partial "
    assert "connection dropped" in dropped["error"]
    for key in loopback.env().values():  # keys never printed
        assert key not in proc.stdout + proc.stderr


def test_a_temperature_the_provider_cannot_take_is_shown_as_sent(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """Anthropic takes 0..1: t=1.5 is sent as 1, and the cell's figures say so."""
    loopback.write_config(tmp_path)
    env = clean_env(tmp_path, **loopback.env())
    proc = playground(
        tmp_path, "run", "-p", "hi", "-m", "lo-anthropic:c", "-m", "lo-openai:o",
        "-t", "1.5", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "model=c temperature=1.0" in proc.stdout  # what the server got
    assert "model=o temperature=1.5" in proc.stdout
    assert proc.stdout.count("sent t=1") == 1  # only the Anthropic cell


def test_failed_cell_shown_in_panels(tmp_path: Path, loopback: LoopbackServer) -> None:
    loopback.write_config(tmp_path, max_retries=0)
    loopback.enqueue(Reply(status=400, error_message="no such model"), model="bad")
    env = clean_env(tmp_path, **loopback.env())
    proc = playground(tmp_path, "run", "-p", "hi", "-m", "lo-ollama:bad", "-m", "echo", env=env)
    assert proc.returncode == 1
    assert "no such model" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_missing_key_is_exit_1_naming_the_variable(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    loopback.write_config(tmp_path)
    proc = playground(
        tmp_path, "run", "-p", "hi", "-m", "lo-openai:m", "-m", "echo", "-t", "0", "--json"
    )
    assert proc.returncode == 1, proc.stderr
    cell, echo = json.loads(proc.stdout)["cells"]
    assert cell["status"] == "error" and "LO_OPENAI_KEY" in cell["error"]
    assert echo["status"] == "ok"
    assert loopback.requests == []


def test_no_key_for_a_builtin_provider(tmp_path: Path) -> None:
    proc = playground(
        tmp_path, "run", "-p", "hi", "-m", "anthropic:claude-haiku-4-5", "-t", "0", "--json"
    )
    assert proc.returncode == 1
    [cell] = json.loads(proc.stdout)["cells"]
    assert "ANTHROPIC_API_KEY" in cell["error"]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["-p", "Say hi to {{name}}", "-m", "echo"], ["{{name}}", "--var name="]),
        (["-p", "hi", "-m", "echo", "-t", "warm"], ["-t", "warm"]),
        (["-p", "hi", "-m", "echo", "-t", "5"], ["between 0 and 2"]),
        (["-p", "hi", "-m", "echo", "--var", "novalue"], ["--var", "NAME=VALUE"]),
        (["-p", "hi", "-m", "nosuch:model"], ["unknown provider 'nosuch'"]),
        (["-m", "echo"], ["no prompt"]),
        (["-p", "hi", "-m", "echo", "--max-tokens", "0"], ["--max-tokens"]),
        (["-p", "hi", "-m", "echo", "--top-p", "5"], ["--top-p 5", "at most 1"]),
        (["-p", "hi", "-m", "echo", "--top-p", "0"], ["--top-p 0", "more than 0"]),
        (["-p", "hi", "-m", "echo", "--top-p", "nan"], ["--top-p nan"]),
    ],
)
def test_bad_input_is_exit_2_with_one_line(
    tmp_path: Path, args: list[str], needles: list[str]
) -> None:
    assert_one_line_error(playground(tmp_path, "run", *args), *needles)


def test_malformed_config_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text('[defaults]\nmax_tokens = 5\nmodels = ["a"] ["b"]\n')
    proc = playground(tmp_path, "run", "-p", "hi", "-m", "echo")
    assert_one_line_error(proc, str(tmp_path / "playground.toml"), "line 3")


def test_config_cut_short_names_file_and_last_line(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text('[defaults]\nmax_tokens = 5\nmodels = ["a"\n')
    proc = playground(tmp_path, "run", "-p", "hi", "-m", "echo")
    assert_one_line_error(proc, str(tmp_path / "playground.toml"), "line 3")


def test_bad_provider_kind_in_config(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text('[providers.x]\nkind = "grpc"\nbase_url = "h"\n')
    proc = playground(tmp_path, "run", "-p", "hi", "-m", "echo")
    assert_one_line_error(proc, "playground.toml", "[providers.x]", "kind")


def test_config_flag_and_env_are_used(tmp_path: Path, loopback: LoopbackServer) -> None:
    cfg = loopback.write_config(tmp_path / "elsewhere.toml")
    env = clean_env(tmp_path, **loopback.env())
    proc = playground(
        tmp_path, "run", "--config", str(cfg), "-p", "hi", "-m", "lo-ollama:x", "-t", "0", env=env
    )
    assert proc.returncode == 0, proc.stderr
    env["PLAYGROUND_CONFIG"] = str(cfg)
    proc = playground(
        tmp_path, "run", "-p", "hi", "-m", "lo-ollama:y", "-t", "0", "--json", env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert [r.model for r in loopback.requests] == ["x", "y"]
    missing = playground(tmp_path, "run", "--config", "nope.toml", "-p", "hi", "-m", "echo")
    assert_one_line_error(missing, "nope.toml", "not found")


def test_ctrl_c_closes_every_connection_promptly(tmp_path: Path, loopback: LoopbackServer) -> None:
    import signal
    import time

    loopback.write_config(tmp_path)
    loopback.default = Reply(chunks=100, duration=20)
    env = clean_env(tmp_path, **loopback.env())
    proc = subprocess.Popen(
        [sys.executable, "-m", "playground", "run", "-p", "hi", "-m", "lo-openai:a",
         "-m", "lo-gemini:b", "-t", "0", "-t", "1", "--json"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert loopback.wait_requests(4, timeout=10)
        time.sleep(0.2)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        gone = loopback.wait_disconnects(4, timeout=2)
        assert len(gone) == 4
        assert max(r.disconnected_at for r in gone) - t0 < 0.2
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in err and err.strip() == "playground: interrupted"
    cells = json.loads(out)["cells"]  # what had streamed is printed, not lost
    assert [c["status"] for c in cells] == ["cancelled"] * 4
    assert all(c["output"] for c in cells)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[defaults]\nbudget_usd = -1\n", "[defaults] budget_usd: must be a cost in USD"),
        ('[defaults]\nmodels = "echo"\n', "[defaults] models: must be a list"),
    ],
)
def test_config_value_of_wrong_type_is_exit_2(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "playground.toml").write_text(text)
    proc = playground(tmp_path, "run", "-p", "hi")
    assert_one_line_error(proc, str(tmp_path / "playground.toml"), needle)


@pytest.mark.parametrize(
    ("model", "needle"),
    [
        ("openai", "-m openai: give PROVIDER:MODEL (e.g. openai:gpt-4.1-mini)"),
        ("lo-openai", "-m lo-openai: give PROVIDER:MODEL (e.g. lo-openai:MODEL_NAME)"),
        ("lo-openai:", "-m lo-openai:: give PROVIDER:MODEL"),
        ("lo-gemini: ", "give PROVIDER:MODEL"),
    ],
)
def test_a_model_id_without_a_model_is_exit_2(
    tmp_path: Path, loopback: LoopbackServer, model: str, needle: str
) -> None:
    loopback.write_config(tmp_path)
    env = clean_env(tmp_path, **loopback.env())
    proc = playground(tmp_path, "run", "-p", "hi", "-m", model, "--json", env=env)
    assert_one_line_error(proc, needle)
    assert loopback.requests == []


def test_echo_and_echo_kind_providers_may_be_bare(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text('[providers.mirror]\nkind = "echo"\n')
    proc = playground(
        tmp_path, "run", "-p", "hi", "-m", "echo", "-m", "mirror", "-t", "0", "--json"
    )
    assert proc.returncode == 0, proc.stderr
    assert [c["status"] for c in json.loads(proc.stdout)["cells"]] == ["ok", "ok"]


def test_model_ids_with_brackets_are_printed_as_typed(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text('[providers.e]\nkind = "echo"\n')
    proc = playground(tmp_path, "run", "-p", "hi", "-m", "e:a[bold]x", "-m", "echo", "-t", "0")
    assert proc.returncode == 0, proc.stderr
    assert "e:a[bold]x" in proc.stdout  # the column header
    narrow = clean_env(tmp_path, COLUMNS="40")
    proc = playground(
        tmp_path, "run", "-p", "hi", "-m", "e:a[i]y", "-m", "echo", "-t", "0", env=narrow
    )
    assert "e:a[i]y · t=0" in proc.stdout  # the panel title


PRICES = (
    '[models."lo-openai:a"]\nprice = {input_per_mtok = 1000, output_per_mtok = 1000}\n'
    '[models."lo-openai:b"]\nprice = {input_per_mtok = 1000, output_per_mtok = 1000}\n'
)


def summary(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_run_total_is_unpriced_never_0_and_marked_when_estimated(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    env = clean_env(tmp_path, **loopback.env())
    run = ("run", "-p", "hi", "-m", "lo-openai:a", "-m", "lo-openai:b", "-t", "0")
    loopback.write_config(tmp_path)
    assert "total unpriced · run" in summary(playground(tmp_path, *run, env=env))
    loopback.write_config(tmp_path, extra=PRICES)
    line = summary(playground(tmp_path, *run, env=env))  # both reported by the provider
    assert "total $" in line and "≈" not in line
    loopback.enqueue(Reply(usage=False), model="b")  # b's usage is estimated
    line = summary(playground(tmp_path, *run, "--no-cache", env=env))
    assert "total ≈$" in line and "unpriced" not in line
    one_priced = ("run", "-p", "hi", "-m", "lo-openai:a", "-m", "lo-gemini:c", "-t", "0")
    assert "(1 unpriced)" in summary(playground(tmp_path, *one_priced, env=env))


def test_json_total_is_the_sum_of_the_priced_cells(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    extra = (
        '[models."lo-openai:m"]\nprice = { input_per_mtok = 1000.0, output_per_mtok = 2000.0 }\n'
    )
    loopback.write_config(tmp_path, extra=extra)
    env = clean_env(tmp_path, **loopback.env())
    proc = playground(
        tmp_path, "run", "-p", "hi", "-m", "lo-openai:m", "-m", "lo-gemini:g", "-t", "0",
        "-t", "1", "--json", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    cells, total = doc["cells"], doc["total"]
    priced = [c["cost_usd"] for c in cells if c["cost_usd"] is not None]
    assert len(priced) == 2 and all(p > 0 for p in priced)
    assert total["cost_usd"] == pytest.approx(sum(priced))
    assert total["unpriced_cells"] == 2  # lo-gemini has no known price
    assert total["input_tokens"] == sum(c["input_tokens"] for c in cells)
    assert total["method"] == "provider"


def test_a_field_of_a_text_variable_is_named_as_such(tmp_path: Path) -> None:
    """{{user.name}} with --var user=bob: the variable has a value, it just has no fields."""
    proc = playground(tmp_path, "run", "-p", "Hi {{user.name}}", "--var", "user=bob", "-m", "echo")
    assert_one_line_error(proc, "{{user.name}}: user has no field 'name' (user is text)")
    proc = playground(tmp_path, "run", "-p", "Hi {{user.name}}", "-m", "echo")
    assert_one_line_error(proc, "variable {{user}} has no value")


def test_a_missing_variable_reached_by_a_path_is_named(tmp_path: Path) -> None:
    for expr in ("@root.who", "this.who", "../who"):
        proc = playground(tmp_path, "run", "-p", f"Hi {{{{{expr}}}}}", "-m", "echo")
        assert_one_line_error(proc, "variable {{who}} has no value (set it with --var who=VALUE)")
