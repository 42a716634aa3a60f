"""B12, folate and copper: the latest result in the look-back window, classified, or 'not tested'."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal, get_args

from cds_service.clinical.findings import DeficiencyStatus
from cds_service.clinical.knowledge import KnowledgeBase
from cds_service.clinical.model import LabResult

Nutrient = Literal["b12", "folate", "copper"]
NUTRIENTS: tuple[Nutrient, ...] = get_args(Nutrient)


def deficiency_statuses(
    labs: Sequence[LabResult], now: datetime, kb: KnowledgeBase, *, results_unavailable: bool = False
) -> tuple[DeficiencyStatus, ...]:
    since = now - timedelta(days=kb.thresholds.windows.deficiency_days)
    return tuple(
        _status(nutrient, [r for r in labs if r.analyte == nutrient and r.effective >= since], kb, results_unavailable)
        for nutrient in NUTRIENTS
    )


def _status(
    nutrient: Nutrient, results: Sequence[LabResult], kb: KnowledgeBase, results_unavailable: bool
) -> DeficiencyStatus:
    if not results:
        return DeficiencyStatus(nutrient, "unavailable" if results_unavailable else "not-tested")
    latest = max(results, key=lambda r: r.effective)
    if latest.measurement is None:
        return DeficiencyStatus(nutrient, "unreadable", latest)
    cutoff = kb.thresholds.deficiency[nutrient]
    origin: Literal["lab", "default"] = "lab" if latest.reference_low is not None else "default"
    limit = latest.reference_low if latest.reference_low is not None else cutoff.deficient_below
    if latest.measurement.is_below(limit):
        return DeficiencyStatus(nutrient, "deficient", latest, limit, origin)
    if cutoff.borderline_below is not None and latest.measurement.is_below(cutoff.borderline_below):
        return DeficiencyStatus(nutrient, "borderline", latest, cutoff.borderline_below, "default")
    return DeficiencyStatus(nutrient, "normal", latest, limit, origin)
