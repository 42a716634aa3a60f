"""Every error answered as a FHIR OperationOutcome, mapped in one place."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from cds_service.api.responses import outcome_response
from cds_service.logs import LOGGER_NAME
from cds_service.protocol.errors import CDSError, operation_outcome

_HTTP_ISSUE_CODES = {404: "not-found", 405: "not-supported", 413: "too-costly", 415: "not-supported"}


async def cds_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, CDSError)
    return outcome_response(exc.to_outcome(), exc.status_code, exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        message = f"No resource at {request.url.path}; CDS Services are listed at /cds-services."
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    else:
        message = str(exc.detail)
    code = _HTTP_ISSUE_CODES.get(exc.status_code, "processing")
    return outcome_response(operation_outcome(message, code=code), exc.status_code, dict(exc.headers or {}))


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """Last resort for errors outside the service routes' own handling: logged here, generic to the caller."""
    logging.getLogger(LOGGER_NAME).error(
        "unexpected error", exc_info=(type(exc), exc, exc.__traceback__), extra={"path": request.url.path}
    )
    outcome = operation_outcome(
        "The service could not answer this request; the error has been logged.", code="exception"
    )
    return outcome_response(outcome, 500)


async def validation_error_handler(_: Request, exc: Exception) -> Response:
    return outcome_response(operation_outcome("Invalid request.", code="invalid"), 400)
