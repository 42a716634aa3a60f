from __future__ import annotations

from decimal import Decimal

import pytest

from cds_service.clinical.knowledge import load_knowledge
from cds_service.clinical.units import UnitNotUnderstood, to_canonical
from tests.builders import assess_raw, observation

KB = load_knowledge()


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("3.1", "10*3/uL", "3.1"),
        ("3.1", "10*9/L", "3.1"),
        ("3100", "/uL", "3.1"),
        ("3100", "/mm3", "3.1"),
        ("3.1", "10*3/mm3", "3.1"),
        ("3.1", "K/uL", "3.1"),
        ("3.1", "x10E3/uL", "3.1"),
        ("3.1", "thou/uL", "3.1"),
        ("3.1", "10^3/uL", "3.1"),
        ("3.1", "/nL", "3.1"),
        ("3.1", "K/µL", "3.1"),
        ("3.1", "10E3/uL", "3.1"),
        ("3.1", "x10(3)/uL", "3.1"),
        ("3.1", "k/ul", "3.1"),
    ],
)
def test_counts_normalise_to_10e9_per_litre(value: str, unit: str, expected: str) -> None:
    assert to_canonical(KB, "count", Decimal(value), unit) == Decimal(expected)


@pytest.mark.parametrize(
    ("quantity", "value", "unit", "expected"),
    [
        ("b12", "300", "pg/mL", "300"),
        ("b12", "221.4", "pmol/L", "300"),
        ("folate", "4", "ng/mL", "4"),
        ("folate", "9.064", "nmol/L", "4"),
        ("copper", "70", "ug/dL", "70"),
        ("copper", "10.99", "umol/L", "70"),
        ("temperature", "101.3", "[degF]", "38.5"),
        ("temperature", "38.5", "Cel", "38.5"),
        ("percent", "45", "%", "45"),
    ],
)
def test_other_quantities_normalise(quantity: str, value: str, unit: str, expected: str) -> None:
    result = to_canonical(KB, quantity, Decimal(value), unit)
    assert abs(result - Decimal(expected)) < Decimal("0.01")


@pytest.mark.parametrize("unit", ["g/L", "cells", "", "mmol/L", "10*3"])
def test_a_unit_not_listed_is_never_guessed(unit: str) -> None:
    with pytest.raises(UnitNotUnderstood):
        to_canonical(KB, "count", Decimal("3.1"), unit)


def test_an_unknown_unit_on_the_latest_wbc_becomes_a_finding_not_a_guess() -> None:
    assessment = assess_raw(
        [
            observation("wbc", 6.0, "10*3/uL", "2026-11-01T08:00:00Z"),
            observation("wbc", 3.1, "bananas/uL", "2026-11-18T08:00:00Z", ucum=False),
        ]
    )
    assert [r.original_unit for r in assessment.unreadable] == ["bananas/uL"]
    assert assessment.wbc is not None and not assessment.wbc.is_low  # judged on the last readable value only
