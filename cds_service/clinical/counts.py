"""White-cell and neutrophil counts: thresholds, CTCAE grades, computed ANC and the trend over time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Literal

from cds_service.clinical.findings import CountFinding, Threshold, Trend
from cds_service.clinical.knowledge import KnowledgeBase, LowerLimits
from cds_service.clinical.model import BELOW_COMPARATORS, LabResult, Measurement, Patient

CountAnalyte = Literal["wbc", "anc"]


def lower_limit(analyte: CountAnalyte, result: LabResult, patient: Patient, kb: KnowledgeBase) -> Threshold | None:
    """The lab's own reference range first; then the age- and sex-aware default; None when neither applies."""
    if result.reference_low is not None:
        return Threshold(result.reference_low, "lab", reference_text=result.reference_text)
    limits: LowerLimits = kb.thresholds.wbc_lower_limit if analyte == "wbc" else kb.thresholds.anc_lower_limit
    age = patient.age_years
    candidates = [
        band for band in limits.bands if (age is None or age >= band.min_age_years) and band.sex in ("any", patient.sex)
    ]
    if not candidates:
        return None
    band = max(candidates, key=lambda b: (b.min_age_years, b.sex != "any"))
    return Threshold(
        band.low, "default", min_age_years=band.min_age_years, age_known=age is not None, source=band.source
    )


def ctcae_grade(analyte: CountAnalyte, measurement: Measurement, kb: KnowledgeBase) -> int:
    """The CTCAE v5.0 grade of a count already known to be below the lower limit (grade 1 at least)."""
    for step in sorted(kb.thresholds.grades[analyte].grades, key=lambda s: s.below):
        if measurement.is_below(step.below):
            return step.grade
    return 1


def count_finding(
    analyte: CountAnalyte,
    series: Sequence[LabResult],
    patient: Patient,
    kb: KnowledgeBase,
    computed_from: tuple[LabResult, ...] = (),
) -> CountFinding | None:
    """Judge the latest result of a time-ordered series; the earlier ones give the trend."""
    if not series:
        return None
    latest = series[-1]
    assert latest.measurement is not None
    threshold = lower_limit(analyte, latest, patient, kb)
    is_low = threshold is not None and latest.measurement.is_below(threshold.low)
    return CountFinding(
        analyte=analyte,
        latest=latest,
        measurement=latest.measurement,
        threshold=threshold,
        is_low=is_low,
        grade=ctcae_grade(analyte, latest.measurement, kb) if is_low else None,
        trend=_trend(analyte, series, patient, kb) if is_low else None,
        computed_from=computed_from,
    )


def _is_low(analyte: CountAnalyte, result: LabResult, patient: Patient, kb: KnowledgeBase) -> bool:
    threshold = lower_limit(analyte, result, patient, kb)
    return threshold is not None and result.measurement is not None and result.measurement.is_below(threshold.low)


def _trend(analyte: CountAnalyte, series: Sequence[LabResult], patient: Patient, kb: KnowledgeBase) -> Trend:
    run = 0
    for result in reversed(series):
        if not _is_low(analyte, result, patient, kb):
            break
        run += 1
    latest = series[-1]
    previous = series[-2] if len(series) > 1 else None
    low_since = series[len(series) - run].effective
    if run < 2 or previous is None or previous.measurement is None or latest.measurement is None:
        return Trend("new", run, previous, low_since)
    before = previous.measurement.value
    change = (latest.measurement.value - before) / before if before else Decimal(0)
    minimum = kb.thresholds.trend.min_relative_change
    label: Literal["persistent", "falling", "recovering"] = "persistent"
    if change <= -minimum:
        label = "falling"
    elif change >= minimum:
        label = "recovering"
    return Trend(label, run, previous, low_since)


def anc_series(labs: Sequence[LabResult], kb: KnowledgeBase) -> list[tuple[LabResult, tuple[LabResult, ...]]]:
    """Reported ANCs, plus ANCs computed as WBC x (neutrophil % + band %) / 100 from the same specimen time
    where no ANC was reported then. Each item is (ANC, the results it was computed from)."""
    tolerance = timedelta(minutes=kb.thresholds.windows.same_specimen_minutes)
    reported = [r for r in labs if r.analyte == "anc"]
    reported_times = {r.effective for r in reported}
    series: list[tuple[LabResult, tuple[LabResult, ...]]] = [(r, ()) for r in reported]
    for wbc in (r for r in labs if r.analyte == "wbc"):
        if wbc.effective in reported_times or wbc.measurement is None:
            continue
        neutrophils = _same_time(labs, "neutrophil_percent", wbc, tolerance)
        if neutrophils is None or neutrophils.measurement is None:
            continue
        bands = _same_time(labs, "band_percent", wbc, tolerance)
        percent = neutrophils.measurement.value
        if bands is not None and bands.measurement is not None:
            percent += bands.measurement.value
        inputs = (wbc, neutrophils) + ((bands,) if bands is not None else ())
        comparator = wbc.measurement.comparator if wbc.measurement.comparator in BELOW_COMPARATORS else None
        anc = replace(
            wbc,
            analyte="anc",
            measurement=Measurement(wbc.measurement.value * percent / 100, comparator),
            original_unit="10*9/L",
            resource_id=None,
            reference_low=None,
            reference_text=None,
            status="preliminary" if any(i.preliminary for i in inputs) else wbc.status,
        )
        series.append((anc, inputs))
    series.sort(key=lambda item: item[0].effective)
    return series


def _same_time(labs: Sequence[LabResult], analyte: str, anchor: LabResult, tolerance: timedelta) -> LabResult | None:
    matches = [
        r
        for r in labs
        if r.analyte == analyte
        and abs(r.effective - anchor.effective) <= tolerance
        and (anchor.specimen is None or r.specimen is None or r.specimen == anchor.specimen)
    ]
    return matches[-1] if matches else None
