"""From FHIR R4 resources to the engine's types.

Selection comes first and is cheap (resource type, code, status, subject on the raw JSON); only the resources
that pass are validated with ``fhir.resources``, which costs 20-25x the JSON parse. A resource that fails
validation is counted and skipped, never allowed to hide the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.medication import Medication as FhirMedication
from fhir.resources.R4B.medicationrequest import MedicationRequest as FhirMedicationRequest
from fhir.resources.R4B.observation import Observation as FhirObservation
from pydantic import ValidationError

from cds_service.clinical.knowledge import ATC, LOINC, RXNORM, Analyte, KnowledgeBase
from cds_service.clinical.model import LabResult, Measurement, MedicationExposure, Patient
from cds_service.clinical.units import UnitNotUnderstood, quantity_unit, to_canonical

Resource = dict[str, Any]

USABLE_OBSERVATION_STATUSES = frozenset({"final", "amended", "corrected", "preliminary"})
ACTIVE_MEDICATION_STATUSES = frozenset({"active", "on-hold"})
# Draft orders: re-signed orders may carry other statuses (order-sign); these never mean exposure.
ENDED_MEDICATION_STATUSES = frozenset({"entered-in-error", "cancelled", "completed", "stopped"})
_INVALID = (ValidationError, ValueError, TypeError)


def read_patient(resource: Resource | None, today: date) -> Patient:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
        return Patient(age_years=None, sex=None)
    birth = _parse_date(resource.get("birthDate"))
    age = None
    if birth is not None:
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    gender = resource.get("gender")
    return Patient(age_years=age, sex=gender if isinstance(gender, str) else None)


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        parts = [int(p) for p in value[:10].split("-")]
    except ValueError:
        return None
    try:
        return date(parts[0], parts[1] if len(parts) > 1 else 7, parts[2] if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return None


# --- Observations -----------------------------------------------------------------------------------------


def read_observations(
    resources: Iterable[Resource], patient_id: str, kb: KnowledgeBase, now: datetime | None = None
) -> tuple[list[LabResult], int]:
    """Lab results of the analytes we know, for this patient; returns them and how many were invalid.

    With ``now``, results clearly older than their analyte's look-back window are skipped before validation:
    a long history would otherwise cost a full validation per old result.
    """
    results: list[LabResult] = []
    seen: set[tuple[object, ...]] = set()
    dropped = 0
    oldest = {}
    if now is not None:
        oldest = {a: (now - timedelta(days=kb.lookback_days(a) + 1)).date().isoformat() for a in kb.labs.analytes}
    for raw in resources:
        analyte = _select_observation(raw, patient_id, kb)
        if analyte is None or (oldest and _raw_date(raw) < oldest[analyte]):
            continue
        try:
            observation = FhirObservation.model_validate(raw)
            result = _lab_result(observation, analyte, kb)
        except _INVALID:
            dropped += 1
            continue
        if result is None:
            continue
        # The same result may arrive twice (prefetch and context, or a lab resend under a new id).
        key = (result.analyte, result.effective, result.measurement, result.original_unit)
        if key in seen:
            continue
        seen.add(key)
        results.append(result)
    results.sort(key=lambda r: (r.effective, r.analyte))
    return results, dropped


def _raw_date(raw: Resource) -> str:
    """The date part of the raw effective time, for a cheap look-back check (unknown dates are kept)."""
    period = raw.get("effectivePeriod")
    start = period.get("start") if isinstance(period, dict) else None
    value = raw.get("effectiveDateTime") or raw.get("effectiveInstant") or start or raw.get("issued")
    return value[:10] if isinstance(value, str) else "9999"


def _select_observation(raw: Any, patient_id: str, kb: KnowledgeBase) -> Analyte | None:
    if not isinstance(raw, dict) or raw.get("resourceType") != "Observation":
        return None
    status = raw.get("status")
    if not isinstance(status, str) or status not in USABLE_OBSERVATION_STATUSES or "dataAbsentReason" in raw:
        return None
    if not isinstance(raw.get("valueQuantity"), dict):
        return None
    if not subject_is(raw.get("subject"), patient_id):
        return None
    code = raw.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    if not isinstance(codings, list):
        return None
    for coding in codings:
        if isinstance(coding, dict) and coding.get("system") == LOINC:
            analyte = kb.analyte_by_loinc.get(str(coding.get("code")))
            if analyte is not None:
                return analyte
    return None


_PATIENT_REFERENCE = re.compile(r"(?:^|/)Patient/([^/]+)")


def subject_is(subject: Any, patient_id: str) -> bool:
    """Only a reference to another Patient excludes a resource. One without a subject, or with a reference that
    names no Patient id (urn:uuid: inside a Bundle, an identifier), came from data gathered for this patient."""
    if subject is None:
        return True
    if not isinstance(subject, dict):
        return False
    reference = subject.get("reference")
    if not isinstance(reference, str):
        return True
    match = _PATIENT_REFERENCE.search(reference)
    return match is None or match.group(1) == patient_id


def _lab_result(observation: FhirObservation, analyte: Analyte, kb: KnowledgeBase) -> LabResult | None:
    effective = _effective(observation)
    quantity = observation.valueQuantity
    if effective is None or quantity is None or quantity.value is None:
        return None
    if quantity.value < 0:
        # No count, percentage, concentration or body temperature we read can be negative: a broken result,
        # not a very low one (it would otherwise grade as the most severe neutropenia).
        raise ValueError("negative value")
    quantity_kind = kb.labs.analytes[analyte].quantity
    unit = quantity_unit(quantity.unit, quantity.code, quantity.system)
    original_unit = quantity.unit or quantity.code or ""
    reference_low, reference_text = _reference_low(observation, quantity_kind, unit, kb)
    specimen = observation.specimen.reference if observation.specimen is not None else None
    try:
        value = to_canonical(kb, quantity_kind, Decimal(quantity.value), unit)
    except UnitNotUnderstood:
        return LabResult(
            analyte=analyte,
            effective=effective,
            status=str(observation.status),
            measurement=None,
            original_unit=original_unit,
            resource_id=observation.id,
            unit_not_understood=True,
            specimen=specimen,
        )
    return LabResult(
        analyte=analyte,
        effective=effective,
        status=str(observation.status),
        measurement=Measurement(value, quantity.comparator),
        original_unit=original_unit,
        resource_id=observation.id,
        reference_low=reference_low,
        reference_text=reference_text,
        specimen=specimen,
    )


def _reference_low(
    observation: FhirObservation, quantity_kind: str, value_unit: str | None, kb: KnowledgeBase
) -> tuple[Decimal | None, str | None]:
    for reference_range in observation.referenceRange or []:
        low = reference_range.low
        if low is None or low.value is None:
            continue
        unit = quantity_unit(low.unit, low.code, low.system) or value_unit
        try:
            return to_canonical(kb, quantity_kind, Decimal(low.value), unit), reference_range.text
        except UnitNotUnderstood:
            continue
    return None, None


def _effective(observation: FhirObservation) -> datetime | None:
    value: Any = observation.effectiveDateTime or observation.effectiveInstant
    if value is None and observation.effectivePeriod is not None:
        value = observation.effectivePeriod.start
    if value is None:
        value = observation.issued
    return as_utc(value)


def as_utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=UTC)
    if isinstance(value, str):
        parsed = _parse_date(value)
        return datetime.combine(parsed, time(0, 0), tzinfo=UTC) if parsed else None
    return None


# --- Medications ------------------------------------------------------------------------------------------


def read_medications(
    requests: Iterable[Resource],
    medications: Mapping[str, Resource],
    patient_id: str,
    *,
    draft: bool = False,
) -> tuple[list[MedicationExposure], int]:
    """Active (or, with ``draft``, about-to-start) drug exposures; returns them and how many were invalid."""
    exposures: list[MedicationExposure] = []
    dropped = 0
    for raw in requests:
        if not isinstance(raw, dict) or raw.get("resourceType") != "MedicationRequest":
            continue
        if not subject_is(raw.get("subject"), patient_id):
            continue
        status = raw.get("status")
        if not isinstance(status, str):
            dropped += 1
            continue
        wanted = status not in ENDED_MEDICATION_STATUSES if draft else status in ACTIVE_MEDICATION_STATUSES
        if not wanted:
            continue
        try:
            request = FhirMedicationRequest.model_validate(_r4_shape(raw))
            exposure = _exposure(request, medications, draft=draft)
        except _INVALID:
            dropped += 1
            continue
        if exposure is not None:
            exposures.append(exposure)
    return exposures, dropped


def _r4_shape(raw: Resource) -> Resource:
    """Accept R5's ``medication`` CodeableReference by mapping it to the R4 choice elements."""
    medication = raw.get("medication")
    if not isinstance(medication, dict):
        return raw
    r4 = {k: v for k, v in raw.items() if k != "medication"}
    if isinstance(medication.get("concept"), dict):
        r4["medicationCodeableConcept"] = medication["concept"]
    elif isinstance(medication.get("reference"), dict):
        r4["medicationReference"] = medication["reference"]
    return r4


