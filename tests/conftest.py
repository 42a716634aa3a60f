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
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings

from cds_service.app import create_app
from cds_service.cli import SERVICE_FOR_HOOK
from cds_service.settings import Settings
from tests.conformance import check_operation_outcome, check_service_response

# Property tests check invariants, not speed: no per-example deadline on a busy 2-core CI machine.
hypothesis_settings.register_profile("leukopenia", deadline=None, print_blob=True)
hypothesis_settings.load_profile("leukopenia")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# fixtures/README.md: the requests are written as of this moment.
FIXTURE_NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


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
        if not request.url.path.endswith("/feedback"):
            check_service_response(response.json())
    else:
        assert response.headers["content-type"].startswith("application/json")
        check_operation_outcome(response.json())


class AppClient(httpx.AsyncClient):
    """An httpx client bound to one app instance; closing it closes the app's pools and database too."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__(
            transport=httpx.ASGITransport(app=app),
            base_url="http://127.0.0.1:8000",
            event_hooks={"response": [_check_response]},
        )
        self.app = app

    async def __aexit__(self, *args: Any) -> None:
        await super().__aexit__(*args)
        await self.app.state.service.close()


AppClientFactory = Callable[..., AppClient]


def settings_for_tests(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a test app: authentication off and a fresh SQLite file, unless a test says otherwise."""
    values: dict[str, Any] = {"auth": "off", "database_url": f"sqlite+aiosqlite:///{tmp_path / 'cds.db'}"}
    return Settings(**(values | overrides))


@pytest.fixture
def make_client(tmp_path: Path) -> AppClientFactory:
    def factory(settings: Settings | None = None, **kwargs: Any) -> AppClient:
        if settings is None:
            settings = settings_for_tests(tmp_path)
        elif "database_url" not in settings.model_fields_set:
            settings = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'cds.db'}"})
        if "auth" not in settings.model_fields_set:
            settings = settings.model_copy(update={"auth": "off"})
        return AppClient(create_app(settings, clock=lambda: FIXTURE_NOW, **kwargs))

    return factory


@pytest.fixture
async def client(make_client: AppClientFactory) -> AsyncIterator[AppClient]:
    async with make_client() as c:
        yield c
