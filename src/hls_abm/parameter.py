"""One model parameter: its default, allowed range, meaning, source and evidence tier.

The base of the parameter modules: ``param_specs`` (the catalogue), ``differences``
(what differs between the two service systems) and ``params`` (validation, scenarios,
TOML) build on it, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Evidence tiers. Every number that shapes behaviour has one.
TIERS: dict[str, str] = {
    "evidence": "a published number",
    "direction": "a source gives the sign; the size is assumed",
    "assumption": "an assumption (size and sign)",
}


class ParameterError(ValueError):
    """A parameter value, name or file that the model cannot accept."""


@dataclass(frozen=True)
class Param:
    """One model parameter: its default, allowed range, meaning and source."""

    name: str
    default: Any
    low: float | None = None
    high: float | None = None
    kind: str = "float"  # float | int | bool | choice
    doc: str = ""
    source: str = "assumption"
    choices: tuple = field(default_factory=tuple)
    tier: str = "assumption"  # evidence | direction | assumption (see TIERS)

    def allowed(self) -> str:
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return f"a{'n integer' if self.kind == 'int' else ' number'} in [{self.low}, {self.high}]"

    def check(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ParameterError."""
        bad = ParameterError(f"{self.name}={value!r} is not allowed: expected {self.allowed()}")
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
                return value.lower() in ("true", "1", "yes")
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise bad
        if self.kind == "choice":
            if value in self.choices:
                return value
            raise bad
        if isinstance(value, bool):
            raise bad
        try:
            if self.kind == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise bad
                v = int(value)
            else:
                v = float(value)
        except (TypeError, ValueError):
            raise bad from None
        if v != v or not (self.low <= v <= self.high):  # NaN or out of range
            raise bad
        return v


def _p(name, default, low=None, high=None, doc="", source="assumption", kind=None, choices=(), tier="assumption"):
    if kind is None:
        kind = "bool" if isinstance(default, bool) else "int" if isinstance(default, int) else "float"
    if tier not in TIERS:
        raise ValueError(f"{name}: tier={tier!r} is not one of {', '.join(TIERS)}")
    return Param(name, default, low, high, kind, doc, source, tuple(choices), tier)