def _exposure(
    request: FhirMedicationRequest, medications: Mapping[str, Resource], *, draft: bool
) -> MedicationExposure | None:
    codings: list[Any] = []
    texts: list[str] = []
    concept = request.medicationCodeableConcept
    if concept is not None:
        codings += concept.coding or []
        texts.append(concept.text or "")
    reference = request.medicationReference
    if reference is not None:
        medication = _resolve_medication(request, reference.reference, medications)
        if medication is not None:
            codings += _medication_codings(medication)
            texts.append((medication.code.text or "") if medication.code is not None else "")
        texts.append(reference.display or "")
    texts += [c.display or "" for c in codings]
    text = " / ".join(dict.fromkeys(t for t in texts if t))
    rxnorm = tuple(c.code for c in codings if c.system == RXNORM and c.code)
    atc = tuple(c.code for c in codings if c.system == ATC and c.code)
    if not (text or rxnorm or atc):
        return None
    return MedicationExposure(
        text=text,
        rxnorm_codes=rxnorm,
        atc_codes=atc,
        status=str(request.status),
        request_id=f"MedicationRequest/{request.id}" if request.id else None,
        started=_started(request),
        is_draft=draft,
    )


def _resolve_medication(
    request: FhirMedicationRequest, reference: str | None, medications: Mapping[str, Resource]
) -> FhirMedication | None:
    if not reference:
        return None
    if reference.startswith("#"):
        for contained in request.contained or []:
            if isinstance(contained, FhirMedication) and contained.id == reference[1:]:
                return contained
        return None
    raw = medications.get(reference) or medications.get(reference.split("/_history")[0])
    if raw is None:
        return None
    try:
        return FhirMedication.model_validate(raw)
    except _INVALID:
        return None


def _medication_codings(medication: FhirMedication) -> list[Any]:
    codings = list(medication.code.coding or []) if medication.code is not None else []
    for ingredient in medication.ingredient or []:
        item = ingredient.itemCodeableConcept
        if item is not None:
            codings += item.coding or []
    return codings


def _started(request: FhirMedicationRequest) -> datetime | None:
    for dosage in request.dosageInstruction or []:
        timing = dosage.timing
        if timing is not None and timing.repeat is not None and timing.repeat.boundsPeriod is not None:
            start = as_utc(timing.repeat.boundsPeriod.start)
            if start is not None:
                return start
    dispense = request.dispenseRequest
    if dispense is not None and dispense.validityPeriod is not None:
        start = as_utc(dispense.validityPeriod.start)
        if start is not None:
            return start
    return as_utc(request.authoredOn)
