"""Drug causes, deficiencies, febrile neutropenia, growth factors and the unexplained work-up."""

from __future__ import annotations

import pytest

from tests.builders import assess_raw, medication_request, observation

WHEN = "2026-11-18T08:00:00Z"
LOW_WBC = observation("wbc", 3.0, "10*3/uL", WHEN)


@pytest.mark.parametrize(
    ("order", "drug_id", "matched_by"),
    [
        (medication_request("clozapine", rxcui="2626"), "clozapine", "rxnorm"),
        (medication_request("Clozapine 100 MG Oral Tablet", rxcui="197535"), "clozapine", "product"),
        (medication_request("Azathioprine 50 MG Oral Tablet [Imuran]", rxcui="105611"), "azathioprine", "product"),
        (
            medication_request("Sulfamethoxazole 800 MG / Trimethoprim 160 MG", rxcui="198335"),
            "sulfamethoxazole-trimethoprim",
            "product",
        ),
        (medication_request("Thiamazole 5 mg", atc="H03BB02"), "atc:H03B", "atc"),
        (medication_request("Clozapine (local formulary)", atc="N05AH02"), "clozapine", "atc"),
        (medication_request("Local chemo regimen", atc="L01XA01"), "atc:L01", "atc"),
        (medication_request("Propylthiouracil 50 mg tablet"), "propylthiouracil", "name"),
    ],
)
def test_drugs_are_matched_by_rxnorm_product_atc_and_name(order: dict, drug_id: str, matched_by: str) -> None:
    [cause] = assess_raw([order, LOW_WBC]).drug_causes
    assert (cause.drug_id, cause.matched_by) == (drug_id, matched_by)


def test_name_matching_uses_whole_words() -> None:
    assert assess_raw([medication_request("Mephenytoin 100 MG Oral Tablet"), LOW_WBC]).drug_causes == ()


def test_drug_started_before_the_fall_is_marked() -> None:
    order = medication_request("Clozapine 25 MG Oral Tablet", rxcui="197536", authored="2026-06-01")
    [cause] = assess_raw([order, observation("wbc", 6.0, "10*3/uL", "2026-10-01T08:00:00Z"), LOW_WBC]).drug_causes
    assert cause.started_before_fall is True


def test_clozapine_cause_carries_its_anc_monitoring_schedule() -> None:
    [cause] = assess_raw([medication_request("clozapine", rxcui="2626"), LOW_WBC]).drug_causes
    assert "1.0-1.499" in cause.monitoring and cause.strength == "well-documented"


@pytest.mark.parametrize(
    ("kind", "value", "unit", "state"),
    [
        ("b12", 150, "pg/mL", "deficient"),
        ("b12", 250, "pg/mL", "borderline"),
        ("b12", 450, "pg/mL", "normal"),
        ("b12", 110, "pmol/L", "deficient"),
        ("folate", 2.5, "ng/mL", "deficient"),
        ("folate", 4.0, "ng/mL", "borderline"),
        ("folate", 20, "nmol/L", "normal"),
        ("copper", 50, "ug/dL", "deficient"),
        ("copper", 12, "umol/L", "normal"),
    ],
)
def test_deficiency_results_are_classified(kind: str, value: float, unit: str, state: str) -> None:
    assessment = assess_raw([LOW_WBC, observation(kind, value, unit, "2026-10-01T08:00:00Z")])
    status = next(d for d in assessment.deficiencies if d.analyte == kind)
    assert status.state == state


def test_deficiency_lab_range_wins_and_old_results_count_as_not_tested() -> None:
    recent = observation("copper", 75, "ug/dL", "2026-10-01T08:00:00Z", low=80)
    old = observation("b12", 500, "pg/mL", "2025-06-01T08:00:00Z")
    states = {d.analyte: d.state for d in assess_raw([LOW_WBC, recent, old]).deficiencies}
    assert states == {"b12": "not-tested", "folate": "not-tested", "copper": "deficient"}


def test_deficiency_results_that_could_not_be_read_are_unavailable() -> None:
    states = {d.state for d in assess_raw([LOW_WBC], unavailable=frozenset({"deficiency-labs"})).deficiencies}
    assert states == {"unavailable"}


