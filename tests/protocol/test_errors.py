"""Every bad input gets a 4xx with an OperationOutcome that says what is wrong (the response hook in
conftest checks the OperationOutcome shape of each)."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from cds_service.settings import Settings
from tests.conftest import AppClientFactory, load_fixture, service_url

PATIENT_VIEW = "/cds-services/leukopenia-patient-view"


def valid() -> dict[str, Any]:
    return load_fixture("patient-view-mild-leukopenia")


def text(response: httpx.Response) -> str:
    return str(response.json()["issue"][0]["details"]["text"])


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        PATIENT_VIEW, content=b'{"hook": "patient-view",', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in text(response)


async def test_body_that_is_not_an_object_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(PATIENT_VIEW, json=[1, 2, 3])
    assert response.status_code == 400 and "JSON object" in text(response)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("hookInstance"), "hookInstance"),
        (lambda b: b.update(hookInstance="not-a-uuid"), "hookInstance"),
        (lambda b: b.update(hookInstance=12345), "hookInstance"),
        (lambda b: b.update(context="patient"), "context"),
        (lambda b: b["context"].pop("patientId"), "context.patientId"),
        (lambda b: b["context"].update(patientId=42), "context.patientId"),
        (lambda b: b["context"].pop("userId"), "context.userId"),
        (lambda b: b.update(fhirServer="fhir.example.org/r4"), "fhirServer"),
        (lambda b: b.update(fhirAuthorization={"access_token": "x"}), "fhirAuthorization.token_type"),
        (
            lambda b: b.update(
                fhirAuthorization={
                    "access_token": "x",
                    "token_type": "MAC",
                    "expires_in": 300,
                    "scope": "user/*.read",
                    "subject": "cds",
                }
            ),
            "fhirAuthorization",
        ),
        (lambda b: b.update(prefetch=["not", "an", "object"]), "prefetch"),
    ],
)
async def test_invalid_request_is_400_naming_the_field(client: httpx.AsyncClient, mutate: Any, field: str) -> None:
    body = valid()
    mutate(body)
    response = await client.post(PATIENT_VIEW, json=body)
    assert response.status_code == 400
    assert field in text(response)


async def test_fhir_authorization_without_fhir_server_is_400(client: httpx.AsyncClient) -> None:
    body = valid()
    body.pop("fhirServer")
    body["fhirAuthorization"] = {
        "access_token": "secret-token-value",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/*.read",
        "subject": "cds",
    }
    response = await client.post(PATIENT_VIEW, json=body)
    assert response.status_code == 400 and "fhirServer" in text(response)
    assert "secret-token-value" not in response.text


async def test_hook_that_does_not_match_the_service_is_400(client: httpx.AsyncClient) -> None:
    body = valid()
    body["hook"] = "order-sign"
    response = await client.post(PATIENT_VIEW, json=body)
    assert response.status_code == 400 and "patient-view" in text(response)


@pytest.mark.parametrize(
    ("fixture", "field"),
    [
        ("order-sign-methotrexate", "draftOrders"),
        ("order-select-azathioprine", "selections"),
        ("result-sign-new-leukopenia", "results"),
    ],
)
async def test_hook_specific_context_is_required(client: httpx.AsyncClient, fixture: str, field: str) -> None:
    body = load_fixture(fixture)
    body["context"].pop(field)
    response = await client.post(service_url(body), json=body)
    assert response.status_code == 400 and f"context.{field}" in text(response)


async def test_draft_orders_must_be_a_bundle(client: httpx.AsyncClient) -> None:
    body = load_fixture("order-sign-methotrexate")
    body["context"]["draftOrders"] = [{"resourceType": "MedicationRequest"}]
    response = await client.post(service_url(body), json=body)
    assert response.status_code == 400 and "Bundle" in text(response)


async def test_unknown_service_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/cds-services/no-such-service", json=valid())
    assert response.status_code == 404 and "no-such-service" in text(response)


async def test_unknown_path_and_wrong_method_answer_operation_outcomes(client: httpx.AsyncClient) -> None:
    missing = await client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"
    wrong = await client.get(PATIENT_VIEW)
    assert wrong.status_code == 405 and wrong.json()["resourceType"] == "OperationOutcome"
    wrong = await client.delete("/cds-services")
    assert wrong.status_code == 405


async def test_non_json_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(PATIENT_VIEW, content=b"hook=patient-view", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415 and "application/json" in text(response)


async def test_body_over_the_limit_is_413(make_client: AppClientFactory) -> None:
    async with make_client(Settings(max_body_bytes=2048)) as small:
        body = json.dumps(valid()).encode()
        assert len(body) > 2048
        response = await small.post(PATIENT_VIEW, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 413

        async def chunks() -> Any:  # no Content-Length: counted as it streams
            for i in range(0, len(body), 512):
                yield body[i : i + 512]

        streamed = await small.post(PATIENT_VIEW, content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413 and "2048" in text(streamed)


async def test_missing_required_prefetch_without_fhir_server_is_412_naming_the_key(client: httpx.AsyncClient) -> None:
    body = valid()
    body.pop("fhirServer")
    del body["prefetch"]["hematology"]
    response = await client.post(PATIENT_VIEW, json=body)
    assert response.status_code == 412
    issue = response.json()["issue"][0]
    assert "hematology" in issue["details"]["text"] and issue["expression"] == ["prefetch.hematology"]


async def test_failed_prefetch_operation_outcome_without_server_is_412(client: httpx.AsyncClient) -> None:
    body = valid()
    body.pop("fhirServer")
    body["prefetch"]["medications"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    response = await client.post(PATIENT_VIEW, json=body)
    assert response.status_code == 412 and "failed" in text(response)


async def test_null_prefetch_means_no_data_and_is_not_an_error(client: httpx.AsyncClient) -> None:
    body = valid()
    body.pop("fhirServer")
    body["prefetch"]["medications"] = None
    body["prefetch"]["deficiency-labs"] = None
    response = await client.post(PATIENT_VIEW, json=body)
    assert response.status_code == 200


async def test_unexpected_error_is_a_generic_500_without_internals(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from cds_service.pipeline import HookPipeline

    async def explode(*_: Any) -> Any:
        raise RuntimeError("internal detail: patient Smith")

    monkeypatch.setattr(HookPipeline, "run", explode)
    response = await client.post(PATIENT_VIEW, json=valid())
    assert response.status_code == 500
    assert "Smith" not in response.text and "Traceback" not in response.text
    assert response.json()["issue"][0]["code"] == "exception"


async def test_a_broken_resource_does_not_hide_the_good_ones(client: httpx.AsyncClient) -> None:
    body = valid()
    good = body["prefetch"]["hematology"]["entry"]
    broken = copy.deepcopy(good[0])
    broken["resource"]["id"] = "broken"
    broken["resource"]["valueQuantity"] = {"value": "three point four", "unit": "10*3/uL"}
    body["prefetch"]["hematology"]["entry"] = [broken, "garbage", {"resource": 7}, *good]
    response = await client.post(PATIENT_VIEW, json=body)
    assert response.status_code == 200
    assert any("3.4" in card["summary"] for card in response.json()["cards"])


async def test_a_prefetched_patient_that_is_not_the_context_patient_is_never_used(client: httpx.AsyncClient) -> None:
    body = valid()
    body.pop("fhirServer")
    body["prefetch"]["patient"]["id"] = "someone-else"
    response = await client.post(PATIENT_VIEW, json=body)
    assert response.status_code == 412 and "different patient" in text(response)


async def test_an_unexpected_error_anywhere_is_a_json_operation_outcome(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cds_service.app import create_app
    from cds_service.feedback.storage import FeedbackStore

    async def broken(*_: Any) -> Any:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(FeedbackStore, "report", broken)
    app = create_app(Settings(auth="off", database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"))
    transport = httpx.ASGITransport(app=app)  # would re-raise an exception that escaped the app
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as raw:
        response = await raw.get("/admin/feedback-report")
    await app.state.service.close()
    assert response.status_code == 500 and response.json()["resourceType"] == "OperationOutcome"
    assert "hunter2" not in response.text
