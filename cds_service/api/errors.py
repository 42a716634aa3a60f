"""Every error answered as a FHIR OperationOutcome, mapped in one place."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


async def validation_error_handler(_: Request, exc: Exception) -> Response:
    return outcome_response(operation_outcome("Invalid request.", code="invalid"), 400)


class LastResortMiddleware:
    """Answers any exception that escapes the routes with a generic OperationOutcome, and logs only its type and
    place. It stops the exception here, so no server prints a traceback whose message could carry request data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            logging.getLogger(LOGGER_NAME).error(
                "unexpected error", exc_info=(type(exc), exc, exc.__traceback__), extra={"path": scope.get("path")}
            )
            if started:
                return  # the answer is already under way; nothing more can be said to the caller
            message = "The service could not answer this request; the error has been logged."
            await outcome_response(operation_outcome(message, code="exception"), 500)(scope, receive, send)
