"""What the engine concludes: typed findings that the card catalogue renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from cds_service.clinical.knowledge import Strength
from cds_service.clinical.model import LabResult, Measurement

TrendLabel = Literal["new", "persistent", "falling", "recovering"]
DeficiencyState = Literal["deficient", "borderline", "normal", "not-tested", "unreadable", "unavailable"]


@dataclass(frozen=True)
class Threshold:
    """The lower limit a count was judged against and where it came from: the lab's reference range (with its
    text, if any), or the knowledge base's default for an age band (or for adults when the age is unknown)."""

    low: Decimal
    origin: Literal["lab", "default"]
    reference_text: str | None = None
    min_age_years: int | None = None
    age_known: bool = True
    source: str | None = None  # knowledge-base source key, for defaults


@dataclass(frozen=True)
class Trend:
    label: TrendLabel
    consecutive_lows: int
    previous: LabResult | None
    low_since: datetime


@dataclass(frozen=True)
class CountFinding:
    """The latest WBC or ANC judged against its threshold, graded and trended."""

    analyte: Literal["wbc", "anc"]
    latest: LabResult
    measurement: Measurement
    threshold: Threshold | None
    is_low: bool
    grade: int | None
    trend: Trend | None = None
    computed_from: tuple[LabResult, ...] = ()  # for an ANC computed from WBC x (neutrophils + bands) %

    @property
    def computed(self) -> bool:
        return bool(self.computed_from)


@dataclass(frozen=True)
class FebrileNeutropenia:
    anc: CountFinding
    temperature: Measurement
    measured_at: datetime
    rule: Literal["single", "sustained"]


@dataclass(frozen=True)
class DrugCause:
    drug_id: str
    ordered_as: str
    drug_class: str
    strength: Strength
    monitoring: str
    monitoring_source: str
    source: str
    matched_by: Literal["rxnorm", "product", "atc", "name"]
    chemotherapy: bool
    is_draft: bool
    started: datetime | None
    started_before_fall: bool | None
    order_reference: str | None


@dataclass(frozen=True)
class DeficiencyStatus:
    analyte: Literal["b12", "folate", "copper"]
    state: DeficiencyState
    latest: LabResult | None = None
    limit: Decimal | None = None
    limit_origin: Literal["lab", "default"] | None = None

    @property
    def explains_low_counts(self) -> bool:
        return self.state in ("deficient", "borderline")


@dataclass(frozen=True)
class GrowthFactorConsideration:
    """ASCO criteria that fit: active myelosuppressive chemotherapy with febrile or grade-4 neutropenia."""

    chemotherapy: tuple[str, ...]  # the active drugs, as ordered
    anc: CountFinding
    febrile: FebrileNeutropenia | None
    high_risk_age: int | None  # the patient's age when at or over the guideline's high-risk age


@dataclass(frozen=True)
class UnexplainedLeukopenia:
    low_since: datetime
    consecutive_lows: int


@dataclass(frozen=True)
class Assessment:
    knowledge_version: str
    wbc: CountFinding | None = None
    anc: CountFinding | None = None
    febrile: FebrileNeutropenia | None = None
    drug_causes: tuple[DrugCause, ...] = ()
    deficiencies: tuple[DeficiencyStatus, ...] = ()
    growth_factor: GrowthFactorConsideration | None = None
    growth_factor_active: bool = False
    unexplained: UnexplainedLeukopenia | None = None
    unreadable: tuple[LabResult, ...] = ()
    unavailable: frozenset[str] = frozenset()

    @property
    def low_counts(self) -> bool:
        return any(f is not None and f.is_low for f in (self.wbc, self.anc))
