"""The hooks this service answers, with the context each one requires (CDS Hooks "Hook Definition Format").

Standard hooks follow the HL7 CDS Hooks Library definitions; `io.github.leukopenia-cds.result-sign` is ours
and is defined in ``docs/hooks/result-sign.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ContextType = Literal["string", "array", "Bundle"]

RESULT_SIGN = "io.github.leukopenia-cds.result-sign"


@dataclass(frozen=True)
class ContextField:
    name: str
    type: ContextType
    required: bool
    prefetch_token: bool


@dataclass(frozen=True)
class HookDefinition:
    name: str
    context: tuple[ContextField, ...]

    @property
    def token_fields(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.context if field.prefetch_token)


_USER = ContextField("userId", "string", required=True, prefetch_token=True)
_PATIENT = ContextField("patientId", "string", required=True, prefetch_token=True)
_ENCOUNTER = ContextField("encounterId", "string", required=False, prefetch_token=True)
_DRAFT_ORDERS = ContextField("draftOrders", "Bundle", required=True, prefetch_token=False)

HOOKS: dict[str, HookDefinition] = {
    hook.name: hook
    for hook in (
        HookDefinition("patient-view", (_USER, _PATIENT, _ENCOUNTER)),
        HookDefinition(
            "order-select",
            (_USER, _PATIENT, _ENCOUNTER, ContextField("selections", "array", True, False), _DRAFT_ORDERS),
        ),
        HookDefinition("order-sign", (_USER, _PATIENT, _ENCOUNTER, _DRAFT_ORDERS)),
        HookDefinition(RESULT_SIGN, (_USER, _PATIENT, _ENCOUNTER, ContextField("results", "Bundle", True, False))),
    )
}
