"""Why an audit could not run (exit code 2): the node or the platform unreachable, a refused token, a bad state."""

from __future__ import annotations

__all__ = ["AuditAuthError", "AuditError", "AuditStateFileError", "AuditUnavailableError"]


class AuditError(Exception):
    """The audit could not run; the message says why and what to do."""

    exit_code = 2


class AuditUnavailableError(AuditError):
    """The node or the platform cannot be reached, or answered something the audit cannot use."""


class AuditAuthError(AuditError):
    """The platform refused the token (unknown, revoked, or not the regulator's)."""


class AuditStateFileError(AuditError):
    """The state file cannot be read or is not an audit state."""
