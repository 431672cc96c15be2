"""``python -m scanner``: the same as the ``scanner`` command."""

from scanner.cli import app

app(prog_name="scanner")
