"""Shared fixtures: the real app through httpx.ASGITransport, with every response checked against the
CDS Hooks rules, and the clock pinned to the fixtures' reference time."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cds_service.app import create_app
from cds_service.settings import Settings
from tests.conformance import check_operation_outcome, check_service_response

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# fixtures/README.md: the requests are written as of this moment.
FIXTURE_NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
SERVICE_FOR_HOOK = {
    "patient-view": "leukopenia-patient-view",
    "order-select": "leukopenia-order-select",
    "order-sign": "leukopenia-order-sign",
    "io.github.leukopenia-cds.result-sign": "leukopenia-result-sign",
}


def fixture_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.json"))


def load_fixture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return body


def service_url(body: dict[str, Any]) -> str:
    return f"/cds-services/{SERVICE_FOR_HOOK[body['hook']]}"


async def _check_response(response: httpx.Response) -> None:
    """Every answer the suite sees must follow the standard: cards on 200, an OperationOutcome otherwise."""
    request = response.request
    await response.aread()
    if request.method != "POST" or not request.url.path.startswith("/cds-services/"):
        return
    if response.status_code == 200:
        check_service_response(response.json())
    else:
        assert response.headers["content-type"].startswith("application/json")
        check_operation_outcome(response.json())


AppClientFactory = Callable[..., httpx.AsyncClient]


@pytest.fixture
def make_client() -> AppClientFactory:
    def factory(settings: Settings | None = None, **kwargs: Any) -> httpx.AsyncClient:
        app = create_app(settings or Settings(), clock=lambda: FIXTURE_NOW, **kwargs)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://127.0.0.1:8000",
            event_hooks={"response": [_check_response]},
        )

    return factory


@pytest.fixture
async def client(make_client: AppClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c
