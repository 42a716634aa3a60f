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
    chemotherapy = [c for c in causes if c.chemotherapy and not c.is_draft]
    if growth_factor_active or not chemotherapy or anc is None or not anc.is_low:
        return None
    drugs = ", ".join(c.ordered_as for c in chemotherapy)
    criteria = [f"Myelosuppressive chemotherapy active: {drugs}"]
    if febrile is not None:
        criteria.append(f"Febrile neutropenia: ANC {anc.measurement} x10^9/L with temperature {febrile.temperature} °C")
    elif anc.grade is not None and anc.grade >= rule.consider_at_anc_grade:
        criteria.append(
            f"CTCAE grade {anc.grade} neutropenia (ANC {anc.measurement} x10^9/L): consider secondary "
            "prophylaxis for the next cycle"
        )
    else:
        return None
    high_risk = []
    if patient.age_years is not None and patient.age_years >= rule.high_risk_age_years:
        high_risk.append(f"Age {patient.age_years} (over {rule.high_risk_age_years})")
    return GrowthFactorConsideration(tuple(criteria), tuple(high_risk))
