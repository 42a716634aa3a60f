"""Loading the card templates: one TOML file per kind of card, readable and editable by a clinical reviewer."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

TEMPLATES = Path(__file__).resolve().parent / "templates"
ICON = Path(__file__).resolve().parent / "static" / "icon.png"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class Link(_Frozen):
    label: str
    url: str


class Reason(_Frozen):
    code: str
    display: str


class SourceTemplate(_Frozen):
    label: str
    url: str


class CardTemplate(_Frozen):
    kind: str
    priority: int
    topic: str
    indicator: dict[str, object]
    source: SourceTemplate
    summary: str
    detail: str
    links: tuple[Link, ...] = ()
    override_reasons: tuple[Reason, ...] = ()

    def text(self, name: str) -> str:
        """A phrase of this card's wording, by name (the template's extra keys)."""
        value = (self.model_extra or {}).get(name)
        if not isinstance(value, str):
            raise KeyError(f"template {self.kind} has no text {name!r}")
        return value


class Catalogue(_Frozen):
    topic_system: str
    override_system: str
    phrases: dict[str, str]  # wording shared by several cards (_common.toml)
    templates: dict[str, CardTemplate]

    def __getitem__(self, kind: str) -> CardTemplate:
        return self.templates[kind]

    def phrase(self, name: str) -> str:
        return self.phrases[name]


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    common = tomllib.loads((TEMPLATES / "_common.toml").read_text(encoding="utf-8"))
    templates = {}
    for path in sorted(TEMPLATES.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        template = CardTemplate.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        templates[template.kind] = template
    return Catalogue(templates=templates, **common)
