"""Checks for examples/prompts/triage.tests.yaml (`python: checks.py:label_matches`).

A python assertion gets the output and a context dict (vars, model, temperature, sample,
usage, latency_ms, cost_usd) and returns a bool, a score from 0 to 1, or (passed, reason).
"""

import json


def label_matches(output: str, context: dict) -> tuple[bool, str]:
    expected = context["vars"]["label"]
    try:
        label = json.loads(output).get("label")
    except (ValueError, AttributeError):
        return False, "the answer is not a JSON object"
    return label == expected, f"label {label!r}, expected {expected!r}"
