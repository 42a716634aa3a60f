"""Every fixture through the real app: status 200, standard-conformant cards (checked by conftest), and the
cards a clinician should see for each situation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import fixture_names, load_fixture, service_url

EXPECTED: dict[str, list[tuple[str, str]]] = {
    "patient-view-normal": [],
    "patient-view-mild-leukopenia": [("low-count", "info"), ("deficiency-workup", "info")],
    "patient-view-severe-leukopenia": [("low-count", "critical"), ("unexplained-workup", "info")],
    "patient-view-clozapine": [("low-count", "warning"), ("medication-review", "warning")],
    "patient-view-b12-deficiency": [("low-count", "info"), ("deficiency-workup", "info")],
    "patient-view-febrile-neutropenia": [
        ("febrile-neutropenia", "critical"),
        ("medication-review", "warning"),
        ("growth-factor", "info"),
    ],
    "order-sign-methotrexate": [("low-count", "warning"), ("medication-review", "warning")],
    "order-select-azathioprine": [
        ("low-count", "warning"),
        ("medication-review", "warning"),
        ("unexplained-workup", "info"),
    ],
    "result-sign-new-leukopenia": [
        ("low-count", "warning"),
        ("deficiency-workup", "info"),
        ("unexplained-workup", "info"),
    ],
}


async def call(client: httpx.AsyncClient, name: str) -> list[dict[str, Any]]:
    body = load_fixture(name)
    response = await client.post(service_url(body), json=body)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def kinds(cards: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(c["source"]["topic"]["code"], c["indicator"]) for c in cards]


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(EXPECTED) == fixture_names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_fixture_gives_the_expected_cards(client: httpx.AsyncClient, name: str) -> None:
    cards = await call(client, name)
    assert kinds(cards) == EXPECTED[name]
    assert len(cards) <= 4
    tests = [
        a["resource"]["code"]["coding"][0]["code"]
        for c in cards
        for s in c.get("suggestions", [])
        for a in s["actions"]
        if a["type"] == "create"
    ]
    assert len(tests) == len(set(tests)), "no test suggested twice"


async def test_normal_patient_gets_no_cards(client: httpx.AsyncClient) -> None:
    assert await call(client, "patient-view-normal") == []
