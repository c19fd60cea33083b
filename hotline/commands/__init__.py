"""Command groups mounted by cli.py: each module exposes `app` (a Typer group) and/or `COMMANDS`."""
