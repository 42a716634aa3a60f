"""The CDS Services offered (one per hook), their prefetch templates, and the discovery document."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cds_service.clinical.knowledge import LOINC, KnowledgeBase
from cds_service.protocol.hooks import HOOKS, HookDefinition

SPEC_VERSION = "2.0.0"


@dataclass(frozen=True)
class ServiceDefinition:
    id: str
    hook: HookDefinition
    title: str
    description: str
    usage_requirements: str
    prefetch: dict[str, str]
    required_keys: frozenset[str]

    def discovery_entry(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "hook": self.hook.name,
            "title": self.title,
            "description": self.description,
            "usageRequirements": self.usage_requirements,
            "prefetch": dict(self.prefetch),
            "version": SPEC_VERSION,
        }


def _codes(kb: KnowledgeBase, *analytes: Any) -> str:
    return ",".join(f"{LOINC}|{code}" for code in kb.loinc_codes(*analytes))


def _fill(template: str, codes: dict[str, str]) -> str:
    for placeholder, value in codes.items():
        template = template.replace(placeholder, value)
    return template


def load_services(kb: KnowledgeBase) -> dict[str, ServiceDefinition]:
    data = tomllib.loads((Path(__file__).parent / "services.toml").read_text(encoding="utf-8"))
    codes = {
        "{hematology_codes}": _codes(kb, "wbc", "anc", "neutrophil_percent", "band_percent"),
        "{temperature_codes}": _codes(kb, "temperature"),
        "{deficiency_codes}": _codes(kb, "b12", "folate", "copper"),
    }
    prefetch = {key: _fill(template, codes) for key, template in data["prefetch"].items()}
    required = frozenset(data["required"]["keys"])
    return {
        item["id"]: ServiceDefinition(
            id=item["id"],
            hook=HOOKS[item["hook"]],
            title=item["title"],
            description=item["description"],
            usage_requirements=item["usage"],
            prefetch=prefetch,
            required_keys=required,
        )
        for item in data["services"]
    }


def service_ids_by_hook(services: dict[str, ServiceDefinition]) -> dict[str, str]:
    """Which service answers each hook (one service per hook, as services.toml defines them)."""
    return {service.hook.name: service.id for service in services.values()}


def discovery_document(services: dict[str, ServiceDefinition]) -> dict[str, Any]:
    return {"services": [service.discovery_entry() for service in services.values()]}
