"""The targets file: published figures to calibrate to, the parameters to fit and the size of a run.

    [run]                                   # the size of one evaluation
    n_citizens = 1000
    weeks = 260                             # after the warm-up
    seeds = [1, 2, 3]                       # every draw runs on the same seeds (twin worlds)
    [run.fixed]                             # optional: parameters held fixed (not fitted)

    [search]
    budget = 200                            # parameter draws in all
    batch = 8                               # draws asked at a time (fixed: results never depend on the backend)
    seed = 1                                # the sampler's seed

    [parameters]                            # name = [low, high], inside the Param's own range
    episode_weeks = [6, 30]

    [[target]]
    name = "npm_failure_demand_share"
    observable = "failure_demand_share"     # see hls_abm.calibration.OBSERVABLES
    system = "npm"                          # npm | local_teams | ratio (local teams / NPM)
    low = 0.4
    high = 0.8
    source = "Seddon 2008; Vanguard"

    [validation]                            # reported with its band, never fitted
    ...same fields as a target

    [[reported]]                            # optional: shown with its band over draws and seeds, never
    name = "local_waiting_share"            # fitted and with no target band (no published figure), so a
    observable = "waiting_share"            # reader sees what the targets leave free
    system = "local_teams"
    why = "no published waiting figure for local teams"

Every problem raises :class:`TargetsError` with one line naming the field and what is allowed.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TargetsError", "Target", "Targets", "load_targets", "parse_targets", "SYSTEMS"]

SYSTEMS = ("npm", "local_teams", "ratio")
_TOP_KEYS = ("description", "run", "search", "parameters", "target", "validation", "reported")
_RUN_KEYS = ("n_citizens", "weeks", "warmup_weeks", "seeds", "rereferral_window", "fixed")
_SEARCH_KEYS = ("budget", "batch", "seed", "startup")
_TARGET_KEYS = ("name", "observable", "system", "low", "high", "source", "note", "year")
_REPORTED_KEYS = ("name", "observable", "system", "year", "why")
_FIT_TIERS = ("direction", "assumption")


class TargetsError(ValueError):
    """A targets file the calibration cannot use."""


@dataclass(frozen=True)
class Target:
    name: str
    observable: str
    system: str
    low: float
    high: float
    source: str
    note: str = ""
    year: int | None = None  # measured over this year of the run only (1 = the first after the warm-up)

    @property
    def key(self) -> str:
        """The observable as the evaluations name it: ``name`` or ``name@yearN``."""
        return self.observable if self.year is None else f"{self.observable}@year{self.year}"

    def contains(self, value: float) -> bool:
        return value == value and self.low <= value <= self.high

    def distance(self, value: float) -> float:
        """0 inside the band; outside it, how far, in band widths (NaN counts as far)."""
        if value != value:
            return 10.0
        width = max(self.high - self.low, 1e-9)
        return max(self.low - value, value - self.high, 0.0) / width


@dataclass(frozen=True)
class Targets:
    targets: tuple[Target, ...]
    parameters: dict  # name -> (low, high, kind)
    n_citizens: int = 1000
    weeks: int = 260
    warmup_weeks: int | None = None
    seeds: tuple[int, ...] = (1, 2, 3)
    rereferral_window: int = 52
    fixed: dict = field(default_factory=dict)
    budget: int = 200
    batch: int = 8
    seed: int = 1
    startup: int = 10
    validation: Target | None = None
    reported: tuple[Target, ...] = ()  # shown, never fitted, no band (low and high are NaN)
    description: str = ""
    text: str = ""
    path: str = ""

    @property
    def observed(self) -> tuple[Target, ...]:
        """Everything an evaluation measures: the targets, the validation figure and the reported observables."""
        return (*self.targets, *((self.validation,) if self.validation else ()), *self.reported)

    @property
    def digest(self) -> str:
        """Hash of the file's text: a resumed calibration must use the same file."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    def run_settings(self) -> dict:
        """What one evaluation needs besides the drawn parameters (plain data: it travels to workers)."""
        fixed = dict(self.fixed)
        if self.warmup_weeks is not None:
            fixed["warmup_weeks"] = self.warmup_weeks
        return {"n_citizens": self.n_citizens, "weeks": self.weeks, "fixed": fixed,
                "rereferral_window": self.rereferral_window}


def _fmt(values) -> str:
    return ", ".join(repr(v) for v in values)


