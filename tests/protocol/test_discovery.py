from __future__ import annotations

import re

import httpx

from cds_service.protocol.hooks import RESULT_SIGN


async def test_discovery_lists_one_service_per_hook(client: httpx.AsyncClient) -> None:
    response = await client.get("/cds-services")
    assert response.status_code == 200
    services = response.json()["services"]
    assert sorted(s["hook"] for s in services) == sorted(["patient-view", "order-select", "order-sign", RESULT_SIGN])
    for service in services:
        assert service["id"] and service["title"] and service["description"] and service["usageRequirements"]
        assert set(service["prefetch"]) == {"patient", "hematology", "temperature", "deficiency-labs", "medications"}


async def test_prefetch_templates_stay_within_the_standards_query_restrictions(client: httpx.AsyncClient) -> None:
    allowed_parameters = {"patient", "code", "status", "_sort", "_count"}
    for service in (await client.get("/cds-services")).json()["services"]:
        for template in service["prefetch"].values():
            assert "today()" not in template and "_include" not in template
            if "?" not in template:
                assert re.fullmatch(r"Patient/\{\{context\.patientId\}\}", template)
                continue
            _, query = template.split("?", 1)
            assert {pair.split("=")[0] for pair in query.split("&")} <= allowed_parameters


async def test_result_sign_hook_is_named_in_reverse_domain_notation() -> None:
    assert re.fullmatch(r"io\.github\.leukopenia-cds\.[a-z]+-[a-z]+", RESULT_SIGN)


async def test_health_endpoints_and_icon(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = (await client.get("/readyz")).json()
    assert ready["status"] == "ready" and ready["knowledgeVersion"]
    icon = await client.get("/static/icon.png")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/png"
    assert icon.content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(icon.content[16:20], "big"), int.from_bytes(icon.content[20:24], "big")
    assert (width, height) == (100, 100)
    assert icon.content[25] == 2  # colour type 2: RGB, no alpha channel (no transparent regions)


async def test_cors_preflight_allows_the_sandbox_origin_with_authorization(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/cds-services/leukopenia-patient-view",
        headers={
            "Origin": "https://sandbox.cds-hooks.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "https://sandbox.cds-hooks.org")
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
