"""Fault paths a real FHIR server can't easily produce, with respx standing in for the EHR's server:
5xx, 401, invalid JSON, a `next` link to another host, optional data that fails, and the safety settings."""

from __future__ import annotations

import copy
import time
from typing import Any

import httpx
import pytest
import respx

from cds_service.settings import Settings
from tests.builders import medication, order_by_reference
from tests.conformance import check_operation_outcome
from tests.conftest import AppClientFactory, load_fixture, service_url

FHIR = "https://ehr.example.org/fhir"
TOKEN = "secret-token-1234"


def request_without(*keys: str, fixture: str = "patient-view-mild-leukopenia") -> dict[str, Any]:
    body = copy.deepcopy(load_fixture(fixture))
    body["fhirServer"] = FHIR
    body["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/*.read",
        "subject": "leukopenia-cds",
    }
    for key in keys:
        del body["prefetch"][key]
    return body


def searchset(resources: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


async def post(
    make_client: AppClientFactory, router: respx.Router, body: dict[str, Any], settings: Settings | None = None
) -> httpx.Response:
    async with make_client(settings or Settings(), fhir_transport=httpx.MockTransport(router.async_handler)) as c:
        return await c.post(service_url(body), json=body)


def outcome_text(response: httpx.Response) -> str:
    check_operation_outcome(response.json())
    return str(response.json()["issue"][0]["details"]["text"])


async def test_one_retry_after_a_5xx_recovers(make_client: AppClientFactory) -> None:
    body = request_without("medications")
    router = respx.Router()
    route = router.get(f"{FHIR}/MedicationRequest").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=searchset([]))]
    )
    response = await post(make_client, router, body)
    assert response.status_code == 200 and route.call_count == 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.Response(500), "answered HTTP 500"),
        (httpx.Response(401, json={"resourceType": "OperationOutcome"}), "answered HTTP 401"),
        (httpx.Response(200, content=b"<html>login</html>"), "invalid JSON"),
    ],
)
async def test_required_data_that_cannot_be_read_is_412_naming_key_and_reason(
    make_client: AppClientFactory, answer: httpx.Response, message: str
) -> None:
    body = request_without("hematology")
    router = respx.Router()
    router.get(f"{FHIR}/Observation").mock(return_value=answer)
    response = await post(make_client, router, body)
    assert response.status_code == 412
    text = outcome_text(response)
    assert "hematology" in text and message in text and TOKEN not in response.text


async def test_a_hanging_server_is_cut_off_by_the_time_budget(make_client: AppClientFactory) -> None:
    import asyncio

    async def hang(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json=searchset([]))

    router = respx.Router()
    router.get(f"{FHIR}/MedicationRequest").mock(side_effect=hang)
    start = time.perf_counter()
    response = await post(make_client, router, request_without("medications"), Settings(fhir_fetch_budget_ms=200))
    assert response.status_code == 412 and "time budget" in outcome_text(response)
    assert time.perf_counter() - start < 2  # not the 5 s the server would take (slack for a busy CI)


async def test_a_next_link_to_another_host_is_refused_and_gets_no_token(make_client: AppClientFactory) -> None:
    body = request_without("medications")
    router = respx.Router()
    router.get(f"{FHIR}/MedicationRequest").mock(
        return_value=httpx.Response(200, json=searchset([], next_url="https://evil.example.com/steal?page=2"))
    )
    foreign = router.get(url__startswith="https://evil.example.com").mock(return_value=httpx.Response(200))
    response = await post(make_client, router, body)
    assert response.status_code == 412 and "outside the fhirServer origin" in outcome_text(response)
    assert foreign.call_count == 0


async def test_optional_data_that_fails_is_reported_in_the_card_and_the_rest_is_evaluated(
    make_client: AppClientFactory,
) -> None:
    body = request_without("deficiency-labs")
    router = respx.Router()
    router.get(f"{FHIR}/Observation").mock(return_value=httpx.Response(502))
    response = await post(make_client, router, body)
    assert response.status_code == 200
    cards = {c["source"]["topic"]["code"]: c for c in response.json()["cards"]}
    assert "low-count" in cards
    work_up = cards["deficiency-workup"]
    assert "could not be read" in work_up["summary"] + work_up["detail"]
    assert "suggestions" not in work_up  # never suggest tests that may already have been done


async def test_fhir_server_outside_the_allow_list_is_never_called(make_client: AppClientFactory) -> None:
    router = respx.Router()
    route = router.get(url__startswith=FHIR).mock(return_value=httpx.Response(200, json=searchset([])))
    settings = Settings(fhir_allowed_origins=["https://other-ehr.example.org"])
    response = await post(make_client, router, request_without("medications"), settings)
    assert response.status_code == 412 and "allowed FHIR servers" in outcome_text(response)
    assert route.call_count == 0


async def test_https_can_be_required(make_client: AppClientFactory) -> None:
    body = request_without("medications")
    body["fhirServer"] = "http://ehr.example.org/fhir"
    router = respx.Router()
    response = await post(make_client, router, body, Settings(fhir_require_https=True))
    assert response.status_code == 412 and "https" in outcome_text(response)


async def test_no_authorization_means_no_read_unless_unauthenticated_reads_are_allowed(
    make_client: AppClientFactory,
) -> None:
    body = request_without("medications")
    del body["fhirAuthorization"]
    router = respx.Router()
    route = router.get(f"{FHIR}/MedicationRequest").mock(return_value=httpx.Response(200, json=searchset([])))
    refused = await post(make_client, router, body)
    assert refused.status_code == 412 and "fhirAuthorization" in outcome_text(refused)
    allowed = await post(make_client, router, body, Settings(fhir_allow_unauthenticated=True))
    assert allowed.status_code == 200
    assert "authorization" not in route.calls.last.request.headers


async def test_reads_send_the_bearer_token_and_ask_for_fhir_json(make_client: AppClientFactory) -> None:
    router = respx.Router()
    route = router.get(f"{FHIR}/MedicationRequest").mock(return_value=httpx.Response(200, json=searchset([])))
    await post(make_client, router, request_without("medications"))
    headers = route.calls.last.request.headers
    assert headers["authorization"] == f"Bearer {TOKEN}" and headers["accept"] == "application/fhir+json"
    assert "patient=Patient/pt-mild" in str(route.calls.last.request.url).replace("%2F", "/")


async def test_a_medication_reference_in_complete_prefetch_is_read_from_the_server(
    make_client: AppClientFactory,
) -> None:
    body = request_without()
    body["prefetch"]["medications"] = searchset([order_by_reference("mr-1", "med-1", patient="pt-mild")])
    router = respx.Router()
    route = router.get(f"{FHIR}/Medication/med-1").mock(
        return_value=httpx.Response(200, json=medication("med-1", "2626", "clozapine"))
    )
    response = await post(make_client, router, body)
    assert response.status_code == 200 and route.call_count == 1
    assert "medication-review" in {c["source"]["topic"]["code"] for c in response.json()["cards"]}


async def test_unreadable_temperatures_are_named_on_a_severe_neutropenia_card(make_client: AppClientFactory) -> None:
    body = request_without("temperature", fixture="patient-view-severe-leukopenia")
    router = respx.Router()
    router.get(f"{FHIR}/Observation").mock(return_value=httpx.Response(503))
    response = await post(make_client, router, body)
    assert response.status_code == 200
    low = next(c for c in response.json()["cards"] if c["source"]["topic"]["code"] == "low-count")
    assert "febrile neutropenia could not be assessed" in low["detail"]
