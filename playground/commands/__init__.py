"""One module per CLI command (or family). Heavy imports happen inside handlers."""
