"""The ASGI app and its factory: wiring only. ``cds_service.app:app`` is what ASGI servers load."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from cards.catalogue import load_catalogue
from cds_service.api.errors import (
    LastResortMiddleware,
    cds_error_handler,
    http_error_handler,
    validation_error_handler,
)
from cds_service.api.routes import ServiceState, router
from cds_service.auth.jwks import JwksCache
from cds_service.auth.replay import MemoryReplayCache, RedisReplayCache, ReplayCache
from cds_service.auth.verify import ClientAuthenticator
from cds_service.clinical.knowledge import load_knowledge
from cds_service.data.fhir_client import FhirReader
from cds_service.data.gather import DataGatherer
from cds_service.feedback.storage import FeedbackStore
from cds_service.logs import configure_logging
from cds_service.pipeline import Clock, HookPipeline, system_clock
from cds_service.protocol.errors import CDSError
from cds_service.protocol.services import load_services
from cds_service.settings import Settings, get_settings


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = system_clock,
    fhir_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    logger = configure_logging(settings.log_level)
    kb = load_knowledge()
    catalogue = load_catalogue()
    fhir_http = httpx.AsyncClient(
        transport=fhir_transport,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        headers={"User-Agent": "leukopenia-cds"},
    )
    reader = FhirReader(
        fhir_http,
        request_timeout=settings.fhir_request_timeout_ms / 1000,
        max_pages=settings.fhir_max_pages,
    )
    gatherer = DataGatherer(reader, settings)
    replay: ReplayCache = (
        RedisReplayCache(settings.redis_url) if settings.replay_cache == "redis" else MemoryReplayCache()
    )
    authenticator = None
    if settings.auth == "required":
        authenticator = ClientAuthenticator(
            JwksCache(settings.trusted_issuers, fhir_http, settings.jwks_refresh_seconds),
            replay,
            clock_skew=settings.jwt_clock_skew_seconds,
            max_lifetime=settings.jwt_max_lifetime_seconds,
        )
    state = ServiceState(
        settings=settings,
        services=load_services(kb),
        pipeline=HookPipeline(kb, catalogue, gatherer, settings.base_url, clock),
        knowledge_version=kb.version,
        logger=logger,
        authenticator=authenticator,
        store=FeedbackStore(settings.database_url),
        closers=(fhir_http.aclose, replay.close),
    )
    if authenticator is None:
        logger.warning("authentication is OFF: any caller can use this service; set LEUKO_AUTH=required in production")
    elif not settings.trusted_issuers:
        logger.warning("LEUKO_TRUSTED_ISSUERS is empty: every call will be refused with 401")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await state.store.migrate()
        logger.info("service started", extra={"knowledge_version": kb.version, "services": len(state.services)})
        yield
        await state.close()

    app = FastAPI(
        title="leukopenia-cds",
        summary="CDS Hooks service for leukopenia and neutropenia",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.service = state
    app.include_router(router)
    app.add_exception_handler(CDSError, cds_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_middleware(LastResortMiddleware)
    # The Sandbox and other browser clients call from another origin with a bearer token, never cookies.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=False,
        max_age=600,
    )
    return app


app = create_app()
