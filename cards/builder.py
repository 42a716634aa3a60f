"""Rendering an assessment into CDS Hooks cards through the catalogue's templates.

Against alert fatigue: no card without something to act on; one card per kind; the febrile-neutropenia card
carries the count; at most four cards, the most urgent first; no test suggested twice; no deficiency or
unexplained-leukopenia work-up when cytotoxic chemotherapy explains the fall.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cards.catalogue import CardTemplate, Catalogue
from cards.orders import lab_order
from cds_service.clinical.findings import (
    Assessment,
    CountFinding,
    DeficiencyStatus,
    DrugCause,
)
from cds_service.clinical.knowledge import KnowledgeBase
from cds_service.clinical.model import LabResult, Measurement

MAX_CARDS = 4
_URGENCY = {"critical": 0, "warning": 1, "info": 2}
_ANALYTE_NAME = {"wbc": "WBC", "anc": "ANC"}
_INPUT_TEXT = {"wbc": "WBC {} x10^9/L", "neutrophil_percent": "neutrophils {}%", "band_percent": "bands {}%"}
_NUTRIENT_NAME = {"b12": "Vitamin B12", "folate": "Folate", "copper": "Copper"}
_NUTRIENT_WORD = {"b12": "vitamin B12", "folate": "folate", "copper": "copper"}
_UNIT = {"b12": "pg/mL", "folate": "ng/mL", "copper": "µg/dL"}


@dataclass(frozen=True)
class CardContext:
    hook: str
    patient_id: str
    base_url: str


@dataclass(frozen=True)
class IssuedCard:
    """A rendered card with the facts recorded about it (kind, indicator; never PHI)."""

    kind: str
    card: dict[str, Any]

    @property
    def uuid(self) -> str:
        return str(self.card["uuid"])

    @property
    def indicator(self) -> str:
        return str(self.card["indicator"])


@dataclass
class _Render:
    assessment: Assessment
    ctx: CardContext
    catalogue: Catalogue
    kb: KnowledgeBase
    suggested_tests: set[str] = field(default_factory=set)


def render_cards(assessment: Assessment, ctx: CardContext, catalogue: Catalogue, kb: KnowledgeBase) -> list[IssuedCard]:
    state = _Render(assessment, ctx, catalogue, kb)
    kinds: list[Callable[[_Render], IssuedCard | None]] = [
        _febrile_card,
        _low_count_card,
        _medication_card,
        _growth_factor_card,
        _deficiency_card,
        _unexplained_card,
    ]
    cards = [card for build in kinds if (card := build(state)) is not None]
    cards.sort(key=lambda c: (_URGENCY[c.indicator], catalogue[c.kind].priority))
    return cards[:MAX_CARDS]


# --- formatting -------------------------------------------------------------------------------------------


def _number(value: Decimal) -> str:
    """At most two decimals and no trailing zeros: 0.45, 4, 159.89."""
    return format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize(), "f")


def _count(value: Decimal) -> str:
    """A cell count as clinicians write it: at least one decimal (4.0, 0.45)."""
    text = _number(value)
    return text if "." in text else f"{text}.0"


def _measure(m: Measurement, *, count: bool = True) -> str:
    return f"{m.comparator or ''}{_count(m.value) if count else _number(m.value)}"


def _date(moment: datetime) -> str:
    return moment.date().isoformat()


def _words(items: list[str], conjunction: str = "or") -> str:
    """'a', 'a or b', 'a, b or c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _as_reported(result: LabResult) -> str:
    status = " (preliminary)" if result.preliminary else ""
    return f"{_date(result.effective)}{status}"


def _count_line(finding: CountFinding) -> str:
    name = _ANALYTE_NAME[finding.analyte]
    line = f"- **{name} {_measure(finding.measurement)} x10^9/L** on {_as_reported(finding.latest)}"
    if finding.latest.original_unit and finding.latest.original_unit not in ("10*9/L", "10*3/uL"):
        line += f" (reported in {finding.latest.original_unit})"
    if finding.threshold is not None:
        line += f"; lower limit {_count(finding.threshold.low)} ({finding.threshold.explanation})"
    if finding.grade is not None:
        line += f"; CTCAE grade {finding.grade}"
    if finding.computed:
        parts = ", ".join(
            _INPUT_TEXT[r.analyte].format(_measure(r.measurement, count=r.analyte == "wbc"))
            for r in finding.computed_from
            if r.measurement is not None
        )
        line += f". Computed as WBC x (neutrophils % + bands %) / 100 from {parts}; no ANC was reported"
    return line


