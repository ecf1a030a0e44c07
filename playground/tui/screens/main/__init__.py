"""The main screen, in three parts: ``screen`` (layout and keys), ``form`` (the widgets that
make a ``RunPlan`` and load one) and ``controller`` (runs and the cells they own)."""

from playground.tui.screens.main.screen import MainScreen

__all__ = ["MainScreen"]
