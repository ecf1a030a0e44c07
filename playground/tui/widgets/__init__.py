"""Reusable widgets; each carries its DEFAULT_CSS built on theme variables."""