def fn_case(temperatures: list[tuple[float, str]], anc: float = 0.3) -> object:
    resources = [observation("anc", anc, "10*3/uL", "2026-11-20T06:00:00Z")]
    resources += [observation("temp", t, "Cel", w, oid=f"t{i}") for i, (t, w) in enumerate(temperatures)]
    return assess_raw(resources).febrile


def test_febrile_neutropenia_single_reading_of_38_3() -> None:
    febrile = fn_case([(38.3, "2026-11-20T05:00:00Z")])
    assert febrile is not None and febrile.rule == "single"


def test_febrile_neutropenia_sustained_38_0_over_an_hour() -> None:
    febrile = fn_case([(38.0, "2026-11-20T04:00:00Z"), (38.1, "2026-11-20T04:30:00Z"), (38.0, "2026-11-20T05:05:00Z")])
    assert febrile is not None and febrile.rule == "sustained"


@pytest.mark.parametrize(
    ("temperatures", "anc"),
    [
        ([(38.0, "2026-11-20T04:00:00Z"), (38.1, "2026-11-20T04:40:00Z")], 0.3),  # under an hour
        ([(38.0, "2026-11-20T04:00:00Z"), (37.5, "2026-11-20T04:30:00Z"), (38.0, "2026-11-20T05:10:00Z")], 0.3),
        ([(38.9, "2026-11-20T05:00:00Z")], 0.6),  # ANC not below 0.5
        ([(38.9, "2026-11-10T05:00:00Z")], 0.3),  # fever long before
    ],
)
def test_not_febrile_neutropenia(temperatures: list[tuple[float, str]], anc: float) -> None:
    assert fn_case(temperatures, anc) is None


def test_fahrenheit_temperatures_count() -> None:
    resources = [
        observation("anc", 0.2, "10*3/uL", "2026-11-20T06:00:00Z"),
        observation("temp", 101.3, "[degF]", "2026-11-20T05:00:00Z"),
    ]
    assert assess_raw(resources).febrile is not None


CHEMO = medication_request("Cyclophosphamide 50 MG Oral Tablet", rxcui="197550")


def test_growth_factor_considered_for_febrile_neutropenia_during_chemotherapy() -> None:
    resources = [
        CHEMO,
        observation("anc", 0.3, "10*3/uL", "2026-11-20T06:00:00Z"),
        observation("temp", 38.6, "Cel", "2026-11-20T05:00:00Z"),
    ]
    assert assess_raw(resources).growth_factor is not None


def test_growth_factor_considered_for_grade_4_neutropenia_during_chemotherapy() -> None:
    assert assess_raw([CHEMO, observation("anc", 0.3, "10*3/uL", WHEN)]).growth_factor is not None


def test_no_growth_factor_for_afebrile_neutropenia_without_chemotherapy() -> None:
    clozapine = medication_request("clozapine", rxcui="2626")
    assert assess_raw([clozapine, observation("anc", 0.3, "10*3/uL", WHEN)]).growth_factor is None


def test_no_growth_factor_when_a_g_csf_is_already_active() -> None:
    gcsf = medication_request("Filgrastim-sndz 300 MCG/0.5ML Injection [Zarxio]", mid="g")
    assessment = assess_raw([CHEMO, gcsf, observation("anc", 0.3, "10*3/uL", WHEN)])
    assert assessment.growth_factor_active and assessment.growth_factor is None


def test_no_growth_factor_for_grade_3_afebrile_neutropenia_during_chemotherapy() -> None:
    assert assess_raw([CHEMO, observation("anc", 0.8, "10*3/uL", WHEN)]).growth_factor is None


def test_persistent_unexplained_leukopenia_needs_two_consecutive_lows_and_no_cause() -> None:
    lows = [observation("wbc", 3.2, "10*3/uL", "2026-11-01T08:00:00Z"), LOW_WBC]
    assert assess_raw(lows).unexplained is not None
    assert assess_raw([LOW_WBC]).unexplained is None
    assert assess_raw([*lows, medication_request("clozapine", rxcui="2626")]).unexplained is None
    b12 = observation("b12", 120, "pg/mL", "2026-10-01T08:00:00Z")
    assert assess_raw([*lows, b12]).unexplained is None
