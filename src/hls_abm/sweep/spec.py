"""Experiment specs: TOML parsing and validation.

A spec says which scenarios, parameters (fixed values, lists of values or
ranges), design, seeds, weeks, outputs and policy levers make up a sweep.
:func:`load_spec` / :func:`parse_spec` check everything before a single run
starts; a bad spec raises :class:`SpecError` naming the field and what is
allowed, and nothing is written anywhere.

Layout of a spec (every table but ``[experiment]`` is optional)::

    [experiment]
    name = "complexity_crossover"
    description = "Where do local teams start to beat NPM?"
    scenarios = ["npm", "local_teams"]   # default: both twin worlds
    steps = 260                          # weeks per run
    replicates = 5                       # seeds seed, seed+1, ... (or seeds = [..])
    seed = 0

    [parameters]
    n_citizens = 1000                              # fixed value
    complex_share = [0.0, 0.2, 0.4]                # grid values
    community_strength = {low = 0.1, high = 0.9, num = 5}   # grid: 5 evenly spaced
    budget_factor = {low = 0.6, high = 1.4}        # range for lhs / sobol / morris

    [design]
    method = "grid"          # grid | lhs | sobol | morris
    # samples = 64           # lhs: points; sobol: base N (a power of 2)
    # trajectories = 10      # morris
    # levels = 4             # morris grid levels
    # second_order = false   # sobol
    # seed = 1               # sampler seed

    [[levers]]
    name = "budget_cut"
    week = 52
    percent = [0, 10, 20, 30]      # lever arguments may be swept too
    # scenarios = ["npm"]          # only in these scenarios
    # id = "cut"                   # name of the factor columns ("cut.percent")

    [outputs]
    series = ["total_cost", "mean_wellbeing"]   # per-week series kept
    series_every = 1
    [outputs.summaries]
    total_cost = ["sum", "mean_last_52"]
    mean_wellbeing = ["mean_last_52", "final"]

    [analysis]       # hints for `hls-abm analyse` figures
    fan_charts = ["total_cost"]
    heatmap = { x = "complex_share", y = "community_strength", output = "total_cost.sum" }
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "SpecError",
    "Spec",
    "Factor",
    "LeverSpec",
    "Outputs",
    "Design",
    "load_spec",
    "parse_spec",
    "SUMMARY_STATS",
    "DESIGN_METHODS",
    "canonical_json",
    "short_hash",
]

DESIGN_METHODS = ("grid", "lhs", "sobol", "morris")

#: Summary statistics of a per-week series; ``_N`` forms take a number of weeks.
SUMMARY_STATS = (
    "mean", "sum", "final", "first", "min", "max", "std", "median", "argmin", "argmax",
    "mean_last_N", "sum_last_N", "mean_first_N", "sum_first_N", "mean_from_N", "sum_from_N",
)
_STAT_RE = re.compile(r"^(mean|sum)_(last|first|from)_(\d+)$")

_EXPERIMENT_KEYS = ("name", "description", "scenarios", "steps", "replicates", "seeds", "seed", "model")
_DESIGN_KEYS = {
    "grid": ("method",),
    "lhs": ("method", "samples", "seed"),
    "sobol": ("method", "samples", "seed", "second_order"),
    "morris": ("method", "trajectories", "levels", "seed"),
}
_OUTPUT_KEYS = ("series", "series_every", "summaries")
_ANALYSIS_KEYS = ("fan_charts", "heatmap", "line", "sobol_outputs", "compare", "conf", "tornado")
_TOP_KEYS = ("experiment", "parameters", "design", "levers", "outputs", "analysis")

#: Columns the core model is documented to collect (used when the model cannot be probed).
DEFAULT_MODEL_COLUMNS = (
    "contacts", "value_demand", "failure_demand", "failure_demand_share", "referrals",
    "handoffs_per_person", "waiting_list", "mean_wait_weeks", "unmet_need", "crisis_events",
    "cost_staff", "cost_support", "cost_overhead", "cost_crisis", "total_cost", "cost_per_citizen",
    "mean_wellbeing", "p10_wellbeing", "wellbeing_gini", "mean_resilience", "isolated_share",
    "mean_tie_strength", "staff_stress", "staff_sickness", "staff_turnover", "reported_kpi",
    "real_outcome",
)
_SUM_BY_DEFAULT = ("total_cost", "contacts", "value_demand", "failure_demand", "referrals", "crisis_events")


class SpecError(ValueError):
    """An experiment spec that cannot be run; the message names the field and what is allowed."""


# --------------------------------------------------------------------------------------------
# small helpers


def canonical_json(obj: Any) -> str:
    """Stable JSON text of plain data (sorted keys, numpy scalars as Python numbers)."""
    return json.dumps(_plain(obj), sort_keys=True, separators=(",", ":"), allow_nan=True)


def short_hash(obj: Any, n: int = 16) -> str:
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:n]


def _plain(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and dataclasses to JSON-able Python values."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    item = getattr(obj, "item", None)  # numpy scalar
    if callable(item):
        try:
            return _plain(item())
        except (TypeError, ValueError):
            pass
    tolist = getattr(obj, "tolist", None)
    if callable(tolist):
        return _plain(tolist())
    return obj


def _fmt_allowed(values) -> str:
    return ", ".join(repr(v) for v in values)


def _check_keys(table: dict, allowed, where: str) -> None:
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise SpecError(
            f"{where}: unknown key(s) {_fmt_allowed(unknown)}; allowed keys: {_fmt_allowed(allowed)}"
        )


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _int_field(value: Any, where: str, low: int = 1, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{where}: {value!r} is not allowed: expected an integer >= {low}")
    if value < low or (high is not None and value > high):
        rng = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise SpecError(f"{where}: {value!r} is out of range: expected an integer {rng}")
    return value


def parse_stat(stat: str, steps: int | None = None, where: str = "") -> tuple[str, str | None, int | None]:
    """Split a summary statistic name into (agg, window, weeks); raise SpecError if unknown."""
    if stat in SUMMARY_STATS and "_N" not in stat:
        return stat, None, None
    m = _STAT_RE.match(stat) if isinstance(stat, str) else None
    if not m:
        raise SpecError(
            f"{where}: unknown summary statistic {stat!r}; allowed: {_fmt_allowed(SUMMARY_STATS)}"
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
        return self.values is None

    def grid_values(self) -> tuple:
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
    method: str = "grid"
    samples: int | None = None       # lhs points / sobol base N
    trajectories: int | None = None  # morris
    levels: int = 4
    second_order: bool = False
    seed: int = 0


@dataclass(frozen=True)
class Outputs:
    series: tuple = ()
    series_every: int = 1
    summaries: dict = field(default_factory=dict)  # column -> tuple of stats

    def summary_columns(self) -> list[str]:
        return [f"{col}.{stat}" for col, stats in self.summaries.items() for stat in stats]

    def as_dict(self) -> dict:
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
    model: str = "hls_abm:HLSModel"
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
        # key order matters (it orders the design's factors), so no sort_keys here
        text = json.dumps(_plain(self.identity()), separators=(",", ":"), allow_nan=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def outputs_hash(self) -> str:
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


# --------------------------------------------------------------------------------------------
# parsing


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file. Raises SpecError (bad TOML, bad field) or FileNotFoundError."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SpecError(f"spec file {path} does not exist") from None
    except IsADirectoryError:
        raise SpecError(f"spec file {path} is a directory, not a TOML file") from None
    return parse_spec(text, source_path=str(path))


def parse_spec(text_or_dict: str | dict, source_path: str | None = None, *, check_points: bool = True) -> Spec:
    """Parse and validate a spec from TOML text or an already-parsed dict."""
    where = source_path or "spec"
    if isinstance(text_or_dict, str):
        text = text_or_dict
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise SpecError(f"{where} is not valid TOML: {err}") from None
    elif isinstance(text_or_dict, dict):
        raw = json.loads(json.dumps(_plain(text_or_dict)))  # a plain copy, in the given key order
        text = _to_toml(raw)
    else:
        raise SpecError(f"a spec is TOML text, a dict or a path, not {type(text_or_dict).__name__}")

    _check_keys(raw, _TOP_KEYS, "spec")
    from hls_abm import PARAMS, SCENARIOS  # noqa: PLC0415 (import at use: workers may not need it)

    # --- [experiment]
    exp = raw.get("experiment")
    if not isinstance(exp, dict):
        raise SpecError("[experiment]: missing table; it needs at least steps = <weeks>")
    _check_keys(exp, _EXPERIMENT_KEYS, "experiment")
    name = exp.get("name") or (Path(source_path).stem if source_path else "sweep")
    if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9_.\-]+$", name):
        raise SpecError(f"experiment.name: {name!r} is not allowed: expected letters, digits, '_', '-', '.'")
    description = exp.get("description", "")
    if not isinstance(description, str):
        raise SpecError("experiment.description: expected a string")
    scenarios = exp.get("scenarios", ["npm", "local_teams"])
    if isinstance(scenarios, str):
        scenarios = [scenarios]
    if not isinstance(scenarios, list) or not scenarios:
        raise SpecError(
            f"experiment.scenarios: expected a non-empty list of scenario names from {_fmt_allowed(SCENARIOS)}"
            " (an empty list would give an empty design)"
        )
    for s in scenarios:
        if s not in SCENARIOS:
            raise SpecError(f"experiment.scenarios: unknown scenario {s!r}; allowed: {_fmt_allowed(SCENARIOS)}")
    if len(set(scenarios)) != len(scenarios):
        raise SpecError("experiment.scenarios: a scenario is listed twice")
    if "steps" not in exp:
        raise SpecError("experiment.steps: missing; expected the number of weeks per run, an integer >= 1")
    steps = _int_field(exp["steps"], "experiment.steps", 1, 100_000)
    if "seeds" in exp and "replicates" in exp:
        raise SpecError("experiment: give either replicates (with seed) or seeds, not both")
    if "seeds" in exp:
        seeds = exp["seeds"]
        if not isinstance(seeds, list) or not seeds:
            raise SpecError("experiment.seeds: expected a non-empty list of integers >= 0 (empty: no runs)")
        for s in seeds:
            _int_field(s, "experiment.seeds", 0)
        if len(set(seeds)) != len(seeds):
            raise SpecError("experiment.seeds: a seed is listed twice")
        seeds = tuple(seeds)
    else:
        reps = exp.get("replicates", 1)
        if isinstance(reps, int) and not isinstance(reps, bool) and reps < 1:
            raise SpecError(f"experiment.replicates: {reps!r} would give an empty design: expected an integer >= 1")
        reps = _int_field(reps, "experiment.replicates", 1)
        base = _int_field(exp.get("seed", 0), "experiment.seed", 0)
        seeds = tuple(range(base, base + reps))
    model = exp.get("model", "hls_abm:HLSModel")
    if not isinstance(model, str) or ":" not in model:
        raise SpecError(f"experiment.model: {model!r}: expected 'package.module:ClassName'")

    # --- [design]
    dtab = raw.get("design", {})
    if not isinstance(dtab, dict):
        raise SpecError("[design]: expected a table")
    method = dtab.get("method", "grid")
    if method not in DESIGN_METHODS:
        raise SpecError(f"design.method: unknown sampler {method!r}; allowed: {_fmt_allowed(DESIGN_METHODS)}")
    _check_keys(dtab, _DESIGN_KEYS[method], f"design (method {method!r})")
    dseed = _int_field(dtab.get("seed", 0), "design.seed", 0)
    design = Design(method=method, seed=dseed)
    need = {"lhs": ("samples", "the number of points"), "sobol": ("samples", "the base sample size N, a power of 2"),
            "morris": ("trajectories", "the number of trajectories")}.get(method)
    if need and need[0] not in dtab:
        raise SpecError(f"design.{need[0]}: missing; design {method!r} needs {need[0]} = <{need[1]}>")
    if method == "lhs":
        design = Design(method, samples=_int_field(dtab["samples"], "design.samples", 1), seed=dseed)
    elif method == "sobol":
        n = _int_field(dtab["samples"], "design.samples", 1)
        if n & (n - 1):
            raise SpecError(f"design.samples: {n} is not allowed for sobol: expected a power of 2 (e.g. 32, 64, 128)")
        so = dtab.get("second_order", False)
        if not isinstance(so, bool):
            raise SpecError("design.second_order: expected true or false")
        design = Design(method, samples=n, second_order=so, seed=dseed)
    elif method == "morris":
        t = _int_field(dtab["trajectories"], "design.trajectories", 2)
        lv = _int_field(dtab.get("levels", 4), "design.levels", 2, 64)
        if lv % 2:
            raise SpecError(f"design.levels: {lv} is not allowed: expected an even number (e.g. 4)")
        design = Design(method, trajectories=t, levels=lv, seed=dseed)
    sampled = method != "grid"

    # --- [parameters]
    ptab = raw.get("parameters", {})
    if not isinstance(ptab, dict):
        raise SpecError("[parameters]: expected a table")
    fixed: dict = {}
    factors: list[Factor] = []
    for pname, value in ptab.items():
        where_p = f"parameters.{pname}"
        if pname == "scenario":
            raise SpecError(f"{where_p}: not a parameter; list scenarios in experiment.scenarios")
        if pname not in PARAMS:
            raise SpecError(f"{where_p}: unknown parameter; known parameters: {', '.join(PARAMS)}")
        spec = PARAMS[pname]
        f = _parse_value(value, where_p, pname, spec.kind, sampled, method, checker=spec)
        if isinstance(f, Factor):
            factors.append(f)
        else:
            fixed[pname] = f

    # --- [[levers]]
    levers_raw = raw.get("levers", [])
    if isinstance(levers_raw, dict):
        levers_raw = [levers_raw]
    if not isinstance(levers_raw, list):
        raise SpecError("[[levers]]: expected an array of tables")
    levers: list[LeverSpec] = []
    try:
        from hls_abm import LEVERS  # noqa: PLC0415
    except ImportError:  # the core model does not expose levers (yet)
        LEVERS = {}
    ids: set = set()
    for i, lt in enumerate(levers_raw):
        where_l = f"levers[{i}]"
        if not isinstance(lt, dict):
            raise SpecError(f"{where_l}: expected a table with name and week")
        lname = lt.get("name")
        if lname not in LEVERS:
            raise SpecError(f"{where_l}.name: unknown lever {lname!r}; allowed: {_fmt_allowed(LEVERS)}")
        lid = lt.get("id", lname)
        if not isinstance(lid, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", lid):
            raise SpecError(f"{where_l}.id: {lid!r}: expected an identifier")
        if lid in ids:
            raise SpecError(f"{where_l}.id: lever id {lid!r} is used twice; give each lever a distinct id = \"...\"")
        if lid in PARAMS:
            raise SpecError(f"{where_l}.id: {lid!r} is a parameter name; choose another id")
        ids.add(lid)
        if "week" not in lt:
            raise SpecError(f"{where_l}.week: missing; expected the week (0..{steps - 1}) at which the lever is applied")
        lscen = lt.get("scenarios")
        if lscen is not None:
            if isinstance(lscen, str):
                lscen = [lscen]
            if not isinstance(lscen, list) or not lscen:
                raise SpecError(f"{where_l}.scenarios: expected a non-empty list of scenario names")
            for s in lscen:
                if s not in scenarios:
                    raise SpecError(
                        f"{where_l}.scenarios: {s!r} is not one of this experiment's scenarios {_fmt_allowed(scenarios)}"
                    )
            lscen = tuple(lscen)
        week_val = _parse_value(lt["week"], f"{where_l}.week", f"{lid}.week", "int", sampled, method,
                                bounds=(0, steps - 1), lever=len(levers), fld="week")
        if isinstance(week_val, Factor):
            factors.append(week_val)
            week = None
        else:
            week = week_val
        kwargs: dict = {}
        allowed_kw = _lever_kwargs(LEVERS[lname])
        for key, v in lt.items():
            if key in ("name", "week", "id", "scenarios"):
                continue
            if allowed_kw is not None and key not in allowed_kw:
                raise SpecError(
                    f"{where_l}.{key}: unknown argument of lever {lname!r}; allowed: "
                    f"{_fmt_allowed(['week', 'id', 'scenarios', *allowed_kw])}"
                )
            kind, bounds = _lever_kind(LEVERS[lname], key, v)
            pv = _parse_value(v, f"{where_l}.{key}", f"{lid}.{key}", kind, sampled, method,
                              bounds=bounds, lever=len(levers), fld=key)
            if isinstance(pv, Factor):
                factors.append(pv)
            else:
                kwargs[key] = pv
        levers.append(LeverSpec(lid, lname, week, kwargs, lscen))
    for lv in levers:  # check fixed lever arguments now (swept ones are checked per point)
        if lv.week is not None and all(f.lever != levers.index(lv) for f in factors):
            _check_lever_call(LEVERS, lv.name, lv.kwargs, f"levers[{levers.index(lv)}]")

    if sampled and not any(f.is_range for f in factors):
        raise SpecError(
            f"design.method {method!r} needs at least one parameter given as a range {{low = .., high = ..}}"
            " (empty design)"
        )

    # --- [outputs]
    otab = raw.get("outputs", {})
    if not isinstance(otab, dict):
        raise SpecError("[outputs]: expected a table")
    _check_keys(otab, _OUTPUT_KEYS, "outputs")
    columns = model_columns(model)
    series = otab.get("series", [])
    if isinstance(series, str):
        series = [series]
    if not isinstance(series, list):
        raise SpecError("outputs.series: expected a list of model output columns")
    for c in series:
        if c not in columns:
            raise SpecError(f"outputs.series: unknown output column {c!r}; allowed: {_fmt_allowed(columns)}")
    every = _int_field(otab.get("series_every", 1), "outputs.series_every", 1, steps)
    sums_raw = otab.get("summaries")
    summaries: dict = {}
    if sums_raw is None:
        for c in columns:
            summaries[c] = ("mean", "final", "sum") if c in _SUM_BY_DEFAULT or c.startswith("cost_") else ("mean", "final")
    else:
        if not isinstance(sums_raw, dict) or not sums_raw:
            raise SpecError("outputs.summaries: expected a table column = [statistics], e.g. total_cost = [\"sum\"]")
        for c, stats in sums_raw.items():
            if c not in columns:
                raise SpecError(f"outputs.summaries.{c}: unknown output column; allowed: {_fmt_allowed(columns)}")
            if isinstance(stats, str):
                stats = [stats]
            if not isinstance(stats, list) or not stats:
                raise SpecError(f"outputs.summaries.{c}: expected a non-empty list of statistics")
            for s in stats:
                parse_stat(s, steps, f"outputs.summaries.{c}")
            summaries[c] = tuple(dict.fromkeys(stats))
    outputs = Outputs(tuple(series), every, summaries)

    # --- [analysis]
    atab = raw.get("analysis", {})
    if not isinstance(atab, dict):
        raise SpecError("[analysis]: expected a table")
    _check_keys(atab, _ANALYSIS_KEYS, "analysis")
    _check_analysis(atab, outputs, [f.name for f in factors], scenarios)

    spec = Spec(
        name=name, description=description, scenarios=tuple(scenarios), steps=steps, seeds=seeds,
        fixed=fixed, factors=tuple(factors), design=design, levers=tuple(levers), outputs=outputs,
        analysis=atab, model=model, source_text=text, source_path=source_path, raw=raw,
    )
    if check_points:
        from .design import design_points
        from .runner import plan_runs

        pts = design_points(spec)
        if not pts:
            raise SpecError("design: the design has no points (empty design)")
        plan_runs(spec, pts)  # validates every (scenario, point) and every lever call
    return spec


def _parse_value(value, where, name, kind, sampled, method, *, checker=None, bounds=None, lever=None, fld=None):
    """A fixed value (returned as is, checked) or a Factor."""

    def check(v, what=""):
        if checker is not None:
            try:
                return checker.check(v)
            except ValueError as err:
                raise SpecError(f"{where}{what}: {err}") from None
        if bounds is not None:
            lo, hi = bounds
            if not _is_number(v) or (kind == "int" and float(v) != int(v)) or not (lo <= v <= hi):
                typ = "an integer" if kind == "int" else "a number"
                raise SpecError(f"{where}{what}: {v!r} is out of range: expected {typ} in [{lo}, {hi}]")
            return int(v) if kind == "int" else v
        return v

    if isinstance(value, list) or (isinstance(value, dict) and "values" in value):
        if isinstance(value, dict):
            _check_keys(value, ("values",), where)
            value = value["values"]
            if not isinstance(value, list):
                raise SpecError(f"{where}.values: expected a list")
        if not value:
            raise SpecError(f"{where}: empty list of values: the design would have no runs")
        if sampled:
            raise SpecError(
                f"{where}: a list of values needs design.method = \"grid\"; with {method!r} give a range"
                " {low = .., high = ..} or a single fixed value"
            )
        vals = tuple(check(v, f"[{i}]") for i, v in enumerate(value))
        if len(set(map(repr, vals))) != len(vals):
            raise SpecError(f"{where}: a value is listed twice")
        return Factor(name, kind, values=vals, lever=lever, field=fld)
    if isinstance(value, dict):
        allowed = ("low", "high", "num") if not sampled else ("low", "high")
        _check_keys(value, allowed, where)
        if kind in ("bool", "choice", "str"):
            raise SpecError(f"{where}: a range needs a numeric parameter; give a list of values instead")
        for k in ("low", "high"):
            if k not in value:
                raise SpecError(f"{where}.{k}: missing; a range needs low and high")
        lo, hi = check(value["low"], ".low"), check(value["high"], ".high")
        if not lo < hi:
            raise SpecError(f"{where}: low ({lo}) must be below high ({hi})")
        num = None
        if not sampled:
            if "num" not in value:
                raise SpecError(
                    f"{where}.num: a range in a grid design needs num = <number of points>"
                    " (or use a list of values, or a sampling design: lhs, sobol, morris)"
                )
            num = _int_field(value["num"], f"{where}.num", 2, 10_000)
        return Factor(name, kind, low=float(lo), high=float(hi), num=num, lever=lever, field=fld)
    return check(value)


def _lever_kwargs(lever) -> tuple | None:
    """Argument names a lever takes, or None if they cannot be determined."""
    import inspect

    arg = getattr(lever, "arg", None)
    if isinstance(arg, str):  # hls_abm.levers.Lever: one keyword argument
        return (arg,)
    for attr in ("kwargs", "params", "arguments", "args"):
        v = getattr(lever, attr, None)
        if isinstance(v, dict):
            return tuple(v)
        if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
            return tuple(v)
    fn = lever if callable(lever) else getattr(lever, "apply", None)
    if callable(fn):
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return None
        if any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
            return None
        return tuple(p.name for p in sig.parameters.values()
                     if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in ("model", "self"))
    return None


def _lever_kind(lever, key, value) -> tuple[str, tuple | None]:
    """Type and bounds of one lever argument, when the lever declares them."""
    if getattr(lever, "arg", None) == key and getattr(lever, "low", None) is not None:
        return "float", (lever.low, lever.high)
    sample = value[0] if isinstance(value, list) and value else value.get("low") if isinstance(value, dict) else value
    kind = "int" if isinstance(sample, int) and not isinstance(sample, bool) else "float" if _is_number(sample) else "choice"
    return kind, None


def _check_lever_call(levers, name, kwargs, where) -> None:
    """Check one lever call's arguments with the model's own checker."""
    lever = levers[name]
    arg = getattr(lever, "arg", None)
    check = getattr(lever, "check", None)
    try:
        if isinstance(arg, str) and callable(check):
            extra = set(kwargs) - {arg}
            if extra:
                raise ValueError(f"lever {name} takes only {arg}=; got {', '.join(sorted(extra))}")
            check(kwargs.get(arg, getattr(lever, "default", None)))
        elif callable(check):
            check(**kwargs)
    except (TypeError, ValueError) as err:
        raise SpecError(f"{where}: {err}") from None


_columns_cache: dict = {}


def model_columns(model: str = "hls_abm:HLSModel") -> tuple:
    """Output columns the model collects each week (probed from a tiny instance)."""
    if model in _columns_cache:
        return _columns_cache[model]
    cols: tuple = ()
    try:
        import hls_abm  # noqa: PLC0415

        explicit = None
        if model == "hls_abm:HLSModel":
            explicit = hls_abm.OUTPUT_COLUMNS
        if explicit:
            cols = tuple(explicit)
        else:
            from .runner import load_model_class

            cls = load_model_class(model)
            m = cls(scenario="npm", n_citizens=20, rng=0)
            dc = getattr(m, "datacollector", None)
            cols = tuple(getattr(dc, "model_reporters", {}) or ())
    except Exception:  # noqa: BLE001 - fall back to the documented columns
        cols = ()
    if not cols:
        cols = DEFAULT_MODEL_COLUMNS
    _columns_cache[model] = cols
    return cols


def _check_analysis(atab: dict, outputs: Outputs, factor_names: list, scenarios: list) -> None:
    sumcols = outputs.summary_columns()
    fc = atab.get("fan_charts", [])
    if not isinstance(fc, list):
        raise SpecError("analysis.fan_charts: expected a list of series columns")
    for c in fc:
        if c not in outputs.series:
            raise SpecError(f"analysis.fan_charts: {c!r} is not kept as a series; allowed: {_fmt_allowed(outputs.series)}")
    for key in ("heatmap", "line", "tornado"):
        if key not in atab:
            continue
        t = atab[key]
        if not isinstance(t, dict):
            raise SpecError(f"analysis.{key}: expected a table")
        need = {"heatmap": ("x", "y", "output"), "line": ("x", "outputs"), "tornado": ("output",)}[key]
        _check_keys(t, need + (("scenario",) if key == "tornado" else ()), f"analysis.{key}")
        for k in need:
            if k not in t:
                raise SpecError(f"analysis.{key}.{k}: missing")
        for k in ("x", "y"):
            if k in t and t[k] not in factor_names:
                raise SpecError(f"analysis.{key}.{k}: {t[k]!r} is not a swept factor; allowed: {_fmt_allowed(factor_names)}")
        outs = t.get("outputs", [t.get("output")]) if "outputs" in t else [t["output"]]
        for o in outs:
            if o not in sumcols:
                raise SpecError(f"analysis.{key}: output {o!r} is not a summary column; allowed: {_fmt_allowed(sumcols)}")
    for o in atab.get("sobol_outputs", []):
        if o not in sumcols:
            raise SpecError(f"analysis.sobol_outputs: {o!r} is not a summary column; allowed: {_fmt_allowed(sumcols)}")
    cmp_ = atab.get("compare")
    if cmp_ is not None:
        if not (isinstance(cmp_, list) and len(cmp_) == 2 and all(c in scenarios for c in cmp_)):
            raise SpecError(f"analysis.compare: expected two of this experiment's scenarios {_fmt_allowed(scenarios)}")
    conf = atab.get("conf", 0.95)
    if not _is_number(conf) or not 0 < conf < 1:
        raise SpecError("analysis.conf: expected a confidence level in (0, 1), e.g. 0.95")


def _to_toml(raw: dict) -> str:
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
