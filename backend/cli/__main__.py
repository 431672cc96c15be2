"""``python -m backend.cli`` is the ``supplychain`` command."""

from backend.cli.main import app

app(prog_name="supplychain")
