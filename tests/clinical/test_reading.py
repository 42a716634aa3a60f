"""Reading FHIR: which results count, panels and duplicates, and the many ways an order names its drug."""

from __future__ import annotations

from typing import Any

import pytest

from cds_service.clinical.knowledge import load_knowledge
from cds_service.clinical.reading import read_medications, read_observations
from tests.builders import PATIENT_ID, RXNORM, assess_raw, medication_request, observation

KB = load_knowledge()
WHEN = "2026-11-18T08:00:00Z"


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "registered", "unknown"])
def test_results_with_unusable_status_are_ignored(status: str) -> None:
    labs, _ = read_observations([observation("wbc", 3.0, "10*3/uL", WHEN, status=status)], PATIENT_ID, KB)
    assert labs == []


@pytest.mark.parametrize("status", ["final", "amended", "corrected", "preliminary"])
def test_results_with_usable_status_are_read(status: str) -> None:
    labs, _ = read_observations([observation("wbc", 3.0, "10*3/uL", WHEN, status=status)], PATIENT_ID, KB)
    assert len(labs) == 1


def test_data_absent_and_other_patients_results_are_ignored() -> None:
    absent = observation("wbc", 3.0, "10*3/uL", WHEN)
    absent["dataAbsentReason"] = {"text": "specimen clotted"}
    other = observation("wbc", 3.0, "10*3/uL", WHEN, subject="someone-else")
    assert read_observations([absent, other], PATIENT_ID, KB)[0] == []


def test_duplicates_of_the_same_result_count_once() -> None:
    first = observation("wbc", 3.0, "10*3/uL", WHEN, oid="a")
    resent = observation("wbc", 3.0, "10*3/uL", WHEN, oid="b")
    assert len(read_observations([first, resent], PATIENT_ID, KB)[0]) == 1


def test_members_of_a_panel_are_read_from_contained_resources() -> None:
    from cds_service.data.bundles import resources_of

    panel = {
        "resourceType": "Observation",
        "id": "cbc",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "57021-8"}]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": WHEN,
        "hasMember": [{"reference": "#w"}],
        "contained": [{**observation("wbc", 2.5, "10*3/uL", WHEN, oid="w"), "subject": None}],
    }
    panel["contained"][0].pop("subject")
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": panel}]}
    labs, _ = read_observations(resources_of(bundle), PATIENT_ID, KB)
    assert [(lab.analyte, str(lab.measurement)) for lab in labs] == [("wbc", "2.5")]


def test_invalid_resources_are_counted_and_skipped() -> None:
    broken = observation("wbc", 3.0, "10*3/uL", WHEN)
    broken["effectiveDateTime"] = "yesterday"
    labs, dropped = read_observations([broken, observation("wbc", 3.1, "10*3/uL", WHEN)], PATIENT_ID, KB)
    assert dropped == 1 and len(labs) == 1


def exposures(resources: list[dict[str, Any]], **kw: Any) -> list[Any]:
    meds = {f"Medication/{r['id']}": r for r in resources if r["resourceType"] == "Medication"}
    return read_medications(resources, meds, PATIENT_ID, **kw)[0]


def test_only_active_and_on_hold_orders_are_exposures() -> None:
    orders = [
        medication_request("Clozapine 25 MG Oral Tablet", mid=f"m{i}", status=s)
        for i, s in enumerate(["active", "on-hold", "stopped", "completed", "draft", "entered-in-error"])
    ]
    assert [e.status for e in exposures(orders)] == ["active", "on-hold"]


def test_contained_medication_is_resolved() -> None:
    order = medication_request("x")
    order.pop("medicationCodeableConcept")
    order["contained"] = [
        {
            "resourceType": "Medication",
            "id": "med1",
            "code": {"coding": [{"system": RXNORM, "code": "2626", "display": "clozapine"}]},
        }
    ]
    order["medicationReference"] = {"reference": "#med1"}
    [exposure] = exposures([order])
    assert exposure.rxnorm_codes == ("2626",)


