"""Feedback: validated, tied to the card that was issued, stored once, durable across restarts, reported."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from cds_service.feedback.storage import FeedbackStore
from cds_service.settings import Settings
from tests.conftest import AppClientFactory, load_fixture, service_url

FEEDBACK = "/cds-services/leukopenia-order-sign/feedback"


def item(card: str, **fields: Any) -> dict[str, Any]:
    return {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-20T10:05:31Z", **fields}


async def issue_cards(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    body = load_fixture("order-sign-methotrexate")
    response = await client.post(service_url(body), json=body)
    assert response.status_code == 200
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"outcome": "overridden", "outcomeTimestamp": "2026-11-20T10:05:31Z"}, "feedback.0.card"),
        (item("c", outcome="ignored"), "feedback.0.outcome"),
        (item("c", outcome="accepted"), "acceptedSuggestions"),
        (item("c", outcomeTimestamp="2026-11-20T12:05:31+02:00"), "outcomeTimestamp"),
        (item("c", outcomeTimestamp="20 Nov 2026"), "outcomeTimestamp"),
        (item("c", outcomeTimestamp="2026-11-20"), "outcomeTimestamp"),
        (item("c", acceptedSuggestions=[{"label": "x"}]), "acceptedSuggestions.0.id"),
        (item("c", overrideReason={"reason": "not a coding"}), "overrideReason.reason"),
    ],
)
async def test_invalid_feedback_is_400_naming_the_field(make_client: AppClientFactory, entry: Any, field: str) -> None:
    async with make_client() as client:
        response = await client.post(FEEDBACK, json={"feedback": [entry]})
    assert response.status_code == 400
    assert field in response.json()["issue"][0]["details"]["text"]


@pytest.mark.parametrize("body", [{}, {"feedback": []}, {"feedback": "x"}, [1]])
async def test_feedback_body_must_hold_a_non_empty_array(make_client: AppClientFactory, body: Any) -> None:
    async with make_client() as client:
        assert (await client.post(FEEDBACK, json=body)).status_code == 400


async def test_feedback_for_an_unknown_service_is_404(make_client: AppClientFactory) -> None:
    async with make_client() as client:
        response = await client.post("/cds-services/nope/feedback", json={"feedback": [item("c")]})
    assert response.status_code == 404


async def test_feedback_is_tied_to_the_issued_card_and_reported(
    make_client: AppClientFactory, database_url: str
) -> None:
    async with make_client(Settings(database_url=database_url)) as client:
        cards = await issue_cards(client)
        review = next(c for c in cards if c["source"]["topic"]["code"] == "medication-review")
        low = next(c for c in cards if c["source"]["topic"]["code"] == "low-count")
        reason = review["overrideReasons"][0]
        sent = [
            item(review["uuid"], outcome="accepted", acceptedSuggestions=[{"id": review["suggestions"][0]["uuid"]}]),
            item(
                low["uuid"],
                overrideReason={
                    "reason": {"system": reason["system"], "code": "known-and-monitored"},
                    "userComment": "Patient Jane Doe is followed in clinic",
                },
            ),
            item(str(uuid.uuid4())),  # a card we never issued
        ]
        assert (await client.post(FEEDBACK, json={"feedback": sent})).status_code == 200
        report = (await client.get("/admin/feedback-report")).json()
    kinds = {k["kind"]: k for k in report["cardKinds"]}
    assert kinds["medication-review"] == {
        "kind": "medication-review",
        "issued": 1,
        "accepted": 1,
        "overridden": 0,
        "acceptanceRate": 1.0,
        "overrideRate": 0.0,
    }
    assert kinds["low-count"]["overridden"] == 1 and kinds["low-count"]["overrideRate"] == 1.0
    assert report["overrideReasons"] == [
        {"kind": "low-count", "system": reason["system"], "code": "known-and-monitored", "count": 1}
    ]
    assert report["unmatchedFeedback"] == 1
    assert "Jane" not in str(report)


async def test_1000_concurrent_posts_store_1000_rows_duplicates_once_and_survive_a_restart(
    make_client: AppClientFactory, database_url: str
) -> None:
    settings = Settings(database_url=database_url)
    cards = [str(uuid.uuid4()) for _ in range(1000)]
    async with make_client(settings) as client:
        responses = await asyncio.gather(*(client.post(FEEDBACK, json={"feedback": [item(c)]}) for c in cards))
        assert {r.status_code for r in responses} == {200}
        again = await asyncio.gather(*(client.post(FEEDBACK, json={"feedback": [item(c)]}) for c in cards[:100]))
        assert {r.status_code for r in again} == {200}
    # A new process on the same database: the rows are still there, exactly once each.
    store = FeedbackStore(database_url)
    try:
        assert await store.count_feedback() == 1000
        assert (await store.report()).unmatched_feedback == 1000
    finally:
        await store.close()
    async with make_client(settings) as restarted:
        assert (await restarted.get("/admin/feedback-report")).json()["unmatchedFeedback"] == 1000


async def test_the_same_feedback_in_one_request_is_stored_once(make_client: AppClientFactory) -> None:
    async with make_client() as client:
        card = str(uuid.uuid4())
        assert (await client.post(FEEDBACK, json={"feedback": [item(card), item(card)]})).status_code == 200
        assert (await client.get("/admin/feedback-report")).json()["unmatchedFeedback"] == 1


async def test_sqlite_runs_in_wal_mode(tmp_path: Any) -> None:
    from sqlalchemy import text

    store = FeedbackStore(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}")
    try:
        await store.migrate()
        async with store.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    finally:
        await store.close()


async def test_report_cli_prints_rates_per_card_kind(
    make_client: AppClientFactory, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cds_service.cli import _report

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    async with make_client(Settings(database_url=url)) as client:
        cards = await issue_cards(client)
        await client.post(FEEDBACK, json={"feedback": [item(cards[0]["uuid"])]})
    monkeypatch.setenv("LEUKO_DATABASE_URL", url)
    assert await _report(as_json=False) == 0
    out = capsys.readouterr().out
    assert "low-count" in out and "100.0%" in out and "medication-review" in out
