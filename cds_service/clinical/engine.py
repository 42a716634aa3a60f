"""The engine: a patient's record in, an assessment out. Pure: no I/O, the clock is an argument."""

from __future__ import annotations

from datetime import datetime, timedelta

from cds_service.clinical.counts import anc_series, count_finding
from cds_service.clinical.deficiencies import deficiency_statuses
from cds_service.clinical.drug_causes import drug_causes, growth_factor_active
from cds_service.clinical.febrile import febrile_neutropenia
from cds_service.clinical.findings import Assessment, CountFinding, UnexplainedLeukopenia
from cds_service.clinical.growth_factor import growth_factor_consideration
from cds_service.clinical.knowledge import KnowledgeBase
from cds_service.clinical.model import LabResult, PatientRecord

# Optional prefetch keys: when they cannot be read the rest is evaluated and the cards say what is missing.
DEFICIENCY_DATA = "deficiency-labs"
TEMPERATURE_DATA = "temperature"
OPTIONAL_DATA = frozenset({DEFICIENCY_DATA, TEMPERATURE_DATA})


def assess(record: PatientRecord, kb: KnowledgeBase, now: datetime) -> Assessment:
    since = now - timedelta(days=kb.thresholds.windows.hematology_days)
    recent = [r for r in record.labs if r.effective >= since]
    unreadable = tuple(_latest_unreadable(recent, analyte) for analyte in ("wbc", "anc"))
    readable = [r for r in recent if r.measurement is not None]

    wbc = count_finding("wbc", [r for r in readable if r.analyte == "wbc"], record.patient, kb)
    ancs = anc_series(readable, kb)
    anc = count_finding("anc", [a for a, _ in ancs], record.patient, kb, computed_from=ancs[-1][1]) if ancs else None
    fall_started = min((f.trend.low_since for f in (wbc, anc) if f is not None and f.trend is not None), default=None)
    causes = drug_causes(record.medications, fall_started, kb)
    gcsf = growth_factor_active(record.medications, kb)
    febrile = febrile_neutropenia(anc, [r for r in readable if r.analyte == "temperature"], now, kb)
    deficiencies = deficiency_statuses(record.labs, now, kb, results_unavailable=DEFICIENCY_DATA in record.unavailable)
    growth = growth_factor_consideration(anc, febrile, causes, gcsf, record.patient, kb)
    explained = any(not c.is_draft for c in causes) or any(d.explains_low_counts for d in deficiencies)
    return Assessment(
        knowledge_version=kb.version,
        wbc=wbc,
        anc=anc,
        febrile=febrile,
        drug_causes=causes,
        deficiencies=deficiencies,
        growth_factor=growth,
        growth_factor_active=gcsf,
        unexplained=None if explained else _persistent_leukopenia(wbc),
        unreadable=tuple(r for r in unreadable if r is not None),
        unavailable=record.unavailable,
    )


def _latest_unreadable(labs: list[LabResult], analyte: str) -> LabResult | None:
    series = [r for r in labs if r.analyte == analyte]
    return series[-1] if series and series[-1].unit_not_understood else None


def _persistent_leukopenia(wbc: CountFinding | None) -> UnexplainedLeukopenia | None:
    if wbc is None or not wbc.is_low or wbc.trend is None or wbc.trend.consecutive_lows < 2:
        return None
    return UnexplainedLeukopenia(wbc.trend.low_since, wbc.trend.consecutive_lows)
