from playground.cli import console

raise SystemExit(console())
