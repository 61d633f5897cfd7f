"""The objects of a validated experiment spec: factors, levers, design, outputs, the spec
itself, and the summary statistics a spec may ask for. :mod:`.spec` builds them from TOML."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from .base import SpecError, fmt_allowed, plain, short_hash
from .plan import DEFAULT_MODEL

__all__ = ["DESIGN_METHODS", "SUMMARY_STATS", "parse_stat", "Factor", "LeverSpec", "Design", "Outputs", "Spec"]

DESIGN_METHODS = ("grid", "lhs", "sobol", "morris")

#: Summary statistics of a per-week series; ``_N`` forms take a number of weeks.
SUMMARY_STATS = (
    "mean", "sum", "final", "first", "min", "max", "std", "median", "argmin", "argmax",
    "mean_last_N", "sum_last_N", "mean_first_N", "sum_first_N", "mean_from_N", "sum_from_N",
)
_STAT_RE = re.compile(r"^(mean|sum)_(last|first|from)_(\d+)$")


def parse_stat(stat: str, steps: int | None = None, where: str = "") -> tuple[str, str | None, int | None]:
    """Split a summary statistic name into (agg, window, weeks); raise SpecError if unknown."""
    if stat in SUMMARY_STATS and "_N" not in stat:
        return stat, None, None
    m = _STAT_RE.match(stat) if isinstance(stat, str) else None
    if not m:
        raise SpecError(
            f"{where}: unknown summary statistic {stat!r}; allowed: {fmt_allowed(SUMMARY_STATS)}"
            " (N = a number of weeks, e.g. mean_last_52)"
        )
    agg, window, n = m.group(1), m.group(2), int(m.group(3))
    if n < 1 or (steps is not None and window != "from" and n > steps) or (
        steps is not None and window == "from" and n >= steps
    ):
        raise SpecError(f"{where}: {stat!r} needs N in [1, {steps if window != 'from' else steps - 1}] weeks")
    return agg, window, n


# --------------------------------------------------------------------------------------------
# spec objects


@dataclass(frozen=True)
class Factor:
    """One design dimension: a model parameter or a lever argument that varies across runs."""

    name: str                      # column name: parameter name, or "<lever id>.<field>"
    kind: str                      # "float" | "int" | "bool" | "choice"
    values: tuple | None = None    # explicit values (grid)
    low: float | None = None       # range
    high: float | None = None
    num: int | None = None         # grid points on a range
    lever: int | None = None       # index into Spec.levers when the factor is a lever argument
    field: str | None = None       # lever field ("week" or a keyword argument)

    @property
    def is_range(self) -> bool:
        """Given as {low, high} (sampled designs), not as explicit values."""
        return self.values is None

    def grid_values(self) -> tuple:
        """The factor's values in a grid: its list, or ``num`` evenly spaced (integers deduplicated)."""
        if self.values is not None:
            return self.values
        import numpy as np

        vals = np.linspace(self.low, self.high, self.num)
        if self.kind == "int":
            out: list = []
            for v in vals:
                iv = int(round(float(v)))
                if iv not in out:
                    out.append(iv)
            return tuple(out)
        return tuple(float(v) for v in vals)


@dataclass(frozen=True)
class LeverSpec:
    """A policy lever applied at a given week; ``kwargs`` holds its fixed arguments."""

    id: str
    name: str
    week: int | None               # None when the week is a factor
    kwargs: dict = field(default_factory=dict)
    scenarios: tuple | None = None  # None: every scenario


@dataclass(frozen=True)
class Design:
    """The ``[design]`` table: sampler and its settings."""

    method: str = "grid"
    samples: int | None = None       # lhs points / sobol base N
    trajectories: int | None = None  # morris
    levels: int = 4
    second_order: bool = False
    seed: int = 0


@dataclass(frozen=True)
class Outputs:
    """The ``[outputs]`` table, resolved: kept series and per-run summary statistics."""

    series: tuple = ()
    series_every: int = 1
    summaries: dict = field(default_factory=dict)  # column -> tuple of stats

    def summary_columns(self) -> list[str]:
        """The stored summary columns, ``<column>.<stat>``."""
        return [f"{col}.{stat}" for col, stats in self.summaries.items() for stat in stats]

    def as_dict(self) -> dict:
        """Plain data (sent to workers, stored in the provenance, hashed for resume)."""
        return {"series": list(self.series), "series_every": self.series_every,
                "summaries": {k: list(v) for k, v in self.summaries.items()}}


@dataclass
class Spec:
    """A validated experiment spec."""

    name: str
    description: str
    scenarios: tuple
    steps: int
    seeds: tuple
    fixed: dict                 # parameter -> value held constant
    factors: tuple              # Factor, in spec order
    design: Design
    levers: tuple               # LeverSpec
    outputs: Outputs
    analysis: dict
    model: str = DEFAULT_MODEL
    source_text: str = ""
    source_path: str | None = None
    raw: dict = field(default_factory=dict)

    def identity(self) -> dict:
        """Everything that determines which runs exist and what is stored (not [analysis] or text)."""
        raw = {k: v for k, v in self.raw.items() if k != "analysis"}
        exp = dict(raw.get("experiment", {}))
        exp.pop("description", None)
        raw["experiment"] = exp
        return raw

    def identity_hash(self) -> str:
        """Hash of :meth:`identity`; a results directory holds the runs of one identity."""
        # key order matters (it orders the design's factors), so no sort_keys here
        text = json.dumps(plain(self.identity()), separators=(",", ":"), allow_nan=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def outputs_hash(self) -> str:
        """Hash of the resolved outputs (the default summaries follow ``hls_abm.OUTPUT_COLUMNS``)."""
        return short_hash(self.outputs.as_dict(), 32)

    @property
    def factor_names(self) -> list[str]:
        return [f.name for f in self.factors]

    def problem(self) -> dict:
        """SALib problem dict of the range factors (for lhs/sobol/morris)."""
        rng = [f for f in self.factors if f.is_range]
        return {"num_vars": len(rng), "names": [f.name for f in rng],
                "bounds": [[float(f.low), float(f.high)] for f in rng]}

    def points(self) -> list[dict]:
        """The design points: one dict factor -> value each (plus '_sample' = row in the sample)."""
        from .design import design_points

        return design_points(self)
