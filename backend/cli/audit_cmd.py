"""Placeholder: being written (issue 7)."""

from __future__ import annotations

import typer

app = typer.Typer()
