"""Unit normalisation to each analyte's canonical unit, from UCUM codes and the spellings labs really send."""

from __future__ import annotations

from decimal import Decimal

from cds_service.clinical.knowledge import KnowledgeBase

UCUM = "http://unitsofmeasure.org"
_FIVE_NINTHS = Decimal(5) / Decimal(9)


class UnitNotUnderstood(ValueError):
    """The unit is not one the knowledge base lists for this quantity; the value is not guessed."""


def to_canonical(kb: KnowledgeBase, quantity: str, value: Decimal, unit: str | None) -> Decimal:
    units = kb.units[quantity]
    if unit is None or not unit.strip():
        raise UnitNotUnderstood("no unit")
    unit = unit.strip()
    if unit in units.fahrenheit_units:
        return (value - 32) * _FIVE_NINTHS
    factor = _factor(units.factors, units.aliases, unit)
    if factor is None:
        raise UnitNotUnderstood(unit)
    return value * factor


def _factor(factors: dict[str, Decimal], aliases: dict[str, str], unit: str) -> Decimal | None:
    if unit in factors:
        return factors[unit]
    if unit in aliases:
        return factors.get(aliases[unit])
    folded = unit.casefold()
    for name, factor in factors.items():
        if name.casefold() == folded:
            return factor
    for alias, target in aliases.items():
        if alias.casefold() == folded:
            return factors.get(target)
    return None


def quantity_unit(unit: str | None, code: str | None, system: str | None) -> str | None:
    """The unit to interpret: the UCUM code when the system is UCUM, else the human-readable unit."""
    if code and system == UCUM:
        return code
    return unit or code
