"""Errors a caller can act on, each mapped to an HTTP status and a FHIR OperationOutcome.

CDS Hooks 3.0 ("Returning OperationOutcome") recommends an OperationOutcome body for every non-2xx answer.
Messages here go to the caller: they name the field or check that failed, never PHI, tokens or internals.
"""

from __future__ import annotations

from typing import Any


def operation_outcome(
    message: str,
    *,
    code: str,
    severity: str = "error",
    expression: list[str] | None = None,
    diagnostics: str | None = None,
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "details": {"text": message}}
    if diagnostics:
        issue["diagnostics"] = diagnostics
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


class CDSError(Exception):
    """Base of every error answered to the caller; subclasses fix the status and issue code."""

    status_code = 400
    issue_code = "invalid"

    def __init__(self, message: str, *, expression: list[str] | None = None, diagnostics: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.diagnostics = diagnostics

    def to_outcome(self) -> dict[str, Any]:
        return operation_outcome(
            self.message, code=self.issue_code, expression=self.expression, diagnostics=self.diagnostics
        )

    @property
    def headers(self) -> dict[str, str]:
        return {}


class InvalidRequest(CDSError):
    status_code = 400
    issue_code = "invalid"


class Unauthorized(CDSError):
    status_code = 401
    issue_code = "security"

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class NotFound(CDSError):
    status_code = 404
    issue_code = "not-found"


class MethodNotAllowed(CDSError):
    status_code = 405
    issue_code = "not-supported"


class PrefetchUnavailable(CDSError):
    """Required FHIR data is neither prefetched nor obtainable from the FHIR server (CDS Hooks: 412)."""

    status_code = 412
    issue_code = "processing"


class PayloadTooLarge(CDSError):
    status_code = 413
    issue_code = "too-costly"


class UnsupportedMediaType(CDSError):
    status_code = 415
    issue_code = "not-supported"


class ServiceUnavailable(CDSError):
    """A dependency (replay cache, database) is down: try again later."""

    status_code = 503
    issue_code = "transient"


class InternalError(CDSError):
    """Something we did not foresee: answered generically, details only in our log."""

    status_code = 500
    issue_code = "exception"