def _check_keys(table: dict, allowed: tuple, where: str) -> None:
    for key in table:
        if key not in allowed:
            raise TargetsError(f"{where}.{key}: unknown field; allowed: {', '.join(allowed)}".lstrip("."))


def _int(value, where: str, low: int, high: int = 10**9) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise TargetsError(f"{where}: {value!r} is not allowed: expected an integer in [{low}, {high}]")
    return value


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TargetsError(f"{where}: {value!r} is not allowed: expected a finite number")
    return float(value)


def _table(raw: dict, key: str) -> dict:
    t = raw.get(key, {})
    if not isinstance(t, dict):
        raise TargetsError(f"[{key}]: expected a table")
    return t


def _parse_target(t, where: str) -> Target:
    from .observables import OBSERVABLES  # noqa: PLC0415

    if not isinstance(t, dict):
        raise TargetsError(f"{where}: expected a table with fields {', '.join(_TARGET_KEYS)}")
    _check_keys(t, _TARGET_KEYS, where)
    for key in ("name", "observable", "system", "low", "high", "source"):
        if key not in t:
            raise TargetsError(f"{where}.{key}: missing; a target needs {', '.join(_TARGET_KEYS[:6])}")
    for key in ("name", "source"):
        if not isinstance(t[key], str) or not t[key].strip():
            raise TargetsError(f"{where}.{key}: expected a non-empty string")
    if t["observable"] not in OBSERVABLES:
        raise TargetsError(f"{where}.observable: {t['observable']!r} is unknown; allowed: {_fmt(OBSERVABLES)}")
    if t["system"] not in SYSTEMS:
        raise TargetsError(f"{where}.system: {t['system']!r} is unknown; allowed: {_fmt(SYSTEMS)}")
    low, high = _number(t["low"], f"{where}.low"), _number(t["high"], f"{where}.high")
    if low > high:
        raise TargetsError(f"{where}: low ({low:g}) is above high ({high:g}); expected low <= high")
    year = _int(t["year"], f"{where}.year", 1, 100) if "year" in t else None
    return Target(t["name"], t["observable"], t["system"], low, high, t["source"].strip(), str(t.get("note", "")),
                  year)


def _default_parameters() -> dict:
    """The tier direction/assumption parameters, over their whole range (once Param has a tier)."""
    from hls_abm import PARAMS  # noqa: PLC0415

    chosen = {n: [p.low, p.high] for n, p in PARAMS.items()
              if getattr(p, "tier", None) in _FIT_TIERS and p.kind in ("float", "int")}
    if not chosen:
        raise TargetsError("[parameters]: missing; list the parameters to fit as name = [low, high] "
                           "(hls_abm.PARAMS declares no tier yet to choose them by)")
    return chosen


def _parse_parameters(table: dict) -> dict:
    from hls_abm import PARAMS  # noqa: PLC0415

    if not table:
        table = _default_parameters()
    out = {}
    for name, rng in table.items():
        where = f"parameters.{name}"
        if name not in PARAMS:
            raise TargetsError(f"{where}: unknown parameter; 'hls-abm scenarios --params' lists them all")
        p = PARAMS[name]
        if p.kind not in ("float", "int"):
            raise TargetsError(f"{where}: a {p.kind} parameter cannot be fitted; allowed: numeric parameters")
        if not (isinstance(rng, list) and len(rng) == 2):
            raise TargetsError(f"{where}: expected [low, high] inside [{p.low}, {p.high}]")
        lo, hi = _number(rng[0], f"{where}[0]"), _number(rng[1], f"{where}[1]")
        if not (p.low <= lo < hi <= p.high):
            raise TargetsError(f"{where}: [{lo:g}, {hi:g}] is not allowed: expected low < high inside "
                               f"the parameter's range [{p.low}, {p.high}]")
        if p.kind == "int" and (lo != int(lo) or hi != int(hi)):
            raise TargetsError(f"{where}: an integer parameter needs whole-number bounds")
        out[name] = (lo, hi, p.kind)
    return out


