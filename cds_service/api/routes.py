"""Routes: discovery, the service calls, health, and the card icon."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from cards.builder import IssuedCard
from cards.catalogue import ICON
from cds_service.api.responses import JsonResponse, outcome_response
from cds_service.auth.verify import ClientAuthenticator, ClientIdentity
from cds_service.feedback.models import parse_feedback
from cds_service.feedback.storage import FeedbackStore, IssuedCardRecord
from cds_service.pipeline import HookPipeline
from cds_service.protocol.errors import (
    CDSError,
    InternalError,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from cds_service.protocol.request import parse_hook_request, parse_json_body
from cds_service.protocol.services import ServiceDefinition, discovery_document
from cds_service.settings import Settings

router = APIRouter()


@dataclass(frozen=True)
class ServiceState:
    settings: Settings
    services: dict[str, ServiceDefinition]
    pipeline: HookPipeline
    knowledge_version: str
    logger: logging.Logger
    authenticator: ClientAuthenticator | None
    store: FeedbackStore
    closers: tuple[Callable[[], Awaitable[None]], ...] = ()

    async def close(self) -> None:
        await self.store.close()
        for close in self.closers:
            await close()

    async def authenticate(self, request: Request) -> ClientIdentity | None:
        """The calling CDS client, or None when authentication is off. `aud` must be the URL called."""
        if self.authenticator is None:
            return None
        audience = f"{self.settings.base_url}{request.url.path}"
        return await self.authenticator.authenticate(request.headers.get("authorization"), audience)


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


@router.get("/cds-services")
async def discovery(request: Request) -> Response:
    state = _state(request)
    await state.authenticate(request)
    return JsonResponse(discovery_document(state.services))


@router.post("/cds-services/{service_id}")
async def call_service(service_id: str, request: Request) -> Response:
    state = _state(request)
    started = time.perf_counter()
    log: dict[str, object] = {"service": service_id, "hookInstance": None}
    try:
        client = await state.authenticate(request)
        log["tenant"] = client.tenant if client else None
        service = state.services.get(service_id)
        if service is None:
            raise NotFound(f"Unknown CDS Service '{service_id}'; see /cds-services.", expression=["id"])
        body = await _read_json_body(request, state.settings.max_body_bytes)
        hook_request = parse_hook_request(parse_json_body(body), service.hook)
        log["hookInstance"] = hook_request.hookInstance  # a validated UUID, never free text
        outcome = await state.pipeline.run(hook_request, service)
    except CDSError as exc:
        _log_call(state, log, exc.status_code, started, error=exc.message)
        return outcome_response(exc.to_outcome(), exc.status_code, exc.headers)
    except Exception:
        state.logger.exception("unexpected error", extra=log)
        error = InternalError("The service could not evaluate this request; the error has been logged.")
        _log_call(state, log, error.status_code, started)
        return outcome_response(error.to_outcome(), error.status_code)
    _log_call(
        state,
        log,
        200,
        started,
        cards=[{"uuid": c.uuid, "kind": c.kind, "indicator": c.indicator} for c in outcome.cards],
        knowledge_version=state.knowledge_version,
        dropped_resources=outcome.dropped_resources,
        fetched=list(outcome.fetched_keys),
    )
    # Recording the cards for feedback is a database write: done once the answer is on its way to the EHR.
    recording = BackgroundTask(_record_cards, state, service_id, outcome.cards, client)
    return JsonResponse(outcome.response, background=recording)


async def _record_cards(
    state: ServiceState, service_id: str, cards: tuple[IssuedCard, ...], client: ClientIdentity | None
) -> None:
    """Keep each card's uuid, kind and indicator so feedback can be tied to it. A storage failure must not
    withhold the cards from the clinician: it is logged and the answer goes out."""
    try:
        records = [IssuedCardRecord(c.uuid, c.kind, c.indicator) for c in cards]
        await state.store.record_issued(service_id, records, state.knowledge_version, client.tenant if client else None)
    except Exception:
        state.logger.exception("could not record issued cards", extra={"service": service_id})


@router.post("/cds-services/{service_id}/feedback")
async def post_feedback(service_id: str, request: Request) -> Response:
    state = _state(request)
    try:
        client = await state.authenticate(request)
        if service_id not in state.services:
            raise NotFound(f"Unknown CDS Service '{service_id}'; see /cds-services.", expression=["id"])
        items = parse_feedback(parse_json_body(await _read_json_body(request, state.settings.max_body_bytes)))
        result = await state.store.store_feedback(service_id, items.feedback, client.tenant if client else None)
    except CDSError as exc:
        return outcome_response(exc.to_outcome(), exc.status_code, exc.headers)
    except Exception:
        state.logger.exception("unexpected error storing feedback", extra={"service": service_id})
        error = InternalError("The feedback could not be stored; the error has been logged.")
        return outcome_response(error.to_outcome(), error.status_code)
    state.logger.info(
        "feedback",
        extra={
            "service": service_id,
            "stored": result.stored,
            "duplicates": result.duplicates,
            "unmatched": result.unmatched,
        },
    )
    return JsonResponse({})


@router.get("/admin/feedback-report")
async def feedback_report(request: Request) -> Response:
    """Acceptance and override rates per card kind and override reason, for clinical governance."""
    state = _state(request)
    await state.authenticate(request)
    return JsonResponse((await state.store.report()).as_json())


def _log_call(state: ServiceState, log: dict[str, object], status: int, started: float, **extra: object) -> None:
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    state.logger.info("hook call", extra={**log, "status": status, "latency_ms": latency_ms, **extra})


async def _read_json_body(request: Request, limit: int) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type must be application/json, not '{content_type or 'none'}'.")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # chunked bodies have no Content-Length: count as they arrive
            raise PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/healthz")
async def healthz() -> Response:
    return JsonResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    state = _state(request)
    return JsonResponse(
        {"status": "ready", "knowledgeVersion": state.knowledge_version, "services": len(state.services)}
    )


@router.get("/static/icon.png")
async def icon() -> Response:
    return FileResponse(ICON, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})
