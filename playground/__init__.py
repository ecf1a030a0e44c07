"""Prompt Playground: one prompt, many models and temperatures, side by side, in the terminal."""

__version__ = "0.1.0"
