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

import copy
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from hls_abm import LEVERS, SCENARIOS

from .base import SpecError, canonical_json, check_keys, fmt_allowed, int_field, is_number, plain, short_hash, to_toml
from .objects import DESIGN_METHODS, SUMMARY_STATS, Design, Factor, LeverSpec, Outputs, Spec, parse_stat
from .plan import DEFAULT_MODEL, check_lever_call, known_parameters, model_columns, parameter_checker, plan_runs

__all__ = [
    "SpecError",
    "Spec",
    "Factor",
    "LeverSpec",
    "Outputs",
    "Design",
    "load_spec",
    "parse_spec",
    "parse_stat",
    "shrink_spec",
    "SUMMARY_STATS",
    "DESIGN_METHODS",
    "canonical_json",
    "short_hash",
]

_EXPERIMENT_KEYS = ("name", "description", "scenarios", "steps", "replicates", "seeds", "seed", "model")
_DESIGN_KEYS = {
    "grid": ("method",),
    "lhs": ("method", "samples", "seed"),
    "sobol": ("method", "samples", "seed", "second_order"),
    "morris": ("method", "trajectories", "levels", "seed"),
}
_DESIGN_SIZE = {"lhs": "samples", "sobol": "samples", "morris": "trajectories"}
_OUTPUT_KEYS = ("series", "series_every", "summaries")
_ANALYSIS_KEYS = ("fan_charts", "heatmap", "line", "sobol_outputs", "compare", "conf", "tornado")
_TOP_KEYS = ("experiment", "parameters", "design", "levers", "outputs", "analysis")
_LEVER_KEYS = ("name", "week", "id", "scenarios")

#: Outputs summarised with ``sum`` too when a spec gives no ``[outputs.summaries]`` (and every ``cost_*``).
_SUM_BY_DEFAULT = ("total_cost", "contacts", "value_demand", "failure_demand", "referrals", "crisis_events")


# --------------------------------------------------------------------------------------------
# parsing: parse_spec reads the tables in order, one function each


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file. Raises SpecError (missing file, bad TOML, bad field)."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SpecError(f"spec file {path} does not exist") from None
    except IsADirectoryError:
        raise SpecError(f"spec file {path} is a directory, not a TOML file") from None
    return parse_spec(text, source_path=str(path))


def parse_spec(text_or_dict: str | dict, source_path: str | None = None, *, check_points: bool = True) -> Spec:
    """Parse and validate a spec from TOML text or an already-parsed dict.

    With ``check_points`` (the default) every run of the design is planned and checked too
    (parameters per scenario, lever calls), so a spec that parses is a spec that runs.
    """
    raw, text = _read_raw(text_or_dict, source_path or "spec")
    check_keys(raw, _TOP_KEYS, "spec")
    exp = _parse_experiment(raw.get("experiment"), source_path)
    design = _parse_design(raw.get("design", {}))
    sampled = design.method != "grid"
    fixed, factors = _parse_parameters(raw.get("parameters", {}), sampled, design.method)
    levers = _parse_levers(raw.get("levers", []), exp["steps"], exp["scenarios"], sampled, design.method, factors)
    if sampled and not any(f.is_range for f in factors):
        raise SpecError(
            f"design.method {design.method!r} needs at least one parameter given as a range {{low = .., high = ..}}"
            " (empty design)"
        )
    outputs = _parse_outputs(raw.get("outputs", {}), exp["steps"])
    atab = raw.get("analysis", {})
    _check_analysis(atab, outputs, [f.name for f in factors], exp["scenarios"])
    spec = Spec(**exp, fixed=fixed, factors=tuple(factors), design=design, levers=tuple(levers), outputs=outputs,
                analysis=atab, source_text=text, source_path=source_path, raw=raw)
    if check_points:
        pts = spec.points()
        if not pts:
            raise SpecError("design: the design has no points (empty design)")
        plan_runs(spec, pts)  # validates every (scenario, point) and every lever call
    return spec


def _read_raw(text_or_dict: str | dict, where: str) -> tuple[dict, str]:
    """The spec as plain data plus its TOML text (written out when the spec came as a dict)."""
    if isinstance(text_or_dict, str):
        try:
            return tomllib.loads(text_or_dict), text_or_dict
        except tomllib.TOMLDecodeError as err:
            raise SpecError(f"{where} is not valid TOML: {err}") from None
    if isinstance(text_or_dict, dict):
        raw = json.loads(json.dumps(plain(text_or_dict)))  # a plain copy, in the given key order
        return raw, to_toml(raw)
    raise SpecError(f"a spec is TOML text, a dict or a path, not {type(text_or_dict).__name__}")


