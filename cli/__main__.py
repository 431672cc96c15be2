"""``python -m cli`` is the ``supplychain`` command."""

from cli.main import app

app(prog_name="supplychain")
