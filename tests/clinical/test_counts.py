from __future__ import annotations

from decimal import Decimal

import pytest

from tests.builders import assess_raw, observation


def wbc(value: float, when: str = "2026-11-18T08:00:00Z", **kw: object) -> dict[str, object]:
    return observation("wbc", value, "10*3/uL", when, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "grade"), [(3.9, 1), (3.0, 1), (2.99, 2), (2.0, 2), (1.99, 3), (1.0, 3), (0.99, 4), (0.2, 4)]
)
def test_wbc_grades_follow_ctcae_v5(value: float, grade: int) -> None:
    finding = assess_raw([wbc(value)]).wbc
    assert finding.is_low and finding.grade == grade


@pytest.mark.parametrize(("value", "grade"), [(1.49, 2), (1.0, 2), (0.99, 3), (0.5, 3), (0.49, 4)])
def test_anc_grades_follow_ctcae_v5(value: float, grade: int) -> None:
    finding = assess_raw([observation("anc", value, "10*3/uL", "2026-11-18T08:00:00Z")]).anc
    assert finding.is_low and finding.grade == grade


def test_anc_grade_1_needs_a_lab_lower_limit_above_1_5() -> None:
    finding = assess_raw([observation("anc", 1.7, "10*3/uL", "2026-11-18T08:00:00Z", low=1.8)]).anc
    assert finding.is_low and finding.grade == 1 and finding.threshold.origin == "lab"


def test_normal_wbc_is_not_low() -> None:
    assessment = assess_raw([wbc(6.5)])
    assert not assessment.low_counts and assessment.wbc.grade is None


def test_the_labs_reference_range_wins_over_the_default() -> None:
    assert assess_raw([wbc(4.2, low=4.5)]).wbc.is_low
    assert not assess_raw([wbc(3.9, low=3.5)]).wbc.is_low


def test_child_without_a_lab_range_gets_no_default_threshold() -> None:
    finding = assess_raw([wbc(3.0)], birth="2019-01-01").wbc
    assert finding.threshold is None and not finding.is_low


def test_child_with_a_lab_range_is_judged_against_it() -> None:
    assert assess_raw([wbc(4.5, low=5.0)], birth="2019-01-01").wbc.is_low


def test_comparator_less_than_is_below_the_limit_it_states() -> None:
    finding = assess_raw([observation("anc", 0.5, "10*3/uL", "2026-11-18T08:00:00Z", comparator="<")]).anc
    assert finding.grade == 4 and str(finding.measurement) == "<0.5"


def test_greater_than_comparator_is_never_low() -> None:
    assert not assess_raw([observation("wbc", 3.0, "10*3/uL", "2026-11-18T08:00:00Z", comparator=">")]).low_counts


def test_anc_is_computed_from_wbc_neutrophils_and_bands_of_the_same_specimen() -> None:
    when = "2026-11-18T08:00:00Z"
    finding = assess_raw([wbc(2.0, when), observation("neut", 30, "%", when), observation("band", 5, "%", when)]).anc
    assert finding.computed and finding.measurement.value == Decimal("0.7") and finding.grade == 3


def test_reported_anc_wins_over_a_computed_one() -> None:
    when = "2026-11-18T08:00:00Z"
    finding = assess_raw(
        [wbc(2.0, when), observation("neut", 30, "%", when), observation("anc", 0.8, "10*3/uL", when)]
    ).anc
    assert not finding.computed and finding.measurement.value == Decimal("0.8")


def test_differential_from_another_time_is_not_combined() -> None:
    assessment = assess_raw([wbc(2.0, "2026-11-18T08:00:00Z"), observation("neut", 30, "%", "2026-11-17T08:00:00Z")])
    assert assessment.anc is None


@pytest.mark.parametrize(
    ("values", "label", "run"),
    [
        ([6.0, 3.5], "new", 1),
        ([3.5], "new", 1),
        ([3.5, 3.4], "persistent", 2),
        ([6.0, 3.5, 2.8], "falling", 2),
        ([2.0, 3.0], "recovering", 2),
    ],
)
def test_trend_over_the_look_back(values: list[float], label: str, run: int) -> None:
    resources = [wbc(v, f"2026-11-{10 + i:02d}T08:00:00Z") for i, v in enumerate(values)]
    trend = assess_raw(resources).wbc.trend
    assert (trend.label, trend.consecutive_lows) == (label, run)


def test_results_outside_the_look_back_window_are_ignored() -> None:
    assert assess_raw([wbc(2.0, "2026-01-05T08:00:00Z")]).wbc is None


def test_preliminary_results_are_used_and_marked() -> None:
    finding = assess_raw([wbc(3.0, status="preliminary")]).wbc
    assert finding.is_low and finding.latest.preliminary