def _parse_experiment(exp: Any, source_path: str | None) -> dict:
    """The ``[experiment]`` table: name, description, scenarios, steps, seeds and model class."""
    if not isinstance(exp, dict):
        raise SpecError("[experiment]: missing table; it needs at least steps = <weeks>")
    check_keys(exp, _EXPERIMENT_KEYS, "experiment")
    name = exp.get("name") or (Path(source_path).stem if source_path else "sweep")
    if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9_.\-]+$", name):
        raise SpecError(f"experiment.name: {name!r} is not allowed: expected letters, digits, '_', '-', '.'")
    description = exp.get("description", "")
    if not isinstance(description, str):
        raise SpecError("experiment.description: expected a string")
    if "steps" not in exp:
        raise SpecError("experiment.steps: missing; expected the number of weeks per run, an integer >= 1")
    steps = int_field(exp["steps"], "experiment.steps", 1, 100_000)
    model = exp.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or ":" not in model:
        raise SpecError(f"experiment.model: {model!r}: expected 'package.module:ClassName'")
    return {"name": name, "description": description, "scenarios": _parse_scenarios(exp), "steps": steps,
            "seeds": _parse_seeds(exp), "model": model}


def _parse_scenarios(exp: dict) -> tuple:
    """``experiment.scenarios``: distinct names from ``hls_abm.SCENARIOS`` (default: both twin worlds)."""
    scenarios = exp.get("scenarios", ["npm", "local_teams"])
    if isinstance(scenarios, str):
        scenarios = [scenarios]
    if not isinstance(scenarios, list) or not scenarios:
        raise SpecError(
            f"experiment.scenarios: expected a non-empty list of scenario names from {fmt_allowed(SCENARIOS)}"
            " (an empty list would give an empty design)"
        )
    for s in scenarios:
        if s not in SCENARIOS:
            raise SpecError(f"experiment.scenarios: unknown scenario {s!r}; allowed: {fmt_allowed(SCENARIOS)}")
    if len(set(scenarios)) != len(scenarios):
        raise SpecError("experiment.scenarios: a scenario is listed twice")
    return tuple(scenarios)


def _parse_seeds(exp: dict) -> tuple:
    """``experiment.seeds``, or ``replicates`` seeds counted up from ``seed``."""
    if "seeds" in exp and "replicates" in exp:
        raise SpecError("experiment: give either replicates (with seed) or seeds, not both")
    if "seeds" in exp:
        seeds = exp["seeds"]
        if not isinstance(seeds, list) or not seeds:
            raise SpecError("experiment.seeds: expected a non-empty list of integers >= 0 (empty: no runs)")
        for s in seeds:
            int_field(s, "experiment.seeds", 0)
        if len(set(seeds)) != len(seeds):
            raise SpecError("experiment.seeds: a seed is listed twice")
        return tuple(seeds)
    reps = exp.get("replicates", 1)
    if isinstance(reps, int) and not isinstance(reps, bool) and reps < 1:
        raise SpecError(f"experiment.replicates: {reps!r} would give an empty design: expected an integer >= 1")
    reps = int_field(reps, "experiment.replicates", 1)
    base = int_field(exp.get("seed", 0), "experiment.seed", 0)
    return tuple(range(base, base + reps))


def _parse_design(dtab: Any) -> Design:
    """The ``[design]`` table: the sampler and the settings it needs."""
    if not isinstance(dtab, dict):
        raise SpecError("[design]: expected a table")
    method = dtab.get("method", "grid")
    if method not in DESIGN_METHODS:
        raise SpecError(f"design.method: unknown sampler {method!r}; allowed: {fmt_allowed(DESIGN_METHODS)}")
    check_keys(dtab, _DESIGN_KEYS[method], f"design (method {method!r})")
    dseed = int_field(dtab.get("seed", 0), "design.seed", 0)
    need = {"lhs": "the number of points", "sobol": "the base sample size N, a power of 2",
            "morris": "the number of trajectories"}.get(method)
    if need and _DESIGN_SIZE[method] not in dtab:
        key = _DESIGN_SIZE[method]
        raise SpecError(f"design.{key}: missing; design {method!r} needs {key} = <{need}>")
    if method == "lhs":
        return Design(method, samples=int_field(dtab["samples"], "design.samples", 1), seed=dseed)
    if method == "sobol":
        n = int_field(dtab["samples"], "design.samples", 1)
        if n & (n - 1):
            raise SpecError(f"design.samples: {n} is not allowed for sobol: expected a power of 2 (e.g. 32, 64, 128)")
        so = dtab.get("second_order", False)
        if not isinstance(so, bool):
            raise SpecError("design.second_order: expected true or false")
        return Design(method, samples=n, second_order=so, seed=dseed)
    if method == "morris":
        t = int_field(dtab["trajectories"], "design.trajectories", 2)
        lv = int_field(dtab.get("levels", 4), "design.levels", 2, 64)
        if lv % 2:
            raise SpecError(f"design.levels: {lv} is not allowed: expected an even number (e.g. 4)")
        return Design(method, trajectories=t, levels=lv, seed=dseed)
    return Design(method=method, seed=dseed)


