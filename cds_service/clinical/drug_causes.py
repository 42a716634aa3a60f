"""Active and draft drugs known to lower white-cell counts, matched by RxNorm ingredient, by RxNorm product,
by ATC code, and by name as the last resort."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from cds_service.clinical.findings import DrugCause
from cds_service.clinical.knowledge import AtcGroup, Drug, KnowledgeBase
from cds_service.clinical.model import MedicationExposure

_STRENGTH_ORDER = {"expected": 0, "well-documented": 1, "reported": 2}
MatchedBy = Literal["rxnorm", "product", "atc", "name"]


def match_drugs(exposure: MedicationExposure, kb: KnowledgeBase) -> list[tuple[Drug | AtcGroup, MatchedBy]]:
    by_rxcui = [kb.drug_by_rxcui[c] for c in exposure.rxnorm_codes if c in kb.drug_by_rxcui]
    if by_rxcui:
        return [(d, "rxnorm") for d in by_rxcui]
    by_product = [
        kb.drug_by_id[drug_id]
        for code in exposure.rxnorm_codes
        if code in kb.products
        for drug_id in kb.products[code].drugs
    ]
    if by_product:
        return [(d, "product") for d in dict.fromkeys(by_product)]
    by_atc = _match_atc(exposure.atc_codes, kb)
    if by_atc:
        return by_atc
    return [(drug, "name") for pattern, drug in kb.drug_name_pattern if pattern.search(exposure.text)]


def _match_atc(codes: Sequence[str], kb: KnowledgeBase) -> list[tuple[Drug | AtcGroup, MatchedBy]]:
    matches: list[tuple[Drug | AtcGroup, MatchedBy]] = []
    for code in codes:
        drug = next((d for d in kb.drugs.drugs if any(code.startswith(p) for p in d.atc_prefixes)), None)
        group = next((g for g in kb.drugs.atc_groups if code.startswith(g.prefix)), None)
        if drug is not None:
            matches.append((drug, "atc"))
        elif group is not None:
            matches.append((group, "atc"))
    return matches


def drug_causes(
    exposures: Iterable[MedicationExposure], fall_started: datetime | None, kb: KnowledgeBase
) -> tuple[DrugCause, ...]:
    causes: dict[tuple[str, bool], DrugCause] = {}
    for exposure in exposures:
        for known, matched_by in match_drugs(exposure, kb):
            drug_id = known.id if isinstance(known, Drug) else f"atc:{known.prefix}"
            monitoring = kb.drugs.monitoring[known.monitoring]
            before = None
            if exposure.started is not None and fall_started is not None and not exposure.is_draft:
                before = exposure.started <= fall_started
            cause = DrugCause(
                drug_id=drug_id,
                ordered_as=exposure.text or drug_id,
                drug_class=kb.drugs.classes[known.drug_class],
                strength=known.strength,
                monitoring=monitoring.text,
                monitoring_source=monitoring.source,
                source=known.source,
                matched_by=matched_by,
                chemotherapy=known.chemotherapy,
                is_draft=exposure.is_draft,
                started=exposure.started,
                started_before_fall=before,
                order_reference=exposure.request_id,
            )
            causes.setdefault((drug_id, exposure.is_draft), cause)
    return tuple(sorted(causes.values(), key=lambda c: (c.is_draft, _STRENGTH_ORDER[c.strength], c.drug_id)))


def growth_factor_active(exposures: Iterable[MedicationExposure], kb: KnowledgeBase) -> bool:
    return any(not e.is_draft and kb.growth_factor_pattern.search(e.text) for e in exposures)
