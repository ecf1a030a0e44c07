"""Evaluation: test cases beside a prompt, assertions and judges, statistics, variations.

The engine half of ``playground eval`` and ``compare``: no rendering, no Textual. Front ends
load cases (``cases``), run them through the runner (``engine``) and read the figures
(``stats``, ``report``).
"""