def _parse_parameters(ptab: Any, sampled: bool, method: str) -> tuple[dict, list]:
    """The ``[parameters]`` table: fixed values and factors, each checked by its parameter's checker
    (``hls_abm.PARAMS``, or :data:`.plan.MODEL_KEYWORDS` for model keywords)."""
    if not isinstance(ptab, dict):
        raise SpecError("[parameters]: expected a table")
    fixed: dict = {}
    factors: list[Factor] = []
    for pname, value in ptab.items():
        where_p = f"parameters.{pname}"
        if pname == "scenario":
            raise SpecError(f"{where_p}: not a parameter; list scenarios in experiment.scenarios")
        checker = parameter_checker(pname)
        if checker is None:
            raise SpecError(f"{where_p}: unknown parameter; known parameters: {', '.join(known_parameters())}")
        f = _parse_value(value, where_p, pname, checker.kind, sampled, method, checker=checker)
        if isinstance(f, Factor):
            factors.append(f)
        else:
            fixed[pname] = f
    return fixed, factors


def _parse_levers(levers_raw: Any, steps: int, scenarios: tuple, sampled: bool, method: str,
                  factors: list) -> list[LeverSpec]:
    """The ``[[levers]]`` tables; swept lever arguments are appended to ``factors``."""
    if isinstance(levers_raw, dict):
        levers_raw = [levers_raw]
    if not isinstance(levers_raw, list):
        raise SpecError("[[levers]]: expected an array of tables")
    levers: list[LeverSpec] = []
    for i, lt in enumerate(levers_raw):
        levers.append(_parse_lever(i, lt, steps, scenarios, sampled, method, factors, {lv.id for lv in levers}))
    for i, lv in enumerate(levers):  # check fixed lever arguments now (swept ones are checked per point)
        if lv.week is not None and all(f.lever != i for f in factors):
            check_lever_call(lv.name, lv.kwargs, f"levers[{i}]")
    return levers


