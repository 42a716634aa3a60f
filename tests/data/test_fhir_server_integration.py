"""Without prefetch, the service reads the EHR's FHIR server itself: against a real FHIR server on loopback
(Medplum's FHIR router, started by the suite), every fixture gives the same cards as with prefetch."""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cds_service.settings import Settings
from tests.builders import medication, order_by_reference
from tests.conftest import AppClient, AppClientFactory, fixture_names, load_fixture, service_url
from tests.data.fhir_server import FhirTestServer

TOKEN = "test-access-token-9f8e7d"


@pytest.fixture
async def client(make_client: AppClientFactory) -> AsyncIterator[AppClient]:
    """These tests compare answers, not speed: a budget no busy CI machine will exceed. The budget itself is
    tested below with its own settings."""
    async with make_client(Settings(fhir_fetch_budget_ms=10_000, fhir_request_timeout_ms=5_000)) as app_client:
        yield app_client


def authorized(body: dict[str, Any], server: FhirTestServer) -> dict[str, Any]:
    body = copy.deepcopy(body)
    body["fhirServer"] = server.base_url
    body["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read user/Observation.read user/MedicationRequest.read",
        "subject": "leukopenia-cds",
    }
    return body


def comparable(cards: list[dict[str, Any]]) -> Any:
    """Cards without what is new on every call (uuids, ids of suggested resources)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("uuid", "id")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(cards)


async def cards_for(client: httpx.AsyncClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.post(service_url(body), json=body)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


@pytest.mark.parametrize("name", fixture_names())
async def test_without_prefetch_every_fixture_gives_the_same_cards_through_the_fhir_server(
    fhir_server: FhirTestServer, client: AppClient, name: str
) -> None:
    with_prefetch = authorized(load_fixture(name), fhir_server)
    without = copy.deepcopy(with_prefetch)
    del without["prefetch"]
    fhir_server.control()
    expected = await cards_for(client, with_prefetch)
    assert fhir_server.requests() == []  # complete prefetch: nothing to read
    assert comparable(await cards_for(client, without)) == comparable(expected)
    urls = sorted(r["url"].split("?")[0] for r in fhir_server.requests())
    patient = f"/Patient/{without['context']['patientId']}"
    assert urls == ["/MedicationRequest", "/Observation", "/Observation", "/Observation", patient]


async def test_missing_queries_run_concurrently(fhir_server: FhirTestServer, make_client: AppClientFactory) -> None:
    body = authorized(load_fixture("patient-view-clozapine"), fhir_server)
    del body["prefetch"]
    fhir_server.control(delay_ms=150)
    async with make_client(Settings(fhir_fetch_budget_ms=3000, fhir_request_timeout_ms=2000)) as client:
        await cards_for(client, body)
    seen = fhir_server.requests()
    fhir_server.control()
    assert len(seen) == 5
    # Each answer took at least 150 ms; all five were under way at the same moment.
    assert max(r["start"] for r in seen) < min(r["end"] for r in seen)


async def test_only_missing_keys_are_read(fhir_server: FhirTestServer, client: AppClient) -> None:
    body = authorized(load_fixture("patient-view-clozapine"), fhir_server)
    del body["prefetch"]["medications"]
    body["prefetch"]["deficiency-labs"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    fhir_server.control()
    await cards_for(client, body)
    assert sorted(r["url"].split("?")[0] for r in fhir_server.requests()) == ["/MedicationRequest", "/Observation"]


async def test_null_prefetch_is_not_read_again(fhir_server: FhirTestServer, client: AppClient) -> None:
    body = authorized(load_fixture("patient-view-clozapine"), fhir_server)
    body["prefetch"]["medications"] = None
    fhir_server.control()
    cards = await cards_for(client, body)
    assert fhir_server.requests() == []
    assert "medication-review" not in {c["source"]["topic"]["code"] for c in cards}


async def test_the_access_token_goes_to_the_fhir_server_and_never_to_the_log(
    fhir_server: FhirTestServer, client: AppClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = authorized(load_fixture("patient-view-mild-leukopenia"), fhir_server)
    del body["prefetch"]
    fhir_server.control()
    with caplog.at_level(logging.DEBUG):
        await cards_for(client, body)
    assert {r["authorization"] for r in fhir_server.requests()} == {f"Bearer {TOKEN}"}
    assert TOKEN not in caplog.text
    assert "pt-mild" not in caplog.text


async def test_prefetched_bundle_pages_are_followed(fhir_server: FhirTestServer, client: AppClient) -> None:
    body = authorized(load_fixture("patient-view-severe-leukopenia"), fhir_server)
    expected = await cards_for(client, body)
    query = "Observation?patient=Patient/pt-severe&_sort=-date&_count=2"
    first_page = fhir_server.get(query)
    assert any(link["relation"] == "next" for link in first_page["link"])
    body["prefetch"]["hematology"] = first_page  # the client paginated its prefetch
    fhir_server.control()
    assert comparable(await cards_for(client, body)) == comparable(expected)
    assert len(fhir_server.requests()) >= 2  # the later pages, read by following `next`


async def test_page_cap_limits_how_many_pages_are_read(
    fhir_server: FhirTestServer, make_client: AppClientFactory
) -> None:
    body = authorized(load_fixture("patient-view-severe-leukopenia"), fhir_server)
    body["prefetch"]["hematology"] = fhir_server.get("Observation?patient=Patient/pt-severe&_sort=-date&_count=1")
    fhir_server.control()
    async with make_client(
        Settings(fhir_max_pages=3, fhir_fetch_budget_ms=10_000, fhir_request_timeout_ms=5_000)
    ) as client:
        await cards_for(client, body)
    assert len(fhir_server.requests()) == 2  # pages 2 and 3; page 1 came with the prefetch


async def test_medication_references_are_read_when_no_include_brought_them(
    fhir_server: FhirTestServer, client: AppClient
) -> None:
    order = order_by_reference("mr-mmz", "med-mmz", patient="pt-mild")
    fhir_server.put([medication("med-mmz", "6835", "methimazole"), order])
    body = authorized(load_fixture("patient-view-mild-leukopenia"), fhir_server)
    del body["prefetch"]["medications"]
    fhir_server.control()
    try:
        cards = await cards_for(client, body)
    finally:
        fhir_server.put([{**order, "status": "stopped"}])  # leave the shared server as the other tests expect
    assert "/Medication/med-mmz" in [r["url"] for r in fhir_server.requests()]
    review = next(c for c in cards if c["source"]["topic"]["code"] == "medication-review")
    assert "Antithyroid drug" in review["detail"]


async def test_a_slow_server_gives_412_within_the_time_budget(
    fhir_server: FhirTestServer, make_client: AppClientFactory
) -> None:
    import time

    body = authorized(load_fixture("patient-view-clozapine"), fhir_server)
    del body["prefetch"]["hematology"]
    fhir_server.control(delay_ms=1000)
    try:
        async with make_client(Settings(fhir_fetch_budget_ms=300, fhir_request_timeout_ms=120)) as client:
            start = time.perf_counter()
            response = await client.post(service_url(body), json=body)
            elapsed = time.perf_counter() - start
    finally:
        fhir_server.control()
    assert response.status_code == 412
    assert "hematology" in response.text and ("in time" in response.text or "budget" in response.text)
    assert elapsed < 1.0  # the 1 s answer was not awaited: the 300 ms budget held (with slack for a busy CI)
