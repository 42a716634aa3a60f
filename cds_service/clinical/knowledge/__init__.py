"""Loads and validates the knowledge base (the TOML/JSON files beside this module) once, at start-up.

Every code, unit, threshold and drug comes from these files; each entry names a source key that must exist
in sources.toml, so an unsourced fact fails loading rather than reaching a card.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

HERE = Path(__file__).resolve().parent
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"

Analyte = Literal["wbc", "anc", "neutrophil_percent", "band_percent", "temperature", "b12", "folate", "copper"]
Strength = Literal["expected", "well-documented", "reported"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    title: str
    url: str


class LabCode(_Frozen):
    code: str
    display: str
    source: str


class AnalyteDefinition(_Frozen):
    display: str
    quantity: str
    codes: tuple[LabCode, ...]


class Orderable(_Frozen):
    code: str
    display: str
    source: str


class Labs(_Frozen):
    analytes: dict[Analyte, AnalyteDefinition]
    orderables: dict[str, Orderable]


class QuantityUnits(_Frozen):
    canonical: str
    display: str
    source: str
    factors: dict[str, Decimal]
    aliases: dict[str, str] = Field(default_factory=dict)
    fahrenheit_units: tuple[str, ...] = ()


class AgeBand(_Frozen):
    min_age_years: int
    sex: Literal["any", "male", "female"]
    low: Decimal
    source: str


class LowerLimits(_Frozen):
    bands: tuple[AgeBand, ...]


class GradeStep(_Frozen):
    grade: int
    below: Decimal


class GradeScale(_Frozen):
    name: str
    source: str
    grades: tuple[GradeStep, ...]


class Windows(_Frozen):
    hematology_days: int
    deficiency_days: int
    fever_recent_hours: int
    same_specimen_minutes: int
    source: str


class FebrileCriteria(_Frozen):
    anc_below: Decimal
    single_temperature_at_least: Decimal
    sustained_temperature_at_least: Decimal
    sustained_minutes: int
    source: str


class TrendRule(_Frozen):
    min_relative_change: Decimal
    source: str


class DeficiencyCutoff(_Frozen):
    deficient_below: Decimal
    borderline_below: Decimal | None = None
    source: str


class GrowthFactorRule(_Frozen):
    consider_at_anc_grade: int
    high_risk_age_years: int
    source: str


class Thresholds(_Frozen):
    version: str
    windows: Windows
    wbc_lower_limit: LowerLimits
    anc_lower_limit: LowerLimits
    grades: dict[Literal["wbc", "anc"], GradeScale]
    febrile_neutropenia: FebrileCriteria
    trend: TrendRule
    deficiency: dict[Literal["b12", "folate", "copper"], DeficiencyCutoff]
    growth_factor: GrowthFactorRule


class Monitoring(_Frozen):
    text: str
    source: str


class Drug(_Frozen):
    id: str
    names: tuple[str, ...]
    drug_class: str = Field(alias="class")
    strength: Strength
    monitoring: str
    source: str
    rxcui: str | None = None
    rxcui_source: str | None = None
    atc_prefixes: tuple[str, ...] = ()
    chemotherapy: bool = False


class AtcGroup(_Frozen):
    prefix: str
    drug_class: str = Field(alias="class")
    strength: Strength
    monitoring: str
    source: str
    chemotherapy: bool = False


class GrowthFactors(_Frozen):
    names: tuple[str, ...]
    source: str


class Drugs(_Frozen):
    classes: dict[str, str]
    monitoring: dict[str, Monitoring]
    drugs: tuple[Drug, ...]
    atc_groups: tuple[AtcGroup, ...]
    growth_factors: GrowthFactors

    @model_validator(mode="after")
    def _references_resolve(self) -> Drugs:
        items: list[Drug | AtcGroup] = [*self.drugs, *self.atc_groups]
        for item in items:
            if item.drug_class not in self.classes:
                raise ValueError(f"unknown drug class {item.drug_class!r}")
            if item.monitoring not in self.monitoring:
                raise ValueError(f"unknown monitoring key {item.monitoring!r}")
        return self


class Product(_Frozen):
    name: str
    drugs: tuple[str, ...]


class KnowledgeBase(_Frozen):
    """All clinical knowledge, validated. ``version`` combines the thresholds version and a content hash."""

    version: str
    sources: dict[str, Source]
    labs: Labs
    units: dict[str, QuantityUnits]
    thresholds: Thresholds
    drugs: Drugs
    products: dict[str, Product]

    @model_validator(mode="after")
    def _every_source_exists(self) -> KnowledgeBase:
        cited: list[str] = [c.source for a in self.labs.analytes.values() for c in a.codes]
        cited += [o.source for o in self.labs.orderables.values()]
        cited += [u.source for u in self.units.values()]
        t = self.thresholds
        cited += [b.source for b in (*t.wbc_lower_limit.bands, *t.anc_lower_limit.bands)]
        cited += [g.source for g in t.grades.values()] + [d.source for d in t.deficiency.values()]
        cited += [t.windows.source, t.febrile_neutropenia.source, t.trend.source, t.growth_factor.source]
        cited += [d.source for d in self.drugs.drugs] + [g.source for g in self.drugs.atc_groups]
        cited += [d.rxcui_source for d in self.drugs.drugs if d.rxcui_source]
        if any(d.rxcui and not d.rxcui_source for d in self.drugs.drugs):
            raise ValueError("every RxCUI needs the source it was checked against (rxcui_source)")
        cited += [m.source for m in self.drugs.monitoring.values()] + [self.drugs.growth_factors.source]
        missing = sorted({key for key in cited if key not in self.sources})
        if missing:
            raise ValueError(f"knowledge entries cite unknown sources: {missing}")
        drug_ids = {d.id for d in self.drugs.drugs}
        for rxcui, product in self.products.items():
            if not set(product.drugs) <= drug_ids:
                raise ValueError(f"product {rxcui} maps to an unknown drug")
        return self

    @cached_property
    def analyte_by_loinc(self) -> dict[str, Analyte]:
        return {code.code: name for name, a in self.labs.analytes.items() for code in a.codes}

    @cached_property
    def drug_by_id(self) -> dict[str, Drug]:
        return {d.id: d for d in self.drugs.drugs}

    @cached_property
    def drug_by_rxcui(self) -> dict[str, Drug]:
        return {d.rxcui: d for d in self.drugs.drugs if d.rxcui}

    @cached_property
    def drug_name_pattern(self) -> tuple[tuple[re.Pattern[str], Drug], ...]:
        return tuple(
            (re.compile(r"\b(" + "|".join(re.escape(n) for n in d.names) + r")\b", re.I), d) for d in self.drugs.drugs
        )

    @cached_property
    def growth_factor_pattern(self) -> re.Pattern[str]:
        names = self.drugs.growth_factors.names
        return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.I)

    def lookback_days(self, analyte: Analyte) -> int:
        """How far back results of this analyte are read."""
        windows = self.thresholds.windows
        return windows.deficiency_days if analyte in ("b12", "folate", "copper") else windows.hematology_days

    def loinc_codes(self, *analytes: Analyte) -> tuple[str, ...]:
        return tuple(code.code for a in analytes for code in self.labs.analytes[a].codes)

    def source_title(self, key: str) -> str:
        return self.sources[key].title


def _read_toml(name: str) -> dict[str, object]:
    return tomllib.loads((HERE / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def load_knowledge() -> KnowledgeBase:
    files = ("sources.toml", "labs.toml", "units.toml", "thresholds.toml", "drugs.toml", "rxnorm_products.json")
    digest = hashlib.sha256(b"".join((HERE / f).read_bytes() for f in files)).hexdigest()[:8]
    thresholds = _read_toml("thresholds.toml")
    products = json.loads((HERE / "rxnorm_products.json").read_text(encoding="utf-8"))["products"]
    return KnowledgeBase.model_validate(
        {
            "version": f"{thresholds['version']}+{digest}",
            "sources": _read_toml("sources.toml")["sources"],
            "labs": _read_toml("labs.toml"),
            "units": _read_toml("units.toml")["quantities"],
            "thresholds": thresholds,
            "drugs": _read_toml("drugs.toml"),
            "products": products,
        }
    )