def _base_card(state: _Render, template: CardTemplate, summary: str, detail: str, indicator: str) -> dict[str, Any]:
    catalogue, base_url = state.catalogue, state.ctx.base_url
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": _fit_summary(summary),
        "detail": f"{detail.strip()}\n\n_Knowledge base {state.assessment.knowledge_version}._",
        "indicator": indicator,
        "source": {
            "label": template.source.label,
            "url": template.source.url,
            "icon": f"{base_url}/static/icon.png",
            "topic": {"system": catalogue.topic_system, "code": template.kind, "display": template.topic},
        },
    }
    if template.override_reasons:
        card["overrideReasons"] = [
            {"system": catalogue.override_system, "code": r.code, "display": r.display}
            for r in template.override_reasons
        ]
    if template.links:
        card["links"] = [{"label": link.label, "url": link.url, "type": "absolute"} for link in template.links]
    return card


def _fit_summary(summary: str) -> str:
    # CDS Hooks: a one-sentence summary under 140 characters.
    summary = " ".join(summary.split())
    return summary if len(summary) < 140 else summary[:136].rstrip() + "..."


def _with_suggestions(card: dict[str, Any], suggestions: list[dict[str, Any]]) -> dict[str, Any]:
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "any"
    return card


def _lab_suggestion(state: _Render, orderable_key: str, label: str, reason_text: str) -> dict[str, Any] | None:
    orderable = state.kb.labs.orderables[orderable_key]
    if orderable.code in state.suggested_tests:
        return None
    state.suggested_tests.add(orderable.code)
    reason_refs = [
        f"Observation/{f.latest.resource_id}"
        for f in (state.assessment.wbc, state.assessment.anc)
        if f is not None and f.is_low and f.latest.resource_id
    ]
    return {
        "label": label,
        "uuid": str(uuid.uuid4()),
        "actions": [
            {
                "type": "create",
                "description": f"Add a draft {orderable.display} order for the clinician to sign",
                "resource": lab_order(orderable, state.ctx.patient_id, reason_text, reason_refs),
            }
        ],
    }


def _notes(assessment: Assessment) -> str:
    notes = [
        f"- The latest {_ANALYTE_NAME[r.analyte]} ({_date(r.effective)}) has a unit this service does not "
        f"understand ('{r.original_unit}'); it was not interpreted. Check the result in the lab system."
        for r in assessment.unreadable
    ]
    return "\n".join(notes)


# --- card kinds -------------------------------------------------------------------------------------------


def _febrile_card(state: _Render) -> IssuedCard | None:
    febrile = state.assessment.febrile
    if febrile is None:
        return None
    template = state.catalogue["febrile-neutropenia"]
    rule = state.kb.thresholds.febrile_neutropenia
    evidence = [_count_line(febrile.anc)]
    how = "single reading" if febrile.rule == "single" else f"sustained over {rule.sustained_minutes} minutes"
    temperature = _measure(febrile.temperature, count=False)
    evidence.append(f"- **Temperature {temperature} °C** on {febrile.measured_at:%Y-%m-%d %H:%M} UTC ({how})")
    if state.assessment.wbc is not None and state.assessment.wbc.is_low:
        evidence.append(_count_line(state.assessment.wbc))
    values = {
        "anc": _measure(febrile.anc.measurement),
        "temperature": _measure(febrile.temperature, count=False),
        "anc_limit": _number(rule.anc_below),
        "single_limit": _number(rule.single_temperature_at_least),
        "sustained_limit": _number(rule.sustained_temperature_at_least),
        "evidence": "\n".join(evidence),
    }
    card = _base_card(state, template, template.summary.format(**values), template.detail.format(**values), "critical")
    return IssuedCard(template.kind, card)


