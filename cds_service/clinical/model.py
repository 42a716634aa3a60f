"""The engine's inputs: small, explicit types parsed from FHIR resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from cds_service.clinical.knowledge import Analyte

BELOW_COMPARATORS = frozenset({"<", "<="})
ABOVE_COMPARATORS = frozenset({">", ">="})


@dataclass(frozen=True)
class Measurement:
    """A value in the analyte's canonical unit, with the lab's comparator (`<0.5` is 0.5 with "<")."""

    value: Decimal
    comparator: str | None = None

    def is_below(self, limit: Decimal) -> bool:
        if self.comparator in ABOVE_COMPARATORS:
            return False
        if self.comparator in BELOW_COMPARATORS:
            return self.value <= limit
        return self.value < limit

    def at_least(self, limit: Decimal) -> bool:
        if self.comparator in BELOW_COMPARATORS:
            return False
        return self.value >= limit

    def __str__(self) -> str:
        return f"{self.comparator or ''}{_plain(self.value)}"


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True)
class LabResult:
    analyte: Analyte
    effective: datetime
    status: str
    measurement: Measurement | None
    original_unit: str
    resource_id: str | None = None
    reference_low: Decimal | None = None
    reference_text: str | None = None
    unit_not_understood: bool = False
    specimen: str | None = None

    @property
    def preliminary(self) -> bool:
        return self.status == "preliminary"


@dataclass(frozen=True)
class Patient:
    age_years: int | None
    sex: str | None


@dataclass(frozen=True)
class MedicationExposure:
    """An active (or draft) order for a drug, as the engine needs it."""

    text: str
    rxnorm_codes: tuple[str, ...] = ()
    atc_codes: tuple[str, ...] = ()
    status: str = "active"
    request_id: str | None = None
    started: datetime | None = None
    is_draft: bool = False


@dataclass(frozen=True)
class PatientRecord:
    patient: Patient
    labs: tuple[LabResult, ...]
    medications: tuple[MedicationExposure, ...]
    unavailable: frozenset[str] = field(default_factory=frozenset)
    dropped_resources: int = 0