def _parse_lever(i: int, lt: Any, steps: int, scenarios: tuple, sampled: bool, method: str, factors: list,
                 ids: set) -> LeverSpec:
    """One ``[[levers]]`` table: a lever of ``hls_abm.LEVERS``, its week and its one argument."""
    where_l = f"levers[{i}]"
    if not isinstance(lt, dict):
        raise SpecError(f"{where_l}: expected a table with name and week")
    lname = lt.get("name")
    if lname not in LEVERS:
        raise SpecError(f"{where_l}.name: unknown lever {lname!r}; allowed: {fmt_allowed(LEVERS)}")
    lid = lt.get("id", lname)
    if not isinstance(lid, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", lid):
        raise SpecError(f"{where_l}.id: {lid!r}: expected an identifier")
    if lid in ids:
        raise SpecError(f"{where_l}.id: lever id {lid!r} is used twice; give each lever a distinct id = \"...\"")
    if parameter_checker(lid) is not None:
        raise SpecError(f"{where_l}.id: {lid!r} is a parameter name; choose another id")
    if "week" not in lt:
        raise SpecError(f"{where_l}.week: missing; expected the week (0..{steps - 1}) at which the lever is applied")
    lscen = _lever_scenarios(lt.get("scenarios"), scenarios, where_l)
    week = _parse_value(lt["week"], f"{where_l}.week", f"{lid}.week", "int", sampled, method,
                        bounds=(0, steps - 1), lever=i, fld="week")
    if isinstance(week, Factor):
        factors.append(week)
        week = None
    lever = LEVERS[lname]
    kwargs: dict = {}
    for key, v in lt.items():
        if key in _LEVER_KEYS:
            continue
        if key != lever.arg:
            raise SpecError(f"{where_l}.{key}: unknown argument of lever {lname!r}; allowed: "
                            f"{fmt_allowed(['week', 'id', 'scenarios', lever.arg])}")
        pv = _parse_value(v, f"{where_l}.{key}", f"{lid}.{key}", "float", sampled, method,
                          bounds=(lever.low, lever.high), lever=i, fld=key)
        if isinstance(pv, Factor):
            factors.append(pv)
        else:
            kwargs[key] = pv
    return LeverSpec(lid, lname, week, kwargs, lscen)


def _lever_scenarios(lscen: Any, scenarios: tuple, where_l: str) -> tuple | None:
    """A lever's ``scenarios``: a non-empty subset of the experiment's scenarios (None: all)."""
    if lscen is None:
        return None
    if isinstance(lscen, str):
        lscen = [lscen]
    if not isinstance(lscen, list) or not lscen:
        raise SpecError(f"{where_l}.scenarios: expected a non-empty list of scenario names")
    for s in lscen:
        if s not in scenarios:
            raise SpecError(
                f"{where_l}.scenarios: {s!r} is not one of this experiment's scenarios {fmt_allowed(scenarios)}"
            )
    return tuple(lscen)


def _parse_outputs(otab: Any, steps: int) -> Outputs:
    """The ``[outputs]`` table: kept series and summaries of ``hls_abm.OUTPUT_COLUMNS``.

    Without ``[outputs.summaries]`` every column gets ``mean`` and ``final`` (and ``sum`` for
    costs and counts), so the default summaries follow the model's columns."""
    if not isinstance(otab, dict):
        raise SpecError("[outputs]: expected a table")
    check_keys(otab, _OUTPUT_KEYS, "outputs")
    columns = model_columns()
    series = otab.get("series", [])
    if isinstance(series, str):
        series = [series]
    if not isinstance(series, list):
        raise SpecError("outputs.series: expected a list of model output columns")
    for c in series:
        if c not in columns:
            raise SpecError(f"outputs.series: unknown output column {c!r}; allowed: {fmt_allowed(columns)}")
    every = int_field(otab.get("series_every", 1), "outputs.series_every", 1, steps)
    sums_raw = otab.get("summaries")
    summaries: dict = {}
    if sums_raw is None:
        for c in columns:
            summaries[c] = ("mean", "final", "sum") if c in _SUM_BY_DEFAULT or c.startswith("cost_") else ("mean", "final")
        return Outputs(tuple(series), every, summaries)
    if not isinstance(sums_raw, dict) or not sums_raw:
        raise SpecError("outputs.summaries: expected a table column = [statistics], e.g. total_cost = [\"sum\"]")
    for c, stats in sums_raw.items():
        if c not in columns:
            raise SpecError(f"outputs.summaries.{c}: unknown output column; allowed: {fmt_allowed(columns)}")
        if isinstance(stats, str):
            stats = [stats]
        if not isinstance(stats, list) or not stats:
            raise SpecError(f"outputs.summaries.{c}: expected a non-empty list of statistics")
        for s in stats:
            parse_stat(s, steps, f"outputs.summaries.{c}")
        summaries[c] = tuple(dict.fromkeys(stats))
    return Outputs(tuple(series), every, summaries)


def _check_analysis(atab: Any, outputs: Outputs, factor_names: list, scenarios: tuple) -> None:
    """The ``[analysis]`` hints: every figure names kept series, summary columns and factors."""
    if not isinstance(atab, dict):
        raise SpecError("[analysis]: expected a table")
    check_keys(atab, _ANALYSIS_KEYS, "analysis")
    sumcols = outputs.summary_columns()
    fc = atab.get("fan_charts", [])
    if not isinstance(fc, list):
        raise SpecError("analysis.fan_charts: expected a list of series columns")
    for c in fc:
        if c not in outputs.series:
            raise SpecError(f"analysis.fan_charts: {c!r} is not kept as a series; allowed: {fmt_allowed(outputs.series)}")
    for key in ("heatmap", "line", "tornado"):
        if key in atab:
            _check_figure_hint(key, atab[key], factor_names, sumcols)
    for o in atab.get("sobol_outputs", []):
        if o not in sumcols:
            raise SpecError(f"analysis.sobol_outputs: {o!r} is not a summary column; allowed: {fmt_allowed(sumcols)}")
    cmp_ = atab.get("compare")
    if cmp_ is not None:
        if not (isinstance(cmp_, list) and len(cmp_) == 2 and all(c in scenarios for c in cmp_)):
            raise SpecError(f"analysis.compare: expected two of this experiment's scenarios {fmt_allowed(scenarios)}")
    conf = atab.get("conf", 0.95)
    if not is_number(conf) or not 0 < conf < 1:
        raise SpecError("analysis.conf: expected a confidence level in (0, 1), e.g. 0.95")


def _check_figure_hint(key: str, t: Any, factor_names: list, sumcols: list) -> None:
    """One of ``analysis.heatmap`` / ``line`` / ``tornado``: its keys, factors and outputs."""
    if not isinstance(t, dict):
        raise SpecError(f"analysis.{key}: expected a table")
    need = {"heatmap": ("x", "y", "output"), "line": ("x", "outputs"), "tornado": ("output",)}[key]
    check_keys(t, need + (("scenario",) if key == "tornado" else ()), f"analysis.{key}")
    for k in need:
        if k not in t:
            raise SpecError(f"analysis.{key}.{k}: missing")
    for k in ("x", "y"):
        if k in t and t[k] not in factor_names:
            raise SpecError(f"analysis.{key}.{k}: {t[k]!r} is not a swept factor; allowed: {fmt_allowed(factor_names)}")
    for o in t["outputs"] if "outputs" in t else [t["output"]]:
        if o not in sumcols:
            raise SpecError(f"analysis.{key}: output {o!r} is not a summary column; allowed: {fmt_allowed(sumcols)}")


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
            if not is_number(v) or (kind == "int" and float(v) != int(v)) or not (lo <= v <= hi):
                typ = "an integer" if kind == "int" else "a number"
                raise SpecError(f"{where}{what}: {v!r} is out of range: expected {typ} in [{lo}, {hi}]")
            return int(v) if kind == "int" else v
        return v

    if isinstance(value, list) or (isinstance(value, dict) and "values" in value):
        if isinstance(value, dict):
            check_keys(value, ("values",), where)
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
        check_keys(value, allowed, where)
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
            num = int_field(value["num"], f"{where}.num", 2, 10_000)
        return Factor(name, kind, low=float(lo), high=float(hi), num=num, lever=lever, field=fld)
    return check(value)


# --------------------------------------------------------------------------------------------
# smaller versions of a spec


def shrink_spec(raw: dict, *, suffix: str = "-small", replicates: int = 3, reset_seeds: bool = False,
                steps: int | None = None, scenarios: list | None = None, parameters: dict | None = None,
                levers: list | None = None, max_samples: dict | None = None, series: bool = True,
                analysis: bool = True) -> dict:
    """A smaller copy of a spec given as plain data (``tomllib.loads`` of a spec file).

    The name gains ``suffix``. Seeds: at most ``replicates`` (the first ones listed, or fewer
    replicates), or with ``reset_seeds`` exactly ``replicates`` from ``experiment.seed``.
    ``steps`` / ``scenarios`` / ``levers`` replace the spec's; ``parameters`` are set over
    it; ``max_samples`` caps a sampled design's size by method, e.g. ``{"sobol": 8}``
    (sobol and lhs ``samples``, morris ``trajectories``). ``series=False`` keeps no series;
    ``analysis=False`` drops the ``[analysis]`` hints. The result is a spec to pass to
    :func:`parse_spec` or ``run_sweep`` (the one shrinker of quick runs and validation).
    """
    spec = copy.deepcopy(raw)
    exp = spec["experiment"]
    exp["name"] = exp.get("name", "sweep") + suffix
    if reset_seeds:
        exp.pop("seeds", None)
        exp["replicates"] = replicates
    elif "seeds" in exp:
        exp["seeds"] = exp["seeds"][:replicates]
    else:
        exp["replicates"] = min(replicates, exp.get("replicates", 1))
    if steps:
        exp["steps"] = steps
    if scenarios:
        exp["scenarios"] = scenarios
    spec.setdefault("parameters", {}).update(parameters or {})
    if levers is not None:
        spec["levers"] = levers
    design = spec.get("design", {})
    key = _DESIGN_SIZE.get(design.get("method", "grid"))
    cap = (max_samples or {}).get(design.get("method"))
    if key and cap is not None:
        design[key] = min(cap, design.get(key, cap))
    if not series and "outputs" in spec:
        spec["outputs"].pop("series", None)
    if not analysis:
        spec.pop("analysis", None)
    return spec
