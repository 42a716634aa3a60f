"""What each card says: the evidence (values, dates, drugs), the source, and its suggestions."""

from __future__ import annotations

from typing import Any

import httpx

from cds_service.clinical.knowledge import LOINC
from tests.test_fixtures_end_to_end import call


def card(cards: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(c for c in cards if c["source"]["topic"]["code"] == kind)


async def test_low_count_card_shows_value_date_threshold_grade_trend_and_computed_anc(
    client: httpx.AsyncClient,
) -> None:
    low = card(await call(client, "patient-view-severe-leukopenia"), "low-count")
    assert low["summary"].startswith("Low WBC 1.8 x10^9/L (grade 3) and ANC (computed) 0.45 x10^9/L (grade 4)")
    assert "2026-11-19" in low["summary"] and "falling" in low["summary"]
    detail = low["detail"]
    assert "reported in K/uL" in detail and "adult default" not in detail
    assert "lower limit 4.0 (default for age 18+)" in detail
    assert (
        "Computed as WBC x (neutrophils % + bands %) / 100" in detail
        and "from WBC 1.8 x10^9/L, neutrophils 22%, bands 3%" in detail
    )
    assert "low on 3 consecutive results since 2026-10-21" in detail
    assert low["source"]["icon"] == "http://127.0.0.1:8000/static/icon.png"


async def test_lab_reference_range_is_used_and_named(client: httpx.AsyncClient) -> None:
    low = card(await call(client, "patient-view-mild-leukopenia"), "low-count")
    assert "lower limit 4.0 (lab reference range)" in low["detail"]


async def test_febrile_card_is_critical_carries_the_count_and_says_what_to_do(client: httpx.AsyncClient) -> None:
    cards = await call(client, "patient-view-febrile-neutropenia")
    febrile = cards[0]
    assert febrile["indicator"] == "critical" and febrile["source"]["topic"]["code"] == "febrile-neutropenia"
    assert "ANC 0.3" in febrile["summary"] and "38.6" in febrile["summary"]
    assert "antibiotics within 60 minutes" in febrile["detail"]
    assert not any(c["source"]["topic"]["code"] == "low-count" for c in cards), "merged into the febrile card"
    assert any("doi.org/10.1093/cid/cir073" in link["url"] for link in febrile["links"])


async def test_chemotherapy_suppresses_deficiency_and_unexplained_workups(client: httpx.AsyncClient) -> None:
    codes = {c["source"]["topic"]["code"] for c in await call(client, "patient-view-febrile-neutropenia")}
    assert "deficiency-workup" not in codes and "unexplained-workup" not in codes


async def test_growth_factor_card_lists_criteria_and_informs_only(client: httpx.AsyncClient) -> None:
    gf = card(await call(client, "patient-view-febrile-neutropenia"), "growth-factor")
    assert "Cyclophosphamide" in gf["detail"] and "Febrile neutropenia" in gf["detail"]
    assert "Age 68" in gf["detail"] and "does not order" in gf["detail"]
    assert "suggestions" not in gf


async def test_medication_review_names_drug_class_strength_start_and_monitoring(client: httpx.AsyncClient) -> None:
    review = card(await call(client, "patient-view-clozapine"), "medication-review")
    assert "Clozapine 100 MG Oral Tablet" in review["summary"]
    assert (
        "| Clozapine 100 MG Oral Tablet | Antipsychotic | well documented | 2026-06-12 before the fall |"
        in review["detail"]
    )
    assert "ANC three times weekly" in review["detail"]


async def test_draft_order_gets_delete_and_cbc_suggestions(client: httpx.AsyncClient) -> None:
    review = card(await call(client, "order-sign-methotrexate"), "medication-review")
    assert review["selectionBehavior"] == "any"
    delete, cbc = review["suggestions"]
    assert delete["actions"] == [
        {
            "type": "delete",
            "description": "Remove the draft order for Methotrexate 2.5 MG Oral Tablet",
            "resourceId": "MedicationRequest/draft-mtx-1",
        }
    ]
    resource = cbc["actions"][0]["resource"]
    assert resource["resourceType"] == "ServiceRequest" and resource["status"] == "draft"
    assert resource["code"]["coding"][0] == {
        "system": LOINC,
        "code": "57021-8",
        "display": "CBC W Auto Differential panel - Blood",
    }
    assert resource["subject"] == {"reference": "Patient/pt-mtx"}
    assert {"reference": "Observation/x-wbc-1"} in resource["reasonReference"]


async def test_order_select_checks_only_the_selected_draft(client: httpx.AsyncClient) -> None:
    review = card(await call(client, "order-select-azathioprine"), "medication-review")
    assert "Azathioprine" in review["summary"] and "lisinopril" not in review["detail"]


async def test_deficiency_card_suggests_each_untested_orderable_test_once(client: httpx.AsyncClient) -> None:
    work_up = card(await call(client, "patient-view-mild-leukopenia"), "deficiency-workup")
    codes = [s["actions"][0]["resource"]["code"]["coding"][0]["code"] for s in work_up["suggestions"]]
    assert codes == ["2132-9", "2284-8"]
    assert work_up["selectionBehavior"] == "any"
    assert "Serum copper" in work_up["detail"]


async def test_deficiency_card_reports_low_b12_in_converted_units_without_suggesting_it(
    client: httpx.AsyncClient,
) -> None:
    work_up = card(await call(client, "patient-view-b12-deficiency"), "deficiency-workup")
    assert work_up["summary"] == "Possible nutritional cause: vitamin B12 deficient"
    assert "Vitamin B12: **159.89 pg/mL** on 2026-11-16: deficient" in work_up["detail"]
    assert "suggestions" not in work_up  # B12 was tested; folate normal; copper is not orderable


async def test_every_card_cites_the_knowledge_base_version_and_has_override_reasons(client: httpx.AsyncClient) -> None:
    for c in await call(client, "order-select-azathioprine"):
        assert "_Knowledge base 2026.11.1+" in c["detail"]
        assert all(r["system"] and r["code"] and r["display"] for r in c["overrideReasons"])


def render(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from cards.builder import CardContext, render_cards
    from cards.catalogue import load_catalogue
    from cds_service.clinical.knowledge import load_knowledge
    from tests.builders import assess_raw
    from tests.conformance import check_card

    cards = render_cards(
        assess_raw(resources), CardContext("patient-view", "pt-1", "http://x"), load_catalogue(), load_knowledge()
    )
    for issued in cards:
        check_card(issued.card)
    return [c.card for c in cards]


def test_an_uninterpretable_latest_count_gets_an_info_card_saying_so() -> None:
    from tests.builders import observation

    [only] = render([observation("wbc", 3.1, "cells/hpf", "2026-11-18T08:00:00Z", ucum=False)])
    assert only["indicator"] == "info"
    assert only["summary"] == "Latest WBC could not be interpreted: unit not recognised"
    assert "'cells/hpf'" in only["detail"]


def test_every_trend_reads_as_a_sentence() -> None:
    from tests.builders import observation

    cases = {"persistent": [3.5, 3.4], "falling": [6.0, 3.5, 2.8], "recovering": [2.0, 3.0], "new": [6.0, 3.5]}
    for label, values in cases.items():
        resources = [observation("wbc", v, "10*3/uL", f"2026-11-{10 + i:02d}T08:00:00Z") for i, v in enumerate(values)]
        low = next(c for c in render(resources) if c["source"]["topic"]["code"] == "low-count")
        assert low["summary"].endswith(f", {label}")
        assert f"**Trend:** {label.capitalize()}" in low["detail"]


def test_an_absurdly_large_count_is_still_rendered() -> None:
    from tests.builders import observation

    cards = render([observation("wbc", 1e26, "10*3/uL", "2026-11-18T08:00:00Z", low=1e27)])
    assert "100000000000000000000000000.0 x10^9/L" in cards[0]["detail"]
