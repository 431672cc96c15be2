"""The platform, seen by the audit: its authenticated export over HTTP (httpx), and nothing else.

Pages are read one ahead in a background thread while the previous page is checked.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from backend.audit.errors import AuditAuthError, AuditUnavailableError
from backend.audit.worker import line_id

__all__ = ["PlatformClient"]

NDJSON = "application/x-ndjson"
_DONE = object()


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class PlatformClient:
    """The platform's export, read with the regulator's token.

    Args:
        url: The platform's base URL (``http://127.0.0.1:8000``).
        token: The regulator's API token.
        timeout: Seconds one request may take.
        transport: An httpx transport (tests).
    """

    def __init__(
        self, url: str, token: str, *, timeout: float = 120.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}", "Accept": NDJSON}
        if urlsplit(self.url).hostname in _LOOPBACK:
            headers["Accept-Encoding"] = "identity"  # compressing on this machine only costs both sides CPU
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _get(self, path: str, **params: Any) -> httpx.Response:
        try:
            response = self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise AuditUnavailableError(f"the platform at {self.url} cannot be reached: {exc}") from exc
        if response.status_code in (401, 403):
            raise AuditAuthError(
                f"the platform at {self.url} refused the token ({response.status_code}: {_detail(response)}); "
                "use a regulator's token (supplychain tokens create --regulator)"
            )
        if response.status_code != 200:
            raise AuditUnavailableError(
                f"GET {path} answered {response.status_code}: {_detail(response)} (is {self.url} the platform?)"
            )
        return response

    def status(self) -> dict[str, Any]:
        """``GET /export/status``: the last event and batch ids stored now."""
        response = self._get("/export/status")
        try:
            status: dict[str, Any] = response.json()
            int(status["lastEventId"]), int(status["lastBatchId"]), int(status.get("lastMasterDataId", 0))
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditUnavailableError(f"{self.url}/export/status is not the platform's export status: {exc}") from exc
        return status

    def pages(self, path: str, *, after: int, until: int | None, limit: int = 10_000) -> Iterator[bytes]:
        """The records of ``path`` after id ``after`` up to id ``until`` (``None``: to the end), page by page, each
        page as NDJSON (one record per line, each line ending in a newline); the next page is fetched while the
        caller works on this one."""
        results: queue.Queue[object] = queue.Queue(maxsize=2)
        stop = threading.Event()

        def fetch() -> None:
            cursor = after
            try:
                while not stop.is_set():
                    page = self._get(path, after=cursor, limit=limit).content
                    if page and not page.endswith(b"\n"):
                        page += b"\n"
                    count = page.count(b"\n")
                    if not count:
                        break
                    last = _last_id(page)
                    if until is not None and (last is None or last > until):
                        kept = [line for line in page.split(b"\n") if line and (_any_id(line) or 0) <= until]
                        if kept:
                            results.put(b"\n".join(kept) + b"\n")
                        break
                    results.put(page)
                    if count < limit or last is None or last <= cursor:
                        break
                    cursor = last
                results.put(_DONE)
            except BaseException as exc:  # handed to the reading thread, raised there
                results.put(exc)

        thread = threading.Thread(target=fetch, name=f"export-{path}", daemon=True)
        thread.start()
        try:
            while True:
                item = results.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc] # a page
        finally:
            stop.set()
            while thread.is_alive():  # unblock a producer waiting on a full queue
                try:
                    results.get_nowait()
                except queue.Empty:
                    thread.join(0.05)


def _last_id(page: bytes) -> int | None:
    """The id of the last record of a page (which ends in a newline)."""
    start = page.rfind(b"\n", 0, len(page) - 1) + 1
    return _any_id(page[start:-1])


def _any_id(line: bytes) -> int | None:
    """A record's id: from the start of its line when the line starts with it, else from the parsed record."""
    found = line_id(line)
    return found if found is not None else _slow_id(line)


def _slow_id(line: bytes) -> int | None:
    try:
        value = orjson.loads(line).get("id")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return value if type(value) is int else None


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text[:200]))
    except (ValueError, AttributeError):
        return response.text[:200] or response.reason_phrase