def test_medication_in_the_bundle_is_resolved_and_display_is_the_fallback() -> None:
    order = medication_request("x")
    order.pop("medicationCodeableConcept")
    order["medicationReference"] = {"reference": "Medication/m-aza"}
    medication = {
        "resourceType": "Medication",
        "id": "m-aza",
        "code": {"coding": [{"system": RXNORM, "code": "1256", "display": "azathioprine"}]},
    }
    assert exposures([order, medication])[0].rxnorm_codes == ("1256",)
    unresolved = {**order, "medicationReference": {"reference": "Medication/gone", "display": "Methimazole 10 mg"}}
    assert exposures([unresolved])[0].text == "Methimazole 10 mg"


def test_r5_codeable_reference_is_accepted() -> None:
    order = medication_request("x")
    order.pop("medicationCodeableConcept")
    order["medication"] = {"concept": {"coding": [{"system": RXNORM, "code": "6835", "display": "methimazole"}]}}
    assert exposures([order])[0].rxnorm_codes == ("6835",)


def test_draft_orders_are_exposure_about_to_start() -> None:
    draft = medication_request("Methotrexate 2.5 MG Oral Tablet", rxcui="105585", status="draft")
    [exposure] = exposures([draft], draft=True)
    assert exposure.is_draft


def test_a_broken_medication_request_does_not_hide_the_others() -> None:
    broken = medication_request("Clozapine", mid="bad")
    broken["authoredOn"] = {"not": "a date"}
    good = medication_request("Clozapine 25 MG Oral Tablet", mid="good", rxcui="197536")
    assessment = assess_raw([broken, good, observation("wbc", 3.0, "10*3/uL", WHEN)])
    assert [c.drug_id for c in assessment.drug_causes] == ["clozapine"]


def test_results_older_than_the_look_back_are_skipped_before_validation() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    old_and_broken = observation("wbc", 3.0, "10*3/uL", "2026-05-01T08:00:00Z", oid="old")
    old_and_broken["valueQuantity"]["value"] = "not a number"  # would count as dropped if validated
    edge = observation("wbc", 3.0, "10*3/uL", "2026-08-22T23:30:00-05:00", oid="edge")  # 89.x days, other zone
    old_b12 = observation("b12", 150, "pg/mL", "2026-01-10T08:00:00Z", oid="b12")  # within 365 days
    labs, dropped = read_observations([old_and_broken, edge, old_b12], PATIENT_ID, KB, now)
    assert dropped == 0 and sorted(lab.resource_id or "" for lab in labs) == ["b12", "edge"]


@pytest.mark.parametrize(
    ("reference", "kept"),
    [
        (f"Patient/{PATIENT_ID}", True),
        (f"https://ehr.example.org/fhir/Patient/{PATIENT_ID}", True),
        (f"Patient/{PATIENT_ID}/_history/3", True),
        ("urn:uuid:6f1c2d3e-0000-4000-8000-000000000001", True),
        ("Patient/someone-else", False),
        ("https://ehr.example.org/fhir/Patient/someone-else/_history/1", False),
    ],
)
def test_only_a_reference_to_another_patient_excludes_a_result(reference: str, kept: bool) -> None:
    resource = observation("wbc", 3.0, "10*3/uL", WHEN)
    resource["subject"] = {"reference": reference}
    assert bool(read_observations([resource], PATIENT_ID, KB)[0]) is kept


def test_another_patients_medication_request_is_ignored() -> None:
    order = medication_request("Clozapine 25 MG Oral Tablet", rxcui="197536")
    order["subject"] = {"reference": "Patient/someone-else"}
    assert exposures([order]) == []


def test_a_negative_value_is_a_broken_result_not_a_severe_one() -> None:
    labs, dropped = read_observations([observation("anc", -0.4, "10*3/uL", WHEN)], PATIENT_ID, KB)
    assert labs == [] and dropped == 1
