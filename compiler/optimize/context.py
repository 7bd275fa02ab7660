"""What the passes know besides the plan: the values of literal slots and which components are pure."""

from __future__ import annotations

from dataclasses import dataclass

from flowc.compiler import components as comp
from flowc.compiler.ir import Slot


@dataclass(frozen=True)
class Context:
    slots: tuple[tuple[str | None, float], ...]  # per slot: (param name, or None and the literal's value)

    @classmethod
    def of(cls, analysis) -> Context:
        binding = getattr(analysis, "binding", None)
        slots = tuple(binding.params.slots) if binding is not None else ()
        return cls(slots)

    def slot_key(self, slot: Slot) -> tuple:
        """Two slots hold the same number at every parameter point iff their keys are equal."""
        if slot.index >= len(self.slots):
            return ("slot", slot.index)
        name, value = self.slots[slot.index]
        if name is not None:
            return ("param", name)
        return ("literal", float(value).hex())  # hex: -0.0 and 0.0, and NaN payloads, stay apart

    @staticmethod
    def pure(role: str, setting: str, component: str) -> bool:
        """Built-in components are deterministic in their inputs and state; user plugins may not be."""
        found = comp.lookup(role, setting, component)
        return found is not None and found in comp.BUILTIN
