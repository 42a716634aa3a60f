"""Realistic FHIR R4 resources for unit tests (real LOINC, UCUM and RxNorm codes)."""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PATIENT_ID = "pt-1"

CODES = {
    "wbc": "6690-2",
    "anc": "751-8",
    "neut": "770-8",
    "band": "764-1",
    "temp": "8310-5",
    "b12": "2132-9",
    "folate": "2284-8",
    "copper": "5631-5",
}


def observation(
    kind: str,
    value: float | str,
    unit: str,
    when: str,
    *,
    oid: str | None = None,
    status: str = "final",
    ucum: bool = True,
    low: float | None = None,
    comparator: str | None = None,
    subject: str = PATIENT_ID,
) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value, "unit": unit}
    if ucum:
        quantity |= {"system": UCUM, "code": unit}
    if comparator:
        quantity["comparator"] = comparator
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid or f"{kind}-{when}".replace(":", "").replace("+", ""),
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": CODES[kind]}]},
        "subject": {"reference": f"Patient/{subject}"},
        "effectiveDateTime": when,
        "valueQuantity": quantity,
    }
    if low is not None:
        resource["referenceRange"] = [{"low": {"value": low, "unit": unit, "system": UCUM, "code": unit}}]
    return resource


def patient(birth: str = "1970-05-01", gender: str = "female") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": PATIENT_ID, "birthDate": birth, "gender": gender}


def medication_request(
    name: str,
    *,
    rxcui: str | None = None,
    status: str = "active",
    mid: str = "mr-1",
    authored: str = "2026-09-01",
    atc: str | None = None,
) -> dict[str, Any]:
    codings = []
    if rxcui:
        codings.append({"system": RXNORM, "code": rxcui, "display": name})
    if atc:
        codings.append({"system": "http://www.whocc.no/atc", "code": atc})
    concept: dict[str, Any] = {"text": name}
    if codings:
        concept["coding"] = codings
    return {
        "resourceType": "MedicationRequest",
        "id": mid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "authoredOn": authored,
    }


def medication(mid: str, rxcui: str, display: str) -> dict[str, Any]:
    return {
        "resourceType": "Medication",
        "id": mid,
        "code": {"coding": [{"system": RXNORM, "code": rxcui, "display": display}], "text": display},
    }


def order_by_reference(
    mid: str, medication_id: str, *, patient: str = PATIENT_ID, status: str = "active"
) -> dict[str, Any]:
    """A MedicationRequest that names its drug only through a reference to a Medication resource."""
    return {
        "resourceType": "MedicationRequest",
        "id": mid,
        "status": status,
        "intent": "order",
        "subject": {"reference": f"Patient/{patient}"},
        "medicationReference": {"reference": f"Medication/{medication_id}"},
        "authoredOn": "2026-10-01",
    }


def assess_raw(
    resources: list[dict[str, Any]],
    *,
    birth: str = "1970-05-01",
    drafts: list[dict[str, Any]] | None = None,
    now: str = "2026-11-20T14:00:00+00:00",
    unavailable: frozenset[str] = frozenset(),
) -> Any:
    """Run the engine over raw resources the way the pipeline does."""
    from datetime import datetime

    from cds_service.clinical.engine import assess
    from cds_service.clinical.knowledge import load_knowledge
    from cds_service.data.gather import GatheredData
    from cds_service.pipeline import build_record

    kb = load_knowledge()
    moment = datetime.fromisoformat(now)
    data = GatheredData(
        patient=patient(birth), resources=resources, draft_requests=drafts or [], unavailable=set(unavailable)
    )
    data.medications = {f"Medication/{r['id']}": r for r in resources if r.get("resourceType") == "Medication"}
    return assess(build_record(data, PATIENT_ID, kb, moment), kb, moment)
