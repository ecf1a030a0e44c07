"""Text for people: the figures line, cell labels, the CLI grid, run progress (TUI and CLI)."""