def _low_count_card(state: _Render) -> IssuedCard | None:
    assessment = state.assessment
    if assessment.febrile is not None:
        return None  # the febrile-neutropenia card carries the count
    template = state.catalogue["low-count"]
    indicator_rule = template.indicator
    lows = [f for f in (assessment.wbc, assessment.anc) if f is not None and f.is_low]
    if not lows:
        if not assessment.unreadable:
            return None
        names = " and ".join(_ANALYTE_NAME[r.analyte] for r in assessment.unreadable)
        detail = template.detail.format(evidence="", trend="", notes=_notes(assessment))
        summary = f"Latest {names} could not be interpreted: unit not recognised"
        card = _base_card(state, template, summary, detail, str(indicator_rule["unreadable"]))
        return IssuedCard(template.kind, card)
    worst = max(lows, key=lambda f: f.grade or 0)
    grade = worst.grade or 1
    by_grade = indicator_rule["by_grade"]
    assert isinstance(by_grade, dict)
    parts = []
    for f in lows:
        computed = " (computed)" if f.computed else ""
        parts.append(f"{_ANALYTE_NAME[f.analyte]}{computed} {_measure(f.measurement)} x10^9/L (grade {f.grade})")
    # The longest run of lows tells the story best (a computed ANC may exist only for the latest draw).
    trend = max((f.trend for f in lows if f.trend is not None), key=lambda t: t.consecutive_lows, default=None)
    trend_word = f", {trend.label}" if trend is not None else ""
    headline = f"Low {' and '.join(parts)} on {_date(worst.latest.effective)}{trend_word}"
    trend_text = ""
    if trend is not None:
        previous = trend.previous
        previous_text = (
            f"{_measure(previous.measurement)} on {_date(previous.effective)}"
            if previous is not None and previous.measurement is not None
            else "result"
        )
        # A first low result with nothing earlier in the window is "new" too, but there is no previous to cite.
        phrase = "trend_first" if trend.label == "new" and previous is None else f"trend_{trend.label}"
        trend_text = "**Trend:** " + template.text(phrase).format(
            n=trend.consecutive_lows,
            since=_date(trend.low_since),
            previous=previous_text,
            days=state.kb.thresholds.windows.hematology_days,
        )
    defaults = dict.fromkeys(f.threshold.source for f in lows if f.threshold is not None and f.threshold.source)
    notes = "\n".join([*(f"- Default lower limit: {state.kb.source_title(k)}" for k in defaults), _notes(assessment)])
    detail = template.detail.format(
        evidence="\n".join(_count_line(f) for f in lows), trend=trend_text, notes=notes.strip()
    )
    card = _base_card(state, template, headline, detail, str(by_grade[str(grade)]))
    return IssuedCard(template.kind, card)


def _medication_card(state: _Render) -> IssuedCard | None:
    assessment = state.assessment
    if not assessment.low_counts or not assessment.drug_causes:
        return None
    template = state.catalogue["medication-review"]
    causes = assessment.drug_causes
    drafts = [c for c in causes if c.is_draft]
    active = [c for c in causes if not c.is_draft]
    rows = "\n".join(_drug_row(c, template) for c in causes)
    monitoring = "\n".join(dict.fromkeys(f"- {c.ordered_as}: {c.monitoring}" for c in causes))
    cited = dict.fromkeys(key for c in causes for key in (c.source, c.monitoring_source))
    sources = "\n".join(f"- {state.kb.source_title(key)}" for key in cited)
    if drafts:
        names = ", ".join(c.ordered_as for c in drafts)
        headline = f"Counts already low: draft order {names} can lower white-cell counts further"
        context = template.text("context_draft")
    else:
        names = ", ".join(c.ordered_as for c in active)
        headline = f"Possible drug cause of low counts: {names}"
        context = template.text("context_active")
    detail = template.detail.format(context=context, rows=rows, monitoring=monitoring, sources=sources)
    strong = any(c.strength in ("expected", "well-documented") for c in active)
    rule = template.indicator
    indicator = str(rule["draft"] if drafts else rule["strong"] if strong else rule["otherwise"])
    card = _base_card(state, template, headline, detail, indicator)
    suggestions: list[dict[str, Any]] = []
    for cause in drafts:
        if cause.order_reference is None:
            continue
        suggestions.append(
            {
                "label": template.text("suggestion_remove_draft").format(drug=cause.ordered_as),
                "uuid": str(uuid.uuid4()),
                "actions": [
                    {
                        "type": "delete",
                        "description": f"Remove the draft order for {cause.ordered_as}",
                        "resourceId": cause.order_reference,
                    }
                ],
            }
        )
    if drafts:
        cbc = _lab_suggestion(
            state,
            "cbc_with_differential",
            template.text("suggestion_cbc_first"),
            "Low white-cell count before starting a drug that lowers counts",
        )
        if cbc is not None:
            suggestions.append(cbc)
    return IssuedCard(template.kind, _with_suggestions(card, suggestions))


def _drug_row(cause: DrugCause, template: CardTemplate) -> str:
    if cause.is_draft:
        started = template.text("started_draft")
    elif cause.started is None:
        started = template.text("started_unknown")
    else:
        relation = {True: "started_before_fall", False: "started_after_fall", None: None}[cause.started_before_fall]
        started = f"{_date(cause.started)} {template.text(relation) if relation else ''}".strip()
    name = cause.ordered_as.replace("|", "/")  # a pipe would break the Markdown table
    strength = template.text(f"strength_{cause.strength.replace('-', '_')}")
    return f"| {name} | {cause.drug_class} | {strength} | {started} |"


