"""When myeloid growth factors deserve consideration (ASCO 2015): febrile or grade-4 neutropenia during
myelosuppressive chemotherapy, no G-CSF already given. Never for afebrile neutropenia without chemotherapy."""

from __future__ import annotations

from collections.abc import Sequence

from cds_service.clinical.findings import CountFinding, DrugCause, FebrileNeutropenia, GrowthFactorConsideration
from cds_service.clinical.knowledge import KnowledgeBase
from cds_service.clinical.model import Patient


def growth_factor_consideration(
    anc: CountFinding | None,
    febrile: FebrileNeutropenia | None,
    causes: Sequence[DrugCause],
    growth_factor_active: bool,
    patient: Patient,
    kb: KnowledgeBase,
) -> GrowthFactorConsideration | None:
    rule = kb.thresholds.growth_factor
    chemotherapy = tuple(c.ordered_as for c in causes if c.chemotherapy and not c.is_draft)
    if growth_factor_active or not chemotherapy or anc is None or not anc.is_low:
        return None
    severe = anc.grade is not None and anc.grade >= rule.consider_at_anc_grade
    if febrile is None and not severe:
        return None
    age = patient.age_years
    high_risk_age = age if age is not None and age >= rule.high_risk_age_years else None
    return GrowthFactorConsideration(chemotherapy, anc, febrile, high_risk_age)
