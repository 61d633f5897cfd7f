"""The sweep package's bottom layer: its error type and plain-data helpers.

Every other module of the package may import this one; it imports none of them. The
layers above it import one way only::

    base  ->  plan (run ids, lever and model checks)  ->  spec (TOML -> Spec)
          ->  design (points)  ->  store  ->  backends  ->  runner (the driver)  ->  analysis
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

__all__ = ["SpecError", "canonical_json", "short_hash", "plain", "fmt_allowed", "check_keys", "is_number",
           "int_field", "to_toml"]


class SpecError(ValueError):
    """An experiment spec that cannot be run; the message names the field and what is allowed."""


def canonical_json(obj: Any) -> str:
    """Stable JSON text of plain data (sorted keys, numpy scalars as Python numbers)."""
    return json.dumps(plain(obj), sort_keys=True, separators=(",", ":"), allow_nan=True)


def short_hash(obj: Any, n: int = 16) -> str:
    """The first ``n`` hex digits of the SHA-256 of ``obj``'s canonical JSON."""
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:n]


def plain(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and dataclasses to JSON-able Python values."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    item = getattr(obj, "item", None)  # numpy scalar
    if callable(item):
        try:
            return plain(item())
        except (TypeError, ValueError):
            pass
    tolist = getattr(obj, "tolist", None)
    if callable(tolist):
        return plain(tolist())
    return obj


def fmt_allowed(values) -> str:
    """``'a', 'b', 'c'``: allowed values as they appear in error messages."""
    return ", ".join(repr(v) for v in values)


def check_keys(table: dict, allowed, where: str) -> None:
    """Raise SpecError naming any key of ``table`` that is not in ``allowed``."""
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise SpecError(
            f"{where}: unknown key(s) {fmt_allowed(unknown)}; allowed keys: {fmt_allowed(allowed)}"
        )


def is_number(v: Any) -> bool:
    """An int or float, not a bool."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def int_field(value: Any, where: str, low: int = 1, high: int | None = None) -> int:
    """``value`` if it is an integer in [low, high]; else SpecError naming ``where`` and the range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{where}: {value!r} is not allowed: expected an integer >= {low}")
    if value < low or (high is not None and value > high):
        rng = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise SpecError(f"{where}: {value!r} is out of range: expected an integer {rng}")
    return value


def to_toml(raw: dict) -> str:
    """Minimal TOML writer for specs given as dicts (stored for provenance)."""

    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            if isinstance(v, float) and not math.isfinite(v):
                return "nan" if v != v else ("inf" if v > 0 else "-inf")
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{_key(k)} = {val(x)}" for k, x in v.items()) + " }"
        raise SpecError(f"cannot write {v!r} as TOML")

    def _key(k):
        return k if re.match(r"^[A-Za-z0-9_\-]+$", k) else json.dumps(k)

    lines = []
    for tname, tab in raw.items():
        if isinstance(tab, list) and all(isinstance(x, dict) for x in tab):
            for item in tab:
                lines.append(f"[[{tname}]]")
                lines += [f"{_key(k)} = {val(v)}" for k, v in item.items()]
                lines.append("")
        elif isinstance(tab, dict):
            lines.append(f"[{tname}]")
            lines += [f"{_key(k)} = {val(v)}" for k, v in tab.items()]
            lines.append("")
        else:
            lines.append(f"{_key(tname)} = {val(tab)}")
    return "\n".join(lines)
