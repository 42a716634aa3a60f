"""Rendering an assessment into CDS Hooks cards through the catalogue's templates.

All wording lives in the templates (``cards/templates``); this module decides which cards to show and fills the
wording with the findings' values. Against alert fatigue: no card without something to act on; one card per kind;
the febrile-neutropenia card carries the count; at most four cards, the most urgent first; no test suggested twice;
no deficiency or unexplained-leukopenia work-up when cytotoxic chemotherapy explains the fall.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from cards.catalogue import CardTemplate, Catalogue
from cards.orders import lab_order
from cds_service.clinical.engine import TEMPERATURE_DATA
from cds_service.clinical.findings import Assessment, CountFinding, DeficiencyStatus, DrugCause, Threshold
from cds_service.clinical.knowledge import KnowledgeBase
from cds_service.clinical.model import LabResult, Measurement

MAX_CARDS = 4
_URGENCY = {"critical": 0, "warning": 1, "info": 2}
_CANONICAL_COUNT_UNITS = ("10*9/L", "10*3/uL")


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
    """At most two decimals and no trailing zeros: 0.45, 4, 159.89. The context is wide enough for any value a
    lab may send (the default 28 digits would fail on an absurd 1e26)."""
    wide = Context(prec=max(28, value.adjusted() + 4))
    return format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP, context=wide).normalize(context=wide), "f")


def _count(value: Decimal) -> str:
    """A cell count as clinicians write it: at least one decimal (4.0, 0.45)."""
    text = _number(value)
    return text if "." in text else f"{text}.0"


def _measure(m: Measurement, *, count: bool = True) -> str:
    return f"{m.comparator or ''}{_count(m.value) if count else _number(m.value)}"


def _date(moment: datetime) -> str:
    return moment.date().isoformat()


def _words(items: list[str], conjunction: str) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _analyte(state: _Render, analyte: str) -> str:
    return state.catalogue.phrase(f"analyte_{analyte}")


def _why(state: _Render, threshold: Threshold) -> str:
    phrase = state.catalogue.phrase
    if threshold.origin == "lab":
        return (
            phrase("why_lab_text").format(text=threshold.reference_text)
            if threshold.reference_text
            else phrase("why_lab")
        )
    if not threshold.age_known:
        return phrase("why_default_age_unknown")
    return phrase("why_default").format(age=threshold.min_age_years)


def _count_line(state: _Render, finding: CountFinding) -> str:
    """One count as evidence: value, date, unit as reported, the limit and why, the grade, how it was computed."""
    phrase = state.catalogue.phrase
    latest = finding.latest
    details = phrase("preliminary") if latest.preliminary else ""
    if latest.original_unit and latest.original_unit not in _CANONICAL_COUNT_UNITS:
        details += phrase("reported_in").format(unit=latest.original_unit)
    if finding.threshold is not None:
        details += phrase("lower_limit").format(limit=_count(finding.threshold.low), why=_why(state, finding.threshold))
    if finding.grade is not None:
        details += phrase("grade").format(grade=finding.grade)
    if finding.computed:
        inputs = ", ".join(
            phrase(f"input_{r.analyte}").format(value=_measure(r.measurement, count=r.analyte == "wbc"))
            for r in finding.computed_from
            if r.measurement is not None
        )
        details += phrase("computed").format(inputs=inputs)
    return phrase("count_line").format(
        name=_analyte(state, finding.analyte),
        value=_measure(finding.measurement),
        date=_date(latest.effective),
        details=details,
    )


def _base_card(state: _Render, template: CardTemplate, summary: str, detail: str, indicator: str) -> dict[str, Any]:
    catalogue, base_url = state.catalogue, state.ctx.base_url
    footer = catalogue.phrase("knowledge_footer").format(version=state.assessment.knowledge_version)
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": _fit_summary(summary),
        "detail": f"{detail.strip()}\n\n{footer}",
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
    """A suggestion that proposes a draft LOINC-coded order, unless another card already suggested that test."""
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
                "description": state.catalogue.phrase("lab_order_action").format(test=orderable.display),
                "resource": lab_order(orderable, state.ctx.patient_id, reason_text, reason_refs),
            }
        ],
    }


def _unreadable_notes(state: _Render, template: CardTemplate) -> list[str]:
    return [
        template.text("note_unreadable").format(
            name=_analyte(state, r.analyte), date=_date(r.effective), unit=r.original_unit
        )
        for r in state.assessment.unreadable
    ]


# --- card kinds -------------------------------------------------------------------------------------------


def _febrile_card(state: _Render) -> IssuedCard | None:
    febrile = state.assessment.febrile
    if febrile is None:
        return None
    template = state.catalogue["febrile-neutropenia"]
    rule = state.kb.thresholds.febrile_neutropenia
    how = (
        template.text("how_single")
        if febrile.rule == "single"
        else template.text("how_sustained").format(minutes=rule.sustained_minutes)
    )
    temperature = _measure(febrile.temperature, count=False)
    evidence = [
        _count_line(state, febrile.anc),
        template.text("temperature_line").format(
            value=temperature, time=f"{febrile.measured_at:%Y-%m-%d %H:%M}", how=how
        ),
    ]
    if state.assessment.wbc is not None and state.assessment.wbc.is_low:
        evidence.append(_count_line(state, state.assessment.wbc))
    values = {
        "anc": _measure(febrile.anc.measurement),
        "temperature": temperature,
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
    text = template.text
    indicator_rule = template.indicator
    lows = [f for f in (assessment.wbc, assessment.anc) if f is not None and f.is_low]
    if not lows:
        if not assessment.unreadable:
            return None
        names = text("summary_joiner").join(_analyte(state, r.analyte) for r in assessment.unreadable)
        detail = template.detail.format(evidence="", trend="", notes="\n".join(_unreadable_notes(state, template)))
        summary = text("summary_unreadable").format(names=names)
        return IssuedCard(
            template.kind, _base_card(state, template, summary, detail, str(indicator_rule["unreadable"]))
        )
    worst = max(lows, key=lambda f: f.grade or 0)
    by_grade = indicator_rule["by_grade"]
    assert isinstance(by_grade, dict)
    counts = text("summary_joiner").join(
        text("summary_count").format(
            name=_analyte(state, f.analyte),
            computed=text("summary_computed") if f.computed else "",
            value=_measure(f.measurement),
            grade=f.grade,
        )
        for f in lows
    )
    # The longest run of lows tells the story best (a computed ANC may exist only for the latest draw).
    trend = max((f.trend for f in lows if f.trend is not None), key=lambda t: t.consecutive_lows, default=None)
    trend_summary = text("summary_trend").format(label=text(f"trend_word_{trend.label}")) if trend else ""
    summary = template.summary.format(counts=counts, date=_date(worst.latest.effective), trend=trend_summary)
    trend_text = ""
    if trend is not None:
        previous = trend.previous
        previous_text = (
            text("previous").format(value=_measure(previous.measurement), date=_date(previous.effective))
            if previous is not None and previous.measurement is not None
            else ""
        )
        # A first low result with nothing earlier in the window is "new" too, but there is no previous to cite.
        phrase = "trend_first" if trend.label == "new" and previous is None else f"trend_{trend.label}"
        trend_text = text("trend_line").format(
            text=text(phrase).format(
                n=trend.consecutive_lows,
                since=_date(trend.low_since),
                previous=previous_text,
                days=state.kb.thresholds.windows.hematology_days,
            )
        )
    defaults = dict.fromkeys(f.threshold.source for f in lows if f.threshold is not None and f.threshold.source)
    notes = [text("note_default_limit").format(source=state.kb.source_title(k)) for k in defaults]
    notes += _unreadable_notes(state, template)
    anc = assessment.anc
    fever_rule = state.kb.thresholds.febrile_neutropenia
    if (
        TEMPERATURE_DATA in assessment.unavailable
        and anc is not None
        and anc.measurement.is_below(fever_rule.anc_below)
    ):
        notes.append(text("note_no_temperature"))
    detail = template.detail.format(
        evidence="\n".join(_count_line(state, f) for f in lows), trend=trend_text, notes="\n".join(notes)
    )
    card = _base_card(state, template, summary, detail, str(by_grade[str(worst.grade or 1)]))
    return IssuedCard(template.kind, card)


def _medication_card(state: _Render) -> IssuedCard | None:
    assessment = state.assessment
    if not assessment.low_counts or not assessment.drug_causes:
        return None
    template = state.catalogue["medication-review"]
    text = template.text
    causes = assessment.drug_causes
    drafts = [c for c in causes if c.is_draft]
    active = [c for c in causes if not c.is_draft]
    rows = "\n".join(_drug_row(c, template) for c in causes)
    monitoring = "\n".join(
        dict.fromkeys(text("monitoring_line").format(drug=c.ordered_as, guidance=c.monitoring) for c in causes)
    )
    cited = dict.fromkeys(key for c in causes for key in (c.source, c.monitoring_source))
    sources = "\n".join(text("source_line").format(source=state.kb.source_title(key)) for key in cited)
    implicated = drafts or active
    summary = text("summary_draft" if drafts else "summary_active").format(
        drugs=", ".join(c.ordered_as for c in implicated)
    )
    context = text("context_draft" if drafts else "context_active")
    detail = template.detail.format(context=context, rows=rows, monitoring=monitoring, sources=sources)
    strong = any(c.strength in ("expected", "well-documented") for c in active)
    rule = template.indicator
    indicator = str(rule["draft"] if drafts else rule["strong"] if strong else rule["otherwise"])
    card = _base_card(state, template, summary, detail, indicator)
    suggestions: list[dict[str, Any]] = []
    for cause in drafts:
        if cause.order_reference is None:
            continue
        suggestions.append(
            {
                "label": text("suggestion_remove_draft").format(drug=cause.ordered_as),
                "uuid": str(uuid.uuid4()),
                "actions": [
                    {
                        "type": "delete",
                        "description": text("action_remove_draft").format(drug=cause.ordered_as),
                        "resourceId": cause.order_reference,
                    }
                ],
            }
        )
    if drafts:
        cbc = _lab_suggestion(state, "cbc_with_differential", text("suggestion_cbc_first"), text("reason_cbc_first"))
        if cbc is not None:
            suggestions.append(cbc)
    return IssuedCard(template.kind, _with_suggestions(card, suggestions))


def _drug_row(cause: DrugCause, template: CardTemplate) -> str:
    text = template.text
    if cause.is_draft:
        started = text("started_draft")
    elif cause.started is None:
        started = text("started_unknown")
    else:
        relation = {True: "started_before_fall", False: "started_after_fall", None: None}[cause.started_before_fall]
        started = f"{_date(cause.started)} {text(relation) if relation else ''}".strip()
    return text("row").format(
        drug=cause.ordered_as.replace("|", "/"),  # a pipe would break the Markdown table
        drug_class=cause.drug_class,
        strength=text(f"strength_{cause.strength.replace('-', '_')}"),
        started=started,
    )


def _chemotherapy_explains(assessment: Assessment) -> bool:
    return any(c.chemotherapy and c.strength == "expected" and not c.is_draft for c in assessment.drug_causes)


def _growth_factor_card(state: _Render) -> IssuedCard | None:
    consideration = state.assessment.growth_factor
    if consideration is None:
        return None
    template = state.catalogue["growth-factor"]
    text = template.text
    anc = _measure(consideration.anc.measurement)
    criteria = [text("criterion_chemotherapy").format(drugs=", ".join(consideration.chemotherapy))]
    if consideration.febrile is not None:
        temperature = _measure(consideration.febrile.temperature, count=False)
        criteria.append(text("criterion_febrile").format(anc=anc, temperature=temperature))
    else:
        criteria.append(text("criterion_severe").format(grade=consideration.anc.grade, anc=anc))
    high_risk = ""
    if consideration.high_risk_age is not None:
        limit = state.kb.thresholds.growth_factor.high_risk_age_years
        high_risk = "\n" + text("high_risk_age").format(age=consideration.high_risk_age, limit=limit) + "\n"
    detail = template.detail.format(criteria="\n".join(criteria), high_risk=high_risk)
    card = _base_card(state, template, template.summary, detail, str(template.indicator["fixed"]))
    return IssuedCard(template.kind, card)


def _deficiency_card(state: _Render) -> IssuedCard | None:
    assessment = state.assessment
    if not assessment.low_counts or _chemotherapy_explains(assessment):
        return None
    template = state.catalogue["deficiency-workup"]
    text = template.text
    statuses = assessment.deficiencies
    low = [d for d in statuses if d.explains_low_counts]
    untested = [d for d in statuses if d.state == "not-tested"]
    unavailable = [d for d in statuses if d.state == "unavailable"]
    if not (low or untested or unavailable):
        return None
    orderable = state.kb.labs.orderables
    suggestions = []
    for status in untested:
        if status.analyte in orderable:
            label = text("suggestion").format(name=text(f"name_{status.analyte}"))
            suggestion = _lab_suggestion(state, status.analyte, label, text("reason_text"))
            if suggestion is not None:
                suggestions.append(suggestion)
    conjunction = text("list_conjunction")
    if low:
        findings = [
            text("summary_low_item").format(nutrient=text(f"word_{d.analyte}"), state=text(f"state_{d.state}"))
            for d in low
        ]
        summary = text("summary_low").format(findings=_words(findings, conjunction))
    elif untested:
        summary = text("summary_untested").format(
            nutrients=_words([text(f"word_{d.analyte}") for d in untested], conjunction)
        )
    else:
        summary = text("summary_unavailable")
    notes = [text("note_unavailable")] if unavailable else []
    notes += [
        text("note_not_orderable").format(word=text(f"word_{d.analyte}"))
        for d in untested
        if d.analyte not in orderable
    ]
    months = round(state.kb.thresholds.windows.deficiency_days / 30.4)
    rows = "\n".join(_deficiency_row(state, template, d) for d in statuses)
    detail = template.detail.format(lookback_months=months, rows=rows, notes="".join(f"\n{n}" for n in notes))
    card = _base_card(state, template, summary, detail, str(template.indicator["fixed"]))
    return IssuedCard(template.kind, _with_suggestions(card, suggestions))


def _deficiency_row(state: _Render, template: CardTemplate, status: DeficiencyStatus) -> str:
    text = template.text
    name = text(f"name_{status.analyte}")
    latest: LabResult | None = status.latest
    if status.state in ("not-tested", "unavailable"):
        return text(f"row_{status.state.replace('-', '_')}").format(name=name)
    assert latest is not None
    if status.state == "unreadable":
        return text("row_unreadable").format(name=name, date=_date(latest.effective), unit=latest.original_unit)
    assert latest.measurement is not None and status.limit is not None
    quantity = state.kb.labs.analytes[status.analyte].quantity
    date = _date(latest.effective) + (state.catalogue.phrase("preliminary") if latest.preliminary else "")
    return text("row_value").format(
        name=name,
        value=_measure(latest.measurement, count=False),
        unit=state.kb.units[quantity].display,
        date=date,
        state=text(f"state_{status.state}"),
        limit=_number(status.limit),
        origin=text("origin_lab" if status.limit_origin == "lab" else "origin_default"),
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
