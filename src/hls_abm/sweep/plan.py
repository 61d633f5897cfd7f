"""Run plans: every run a spec asks for, each with a deterministic id, and the checks a run
must pass before it is planned.

The sweep runs :class:`hls_abm.HLSModel`, or a subclass named by ``experiment.model`` (a model
variant, or a test's failure injection). Because every such class takes the same keyword
arguments and collects the same weekly columns, runs are validated against
``hls_abm.PARAMS`` (plus :data:`MODEL_KEYWORDS`) and their outputs are
``hls_abm.OUTPUT_COLUMNS``; :func:`check_model` refuses any other class.

This module imports only :mod:`.base` and the model's public API; :mod:`.spec` (parsing)
and :mod:`.runner` (execution) both import it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from hls_abm import LEVERS, OUTPUT_COLUMNS, PARAMS, HLSModel, ParameterError, validate_params

from .base import SpecError, canonical_json, fmt_allowed, short_hash

__all__ = [
    "DEFAULT_MODEL",
    "MODEL_KEYWORDS",
    "Choice",
    "parameter_checker",
    "known_parameters",
    "load_model_class",
    "check_model",
    "model_columns",
    "check_lever_call",
    "run_id_for",
    "plan_runs",
]

DEFAULT_MODEL = "hls_abm:HLSModel"


@dataclass(frozen=True)
class Choice:
    """A model keyword with a fixed set of values; checks values as ``hls_abm.PARAMS`` entries do."""

    name: str
    choices: tuple
    kind: str = "choice"

    def check(self, value: Any) -> Any:
        """``value`` if allowed, else ValueError naming the keyword and its allowed values."""
        if value not in self.choices:
            raise ValueError(f"{self.name}={value!r} is not allowed: expected one of {fmt_allowed(self.choices)}")
        return value


#: Keyword arguments of the model that are not entries of ``hls_abm.PARAMS`` (so
#: ``validate_params`` does not know them), with their allowed values. A spec gives them
#: under ``[parameters]`` like any parameter, fixed or as a list of values (a grid factor);
#: they are passed to the model and are part of each run's id. A new model-level keyword
#: with a choice set is one line here, e.g.
#: ``"assumptions": Choice("assumptions", ("structural", "evidence", "claims"))``.
MODEL_KEYWORDS: dict[str, Choice] = {}


def parameter_checker(name: str):
    """The checker of a spec parameter (``kind`` and ``check(value)``), or None if unknown."""
    return PARAMS.get(name) or MODEL_KEYWORDS.get(name)


def known_parameters() -> list[str]:
    """Every name a spec may give under ``[parameters]``."""
    return [*PARAMS, *MODEL_KEYWORDS]


_class_cache: dict = {}


def load_model_class(path: str):
    """Import ``package.module:Name`` (cached)."""
    if path not in _class_cache:
        mod, _, name = path.partition(":")
        obj = importlib.import_module(mod)
        for part in name.split("."):
            obj = getattr(obj, part)
        _class_cache[path] = obj
    return _class_cache[path]


def check_model(path: str):
    """The model class named by ``experiment.model``; SpecError unless it is HLSModel or a subclass."""
    try:
        cls = load_model_class(path)
    except (ImportError, AttributeError, ValueError) as err:
        raise SpecError(f"experiment.model: cannot import {path!r} ({type(err).__name__}: {err})") from None
    if not (isinstance(cls, type) and issubclass(cls, HLSModel)):
        raise SpecError(f"experiment.model: {path!r} is not allowed: expected hls_abm.HLSModel or a subclass"
                        " (runs are validated against hls_abm.PARAMS)")
    return cls


def model_columns() -> tuple:
    """The weekly output columns every sweep run collects: ``hls_abm.OUTPUT_COLUMNS``."""
    return tuple(OUTPUT_COLUMNS)


def check_lever_call(name: str, kwargs: dict, where: str) -> None:
    """Check one call of lever ``name`` with the model's own checker; SpecError naming ``where``."""
    lever = LEVERS[name]
    try:
        extra = set(kwargs) - {lever.arg}
        if extra:
            raise ValueError(f"lever {name} takes only {lever.arg}=; got {', '.join(sorted(extra))}")
        lever.check(kwargs.get(lever.arg, lever.default))
    except (TypeError, ValueError) as err:
        raise SpecError(f"{where}: {err}") from None


def run_id_for(scenario: str, full_params: dict, seed: int, steps: int, levers: list, model: str) -> str:
    """Deterministic id of one run: hash of everything that decides its numbers."""
    ident = {"scenario": scenario, "params": full_params, "seed": int(seed), "steps": int(steps), "levers": levers}
    if model != DEFAULT_MODEL:
        ident["model"] = model
    return short_hash(ident, 20)


def _point_levers(spec, point: dict, factors: dict, checked: set) -> list:
    """The levers of one design point (every scenario), in spec order: (LeverSpec, week, kwargs)."""
    out = []
    for i, lv in enumerate(spec.levers):
        week, kwargs = lv.week, dict(lv.kwargs)
        for f in spec.factors:
            if f.lever == i:
                if f.field == "week":
                    week = point[f.name]
                else:
                    kwargs[f.field] = point[f.name]
        key = canonical_json([lv.name, kwargs])
        if key not in checked:
            check_lever_call(lv.name, kwargs, f"levers[{i}] at design point {factors}")
            checked.add(key)
        out.append((lv, int(week), kwargs))
    return out


def _full_params(scenario: str, overrides: dict, factors: dict) -> dict:
    """The validated parameter set of one run (model keywords added as given); SpecError if invalid."""
    params = {k: v for k, v in overrides.items() if k not in MODEL_KEYWORDS}
    try:
        full = validate_params(scenario=scenario, **params)
    except ParameterError as err:
        where = f" at design point {factors}" if factors else ""
        raise SpecError(f"parameters (scenario {scenario!r}){where}: {err}") from None
    full.update((k, v) for k, v in overrides.items() if k in MODEL_KEYWORDS)
    return full


def plan_runs(spec, points: list[dict] | None = None) -> list[dict]:
    """Every run of the spec (points x scenarios x seeds), each validated; raises SpecError.

    Several plan rows can share a run_id (e.g. a lever that applies to one scenario only
    leaves the other scenario's runs identical across that lever's values): such a run is
    executed and stored once, and joined to every plan row that refers to it.
    """
    check_model(spec.model)
    if points is None:
        points = spec.points()
    runs: list[dict] = []
    checked: set = set()
    for point in points:
        factors = {f.name: point[f.name] for f in spec.factors}
        overrides = dict(spec.fixed)
        overrides.update({f.name: point[f.name] for f in spec.factors if f.lever is None})
        point_levers = _point_levers(spec, point, factors, checked)
        point_id = short_hash({"params": overrides, "levers": [[w, lv.name, kw] for lv, w, kw in point_levers],
                               "steps": spec.steps, "model": spec.model}, 16)
        for scenario in spec.scenarios:
            full = _full_params(scenario, overrides, factors)
            levers = sorted(([w, lv.name, kw] for lv, w, kw in point_levers
                             if lv.scenarios is None or scenario in lv.scenarios),
                            key=lambda x: x[0])  # stable: same week keeps spec order
            for seed in spec.seeds:
                runs.append({
                    "run_id": run_id_for(scenario, full, seed, spec.steps, levers, spec.model),
                    "point_id": point_id, "sample": int(point.get("_sample", 0)), "scenario": scenario,
                    "seed": int(seed), "steps": spec.steps, "params": overrides, "levers": levers,
                    "factors": factors, "model": spec.model,
                })
    return runs
