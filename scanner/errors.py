"""What the scanner reports besides a verdict: inputs it cannot use (exit 2) and warnings beside the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanner.messages import ERRORS, NOTICES, say
from supplychain.i18n import Lang

__all__ = ["Notice", "ScannerInputError"]


class ScannerInputError(Exception):
    """The input cannot be used: no bundle could be had, or the chain cannot be read (the command exits 2).

    Attributes:
        code: A stable code (``no_qr_code``, ``platform_unreachable``, ``node_unreachable`` ...; see
            :data:`scanner.messages.ERRORS`).
        params: What and where (file, URL, host, detail), filled into the message.
    """

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = {k: str(v) for k, v in params.items()}
        super().__init__(self.message("en"))

    def message(self, lang: Lang) -> str:
        """The message in ``lang`` (``zh-CN`` or ``en``)."""
        return say(lang, ERRORS[self.code], **self.params)

    def to_json(self) -> dict[str, Any]:
        """``{"code", "message", "params"}`` (message in English)."""
        return {"code": self.code, "message": self.message("en"), "params": self.params}


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning shown beside the verdict (it does not change it): a recalled lot, a truncated bundle, a registry
    address taken from the bundle itself.

    Attributes:
        code: A stable code (``recalled``, ``truncated``, ``registry_from_bundle``; see
            :data:`scanner.messages.NOTICES`).
        params: Filled into the message.
    """

    code: str
    params: dict[str, str] = field(default_factory=dict)

    def message(self, lang: Lang) -> str:
        """The message in ``lang`` (``zh-CN`` or ``en``)."""
        return say(lang, NOTICES[self.code], **self.params)

    def to_json(self) -> dict[str, Any]:
        """``{"code", "message", "params"}`` (message in English)."""
        return {"code": self.code, "message": self.message("en"), "params": self.params}
