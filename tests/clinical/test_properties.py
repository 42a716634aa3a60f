"""Invariants the engine must keep whatever the data (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service.clinical.engine import assess
from cds_service.clinical.knowledge import load_knowledge
from cds_service.data.bundles import resources_of
from cds_service.data.gather import GatheredData
from cds_service.pipeline import build_record
from tests.builders import assess_raw, observation, patient
from tests.conftest import FIXTURE_NOW, load_fixture

KB = load_knowledge()
WHEN = "2026-11-18T08:00:00Z"
counts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("30"), places=2)

UNIT_SCALES = [
    ("10*3/uL", 1, True),
    ("10*9/L", 1, True),
    ("/uL", 1000, True),
    ("/mm3", 1000, True),
    ("K/uL", 1, False),
    ("x10E3/uL", 1, False),
    ("thou/uL", 1, False),
]


def finding_of(value: Decimal, unit: str, scale: int, ucum: bool, analyte: str = "wbc") -> Any:
    resource = observation(analyte, float(value * scale), unit, WHEN, ucum=ucum)
    resource["valueQuantity"]["value"] = value * scale  # keep the exact decimal
    assessment = assess_raw([_jsonable(resource)])
    return assessment.wbc if analyte == "wbc" else assessment.anc


def _jsonable(resource: dict[str, Any]) -> dict[str, Any]:
    resource["valueQuantity"]["value"] = float(resource["valueQuantity"]["value"])
    return resource


@given(value=counts, units=st.sampled_from(UNIT_SCALES), analyte=st.sampled_from(["wbc", "anc"]))
def test_the_same_count_in_different_units_gives_the_same_finding(
    value: Decimal, units: tuple[str, int, bool], analyte: str
) -> None:
    reference = finding_of(value, "10*3/uL", 1, True, analyte)
    other = finding_of(value, *units, analyte=analyte)
    assert (other.is_low, other.grade, other.measurement.value) == (
        reference.is_low,
        reference.grade,
        reference.measurement.value,
    )


@given(a=counts, b=counts, analyte=st.sampled_from(["wbc", "anc"]))
def test_a_lower_count_never_gives_a_milder_grade(a: Decimal, b: Decimal, analyte: str) -> None:
    lower, higher = sorted((a, b))
    grade_low = finding_of(lower, "10*3/uL", 1, True, analyte).grade or 0
    grade_high = finding_of(higher, "10*3/uL", 1, True, analyte).grade or 0
    assert grade_low >= grade_high


def cards_signature(resources: list[dict[str, Any]], drafts: list[dict[str, Any]] | None = None) -> Any:
    from cards.builder import CardContext, render_cards
    from cards.catalogue import load_catalogue

    data = GatheredData(patient=patient("1958-09-18"), resources=resources, draft_requests=drafts or [])
    assessment = assess(build_record(data, "pt-1", KB, FIXTURE_NOW), KB, FIXTURE_NOW)
    cards = render_cards(assessment, CardContext("patient-view", "pt-1", "http://x"), load_catalogue(), KB)
    return [(c.kind, c.indicator, c.card["summary"]) for c in cards]


FIXTURE_RESOURCES = {
    name: [
        r
        for key in ("hematology", "temperature", "deficiency-labs", "medications")
        for r in resources_of(load_fixture(name)["prefetch"][key])
    ]
    for name in ("patient-view-severe-leukopenia", "patient-view-febrile-neutropenia", "patient-view-clozapine")
}


@settings(max_examples=40)
@given(name=st.sampled_from(sorted(FIXTURE_RESOURCES)), data=st.data())
def test_the_order_of_bundle_entries_changes_nothing(name: str, data: st.DataObject) -> None:
    resources = [dict(r, subject={"reference": "Patient/pt-1"}) for r in FIXTURE_RESOURCES[name]]
    shuffled = data.draw(st.permutations(resources))
    assert cards_signature(list(shuffled)) == cards_signature(resources)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)


@st.composite
def garbage_resources(draw: st.DrawFn) -> Any:
    """Junk, and resources that look like ours but are broken in one field."""
    base = observation("wbc", 2.0, "10*3/uL", "2026-11-19T08:00:00Z", oid="junk")
    field = draw(
        st.sampled_from(["valueQuantity", "effectiveDateTime", "status", "code", "subject", "id", "referenceRange"])
    )
    broken = dict(base, **{field: draw(json_values)})
    return draw(st.sampled_from([broken, draw(json_values)]))


@settings(max_examples=80)
@given(junk=st.lists(garbage_resources(), min_size=1, max_size=4), position=st.integers(0, 3))
def test_garbage_in_one_resource_never_hides_the_valid_ones(junk: list[Any], position: int) -> None:
    valid = [
        observation("wbc", 6.1, "10*3/uL", "2026-10-01T08:00:00Z", oid="w1"),
        observation("wbc", 2.8, "10*3/uL", "2026-11-18T08:00:00Z", oid="w2"),
    ]
    entries: list[Any] = [{"resource": r} for r in valid]
    for item in junk:  # junk as the entry itself, and as an entry's resource
        entries.insert(min(position, len(entries)), item)
        entries.insert(min(position, len(entries)), {"resource": item})
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    finding = assess_raw(list(resources_of(bundle))).wbc
    # The junk may add a reading (a broken field can still parse), but the valid low result is never lost.
    assert finding is not None and finding.is_low