def _parse_run(run: dict, parameters: dict) -> dict:
    from hls_abm import ParameterError, validate_params  # noqa: PLC0415
    from hls_abm.seeds import parse_seed  # noqa: PLC0415

    _check_keys(run, _RUN_KEYS, "run")
    out: dict = {}
    if "n_citizens" in run:
        out["n_citizens"] = _int(run["n_citizens"], "run.n_citizens", 20, 2_000_000)
    if "weeks" in run:
        out["weeks"] = _int(run["weeks"], "run.weeks", 1, 5200)
    if "warmup_weeks" in run:
        out["warmup_weeks"] = _int(run["warmup_weeks"], "run.warmup_weeks", 0, 2000)
    if "rereferral_window" in run:
        out["rereferral_window"] = _int(run["rereferral_window"], "run.rereferral_window", 1, 520)
    seeds = run.get("seeds", [1, 2, 3])
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = list(range(1, _int(seeds, "run.seeds", 1, 10_000) + 1))
    if not isinstance(seeds, list) or not seeds:
        raise TargetsError("run.seeds: expected a non-empty list of seeds or a count")
    try:
        out["seeds"] = tuple(dict.fromkeys(parse_seed(s, "run.seeds") for s in seeds))
    except ValueError as err:
        raise TargetsError(str(err)) from None
    fixed = run.get("fixed", {})
    if not isinstance(fixed, dict):
        raise TargetsError("run.fixed: expected a table of parameter = value")
    clash = sorted(set(fixed) & (set(parameters) | {"n_citizens", "warmup_weeks", "system", "record_events"}))
    if clash:
        raise TargetsError(f"run.fixed.{clash[0]}: set elsewhere (fitted, or by [run] / the twin worlds)")
    try:
        validate_params("npm", **fixed)
    except ParameterError as err:
        raise TargetsError(f"run.fixed: {err}") from None
    out["fixed"] = dict(fixed)
    return out


def _parse_search(search: dict) -> dict:
    _check_keys(search, _SEARCH_KEYS, "search")
    out = {}
    for key, low in (("budget", 1), ("batch", 1), ("seed", 0), ("startup", 0)):
        if key in search:
            out[key] = _int(search[key], f"search.{key}", low)
    return out


def _parse_reported(t, where: str) -> Target:
    """A ``[[reported]]`` table: an observable shown with its band over draws and seeds, never fitted."""
    if not isinstance(t, dict):
        raise TargetsError(f"{where}: expected a table with fields {', '.join(_REPORTED_KEYS)}")
    _check_keys(t, _REPORTED_KEYS, where)
    for key in ("name", "observable", "system", "why"):
        if key not in t:
            raise TargetsError(f"{where}.{key}: missing; a reported observable needs {', '.join(_REPORTED_KEYS[:3])} and why")
    fields = {k: v for k, v in t.items() if k != "why"}
    target = _parse_target({**fields, "low": 0.0, "high": 0.0, "source": t["why"]}, where)
    return Target(target.name, target.observable, target.system, math.nan, math.nan, target.source, "", target.year)


def parse_targets(text: str, path: str = "<text>") -> Targets:
    """Parse and check a targets file's text; raises TargetsError (one line, naming the field)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise TargetsError(f"{path} is not valid TOML: {err}") from None
    _check_keys(raw, _TOP_KEYS, "")
    parameters = _parse_parameters(_table(raw, "parameters"))
    kw = _parse_run(_table(raw, "run"), parameters)
    kw.update(_parse_search(_table(raw, "search")))
    items = raw.get("target", [])
    if not isinstance(items, list) or not items:
        raise TargetsError("target: missing; give at least one [[target]] table")
    targets = tuple(_parse_target(t, f"target[{i}]") for i, t in enumerate(items))
    names = [t.name for t in targets]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise TargetsError(f"target.name: {dup!r} is used twice; each target needs its own name")
    validation = _parse_target(raw["validation"], "validation") if "validation" in raw else None
    if validation is not None and validation.name in names:
        raise TargetsError(f"validation.name: {validation.name!r} is also a target; the validation figure is never fitted")
    items = raw.get("reported", [])
    if not isinstance(items, list):
        raise TargetsError("reported: expected [[reported]] tables")
    reported = tuple(_parse_reported(t, f"reported[{i}]") for i, t in enumerate(items))
    taken = set(names) | ({validation.name} if validation else set())
    for r in reported:
        if r.name in taken:
            raise TargetsError(f"reported.name: {r.name!r} is used twice; each target and reported observable needs its own name")
        taken.add(r.name)
    desc = raw.get("description", "")
    return Targets(targets=targets, parameters=parameters, validation=validation, reported=reported,
                   description=str(desc), text=text, path=str(path), **kw)


def load_targets(path) -> Targets:
    """Read and check a targets file; raises TargetsError."""
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise TargetsError(f"targets file {p} does not exist") from None
    except (IsADirectoryError, UnicodeDecodeError, PermissionError) as err:
        raise TargetsError(f"targets file {p} cannot be read: {err}") from None
    return parse_targets(text, str(p))
