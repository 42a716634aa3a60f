"""Febrile neutropenia (IDSA 2010): ANC below 0.5 x10^9/L with a temperature of at least 38.3 C once,
or at least 38.0 C sustained over an hour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from cds_service.clinical.findings import CountFinding, FebrileNeutropenia
from cds_service.clinical.knowledge import KnowledgeBase
from cds_service.clinical.model import LabResult


def febrile_neutropenia(
    anc: CountFinding | None, temperatures: Sequence[LabResult], now: datetime, kb: KnowledgeBase
) -> FebrileNeutropenia | None:
    rule = kb.thresholds.febrile_neutropenia
    if anc is None or not anc.measurement.is_below(rule.anc_below):
        return None
    recent = timedelta(hours=kb.thresholds.windows.fever_recent_hours)
    since = max(now, anc.latest.effective) - recent
    # A fever counts when it falls within the window around the neutropenic count, not days apart from it.
    readings = sorted(
        (
            t
            for t in temperatures
            if t.measurement is not None and t.effective >= since and abs(t.effective - anc.latest.effective) <= recent
        ),
        key=lambda t: t.effective,
    )
    single = [
        t for t in readings if t.measurement is not None and t.measurement.at_least(rule.single_temperature_at_least)
    ]
    if single:
        hottest = max(single, key=lambda t: t.measurement.value if t.measurement else 0)
        assert hottest.measurement is not None
        return FebrileNeutropenia(anc, hottest.measurement, hottest.effective, "single")
    sustained = _sustained(readings, kb)
    if sustained is not None:
        assert sustained.measurement is not None
        return FebrileNeutropenia(anc, sustained.measurement, sustained.effective, "sustained")
    return None


def _sustained(readings: Sequence[LabResult], kb: KnowledgeBase) -> LabResult | None:
    """The last reading of a run at or above the sustained threshold lasting at least the required minutes."""
    rule = kb.thresholds.febrile_neutropenia
    span = timedelta(minutes=rule.sustained_minutes)
    run_start: LabResult | None = None
    for reading in readings:
        assert reading.measurement is not None
        if reading.measurement.at_least(rule.sustained_temperature_at_least):
            run_start = run_start or reading
            if reading.effective - run_start.effective >= span:
                return reading
        else:
            run_start = None
    return None