def _chemotherapy_explains(assessment: Assessment) -> bool:
    return any(c.chemotherapy and c.strength == "expected" and not c.is_draft for c in assessment.drug_causes)


def _growth_factor_card(state: _Render) -> IssuedCard | None:
    consideration = state.assessment.growth_factor
    if consideration is None:
        return None
    template = state.catalogue["growth-factor"]
    criteria = "\n".join(f"- {c}" for c in consideration.criteria_met)
    high_risk = ""
    if consideration.high_risk_features:
        high_risk = "\nHigh-risk features: " + "; ".join(consideration.high_risk_features) + "\n"
    detail = template.detail.format(criteria=criteria, high_risk=high_risk)
    card = _base_card(state, template, template.summary, detail, str(template.indicator["fixed"]))
    return IssuedCard(template.kind, card)


def _deficiency_card(state: _Render) -> IssuedCard | None:
    assessment = state.assessment
    if not assessment.low_counts or _chemotherapy_explains(assessment):
        return None
    template = state.catalogue["deficiency-workup"]
    statuses = assessment.deficiencies
    low = [d for d in statuses if d.explains_low_counts]
    untested = [d for d in statuses if d.state == "not-tested"]
    unavailable = [d for d in statuses if d.state == "unavailable"]
    if not (low or untested or unavailable):
        return None
    suggestions = []
    for status in untested:
        if status.analyte in state.kb.labs.orderables:
            name = _NUTRIENT_NAME[status.analyte]
            suggestion = _lab_suggestion(
                state,
                status.analyte,
                template.text("suggestion").format(test=f"{name} level"),
                template.text("reason_text"),
            )
            if suggestion is not None:
                suggestions.append(suggestion)
    if low:
        headline = "Possible nutritional cause: " + _words([f"{_NUTRIENT_WORD[d.analyte]} {d.state}" for d in low])
    elif untested:
        headline = f"No recent {_words([_NUTRIENT_WORD[d.analyte] for d in untested])} result: consider testing"
    else:
        headline = "B12, folate and copper results could not be read: deficiency not assessed"
    notes = ""
    if unavailable:
        notes = "\n_These results could not be read from the EHR's FHIR server, so no test is suggested for them._"
    copper = next((d for d in untested if d.analyte == "copper"), None)
    if copper is not None and "copper" not in state.kb.labs.orderables:
        notes += "\n_Serum copper: order it from the lab catalogue if indicated (no order is proposed here)._"
    months = round(state.kb.thresholds.windows.deficiency_days / 30.4)
    rows = "\n".join(_deficiency_row(d) for d in statuses)
    detail = template.detail.format(lookback_months=months, rows=rows, notes=notes)
    card = _base_card(state, template, headline, detail, str(template.indicator["fixed"]))
    return IssuedCard(template.kind, _with_suggestions(card, suggestions))


def _deficiency_row(status: DeficiencyStatus) -> str:
    name = _NUTRIENT_NAME[status.analyte]
    latest = status.latest
    if status.state == "not-tested":
        return f"- {name}: not tested"
    if status.state == "unavailable":
        return f"- {name}: could not be read"
    assert latest is not None
    if status.state == "unreadable":
        return f"- {name}: {_date(latest.effective)}, unit '{latest.original_unit}' not understood"
    assert latest.measurement is not None and status.limit is not None
    origin = "lab range" if status.limit_origin == "lab" else "default cut-off"
    return (
        f"- {name}: **{_measure(latest.measurement, count=False)} {_UNIT[status.analyte]}** on {_as_reported(latest)}: "
        f"{status.state} (limit {_number(status.limit)}, {origin})"
    )


def _unexplained_card(state: _Render) -> IssuedCard | None:
    unexplained = state.assessment.unexplained
    if unexplained is None or _chemotherapy_explains(state.assessment):
        return None
    template = state.catalogue["unexplained-workup"]
    values = {"since": _date(unexplained.low_since), "count": unexplained.consecutive_lows}
    card = _base_card(
        state,
        template,
        template.summary.format(**values),
        template.detail.format(**values),
        str(template.indicator["fixed"]),
    )
    suggestion = _lab_suggestion(
        state, "cbc_with_differential", template.text("suggestion"), template.text("reason_text")
    )
    return IssuedCard(template.kind, _with_suggestions(card, [suggestion] if suggestion else []))
