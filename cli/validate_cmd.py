"""``supplychain validate FILE...``: check EPCIS 2.0 documents or single events before posting them.

The checks are capture's own: :func:`supplychain.epcis.parse.parse_document_or_event` (what ``POST /capture`` and the
single-event capture run on the body) with the limits of :func:`backend.services.capture.capture_limits`. Signatures,
keys and ownership are checked at capture against the chain, not here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from backend.services.capture import capture_limits
from cli.common import error, ngettext
from supplychain.epcis import DEFAULT_LIMITS, EpcisDocument, Limits
from supplychain.epcis.parse import parse_document_or_event
from supplychain.errors import (
    DocumentTooLargeError,
    EpcisLimitError,
    EpcisMediaTypeError,
    EpcisSyntaxError,
    EpcisValidationError,
    Problem,
)

__all__ = ["app", "validate_command", "validate_file"]

app = typer.Typer()

VALID, INVALID, UNREADABLE = "valid", "invalid", "unreadable"
_EXIT = {VALID: 0, INVALID: 1, UNREADABLE: 2}


@dataclass
class Verdict:
    """What ``validate`` found in one file."""

    file: str
    status: str  # valid | invalid | unreadable
    kind: str | None = None  # EPCISDocument | EPCISQueryDocument | the bare event's type
    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False
    reason: str | None = None  # why an unreadable file could not be read

    def to_json(self) -> dict[str, Any]:
        """The verdict as ``--json`` prints it."""
        return {
            "file": self.file,
            "status": self.status,
            "kind": self.kind,
            "events": self.events,
            "problems": [
                {"index": p.index, "eventID": p.event_id, "path": p.path, "message": p.message} for p in self.problems
            ],
            "truncated": self.truncated,
            "reason": self.reason,
        }


def _read(path: Path, limits: Limits) -> bytes:
    """The file's bytes; a file above the size limit is refused before it is read whole."""
    with path.open("rb") as handle:
        data = handle.read(limits.max_document_bytes + 1)
        if len(data) > limits.max_document_bytes:
            try:  # the whole size when the file has one (not a pipe or a device), else what was read
                size = max(handle.seek(0, 2), len(data))
            except OSError:
                size = len(data)
            raise DocumentTooLargeError("max_document_bytes", limits.max_document_bytes, size)
    return data


def validate_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> Verdict:
    """Check one file as capture would; never raises for bad input."""
    name = str(path)
    try:
        parsed = parse_document_or_event(_read(path, limits), limits=limits)
    except OSError as exc:
        return Verdict(name, UNREADABLE, reason=exc.strerror or str(exc))
    except (EpcisSyntaxError, EpcisMediaTypeError) as exc:
        return Verdict(name, UNREADABLE, reason=str(exc))
    except EpcisValidationError as exc:
        return Verdict(name, INVALID, problems=exc.problems, truncated=exc.truncated)
    except EpcisLimitError as exc:  # refused as capture refuses it: too large, too deep, too long
        return Verdict(name, INVALID, problems=[Problem(None, None, exc.path, str(exc))])
    if isinstance(parsed, EpcisDocument):
        return Verdict(name, VALID, kind=parsed.type, events=len(parsed.events))
    return Verdict(name, VALID, kind=parsed.type_name, events=1)


def _print(verdict: Verdict) -> None:
    """The verdict for people, in the locale's language (each problem as the checks worded it)."""
    if verdict.status == UNREADABLE:
        error(f"{verdict.file}: {verdict.reason}")
        return
    if verdict.status == VALID:
        typer.echo(
            ngettext(
                "{file}: valid {kind} ({count} event)",
                "{file}: valid {kind} ({count} events)",
                verdict.events,
                file=verdict.file,
                kind=verdict.kind,
            )
        )
        return
    count, file = len(verdict.problems), verdict.file
    if verdict.truncated:
        line = ngettext(
            "{file}: invalid, {count} problem (cap reached)",
            "{file}: invalid, {count} problems (cap reached)",
            count,
            file=file,
        )
    else:
        line = ngettext("{file}: invalid, {count} problem", "{file}: invalid, {count} problems", count, file=file)
    typer.echo(line)
    for problem in verdict.problems:
        typer.echo(f"  {problem}")


@app.command("validate", epilog="Example: supplychain validate events.jsonld --json")
def validate_command(
    files: list[Path] = typer.Argument(  # noqa: B008
        ...,
        help="EPCIS 2.0 documents, query documents or single events, JSON-LD or XML (told apart by content).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with a verdict per file."),
    max_bytes: int = typer.Option(
        DEFAULT_LIMITS.max_document_bytes,
        "--max-bytes",
        min=1,
        help="The capture size limit to apply (the platform's max_capture_bytes).",
    ),
) -> None:
    """Check EPCIS files with the very checks capture runs, and list every problem.

    Each problem names its event (index and eventID), the field's path and why.
    Example:

        $ supplychain validate shipment.jsonld receipt.xml
        shipment.jsonld: invalid, 1 problem
          event 0 at epcisBody.eventList[0].action: unknown action 'CREATE'...
        receipt.xml: valid EPCISDocument (2 events)

    Exit code: 0 all valid; 1 some file invalid (capture would refuse it,
    limits included); 2 some file unreadable (missing, not JSON or XML,
    unsafe XML, not an EPCIS document or event), reported on stderr as
    "error: FILE: REASON". --json prints {"valid", "files": [{"file",
    "status", "kind", "events", "problems": [{"index", "eventID", "path",
    "message"}], "truncated", "reason"}]} instead.
    """
    limits = capture_limits(max_bytes)
    verdicts = [validate_file(path, limits) for path in files]
    if as_json:
        valid = all(v.status == VALID for v in verdicts)
        typer.echo(json.dumps({"valid": valid, "files": [v.to_json() for v in verdicts]}, ensure_ascii=False))
    else:
        for verdict in verdicts:
            _print(verdict)
    code = max(_EXIT[v.status] for v in verdicts)
    if code:
        raise typer.Exit(code=code)
