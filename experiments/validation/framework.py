"""The framework of the pattern-oriented validation: statistics over seeds, checks, results,
running a pattern, and the registry that the pattern modules (p01_*.py ... p11_*.py,
npm_regions.py, sensitivity.py) add themselves to with ``@pattern``.

A check is one of three kinds:

* ``claim``: the pattern as the literature states it; it must pass.
* ``limit``: a part of the pattern the model does **not** reproduce (documented in
  docs/validation.md); it is expected to fail, and a full run in which it passes
  means the documentation is out of date.
* ``info``: a number reported alongside (where a pattern holds), not judged.

Directional checks use paired seeds (common random numbers): in the full version the
95% t-interval of the paired difference must exclude 0; in the small version (3 seeds)
every seed must agree on the sign.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from collections.abc import Callable

import numpy as np
import pandas as pd

from hls_abm.differences import ASSUMPTION_SETS

HERE = Path(__file__).resolve().parent
EXPERIMENTS = HERE.parent
ROOT = EXPERIMENTS.parent
if str(EXPERIMENTS) not in sys.path:  # _common and the example experiments
    sys.path.insert(0, str(EXPERIMENTS))
if str(HERE) not in sys.path:  # worker processes import the pattern modules by name
    sys.path.insert(0, str(HERE))

LABELS = {"npm": "NPM", "local_teams": "local teams"}
SIZES = ("small", "full")
#: The assumption sets (``hls_abm.differences.ASSUMPTION_SETS``) a validation can run under;
#: ``evidence`` is the model's default and the set whose checks docs/validation.md documents one by
#: one (the kinds ``claim`` and ``limit`` describe the model under ``evidence``).
SETS = tuple(ASSUMPTION_SETS)


# --------------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------------
@dataclass
class Stat:
    """Mean and 95% t-interval of values across seeds."""

    mean: float
    lo: float
    hi: float
    n: int
    values: tuple = ()

    @classmethod
    def of(cls, values, conf: float = 0.95) -> "Stat":
        """The mean and ``conf`` t-interval of the finite ``values`` (``sweep.analysis.t_interval``)."""
        from hls_abm.sweep.analysis import t_interval

        v = np.asarray(list(values), float)
        v = v[np.isfinite(v)]
        mean, lo, hi, n = t_interval(v, conf)
        return cls(mean, lo, hi, n, tuple(float(x) for x in v))

    def fmt(self, spec: str = ".3g") -> str:
        f = _si if spec == "si" else (lambda x: f"{x:{spec}}")
        if self.n < 2 or self.lo == self.hi:
            return f(self.mean)
        return f"{f(self.mean)} [{f(self.lo)}, {f(self.hi)}]"


def _si(x: float) -> str:
    """1234567 -> '1.23M' (euros and counts in tables)."""
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suf}"
    return f"{x:.3g}"


def select(df: pd.DataFrame, where: dict) -> pd.DataFrame:
    """Rows of ``df`` matching every ``column: value`` (floats compared with np.isclose)."""
    m = np.ones(len(df), bool)
    for k, v in where.items():
        col = df[k]
        if isinstance(v, str):
            m &= (col == v).to_numpy()
        else:
            m &= np.isclose(col.astype(float).to_numpy(), float(v))
    return df[m]


def per_seed(df: pd.DataFrame, col: str, where: dict) -> pd.Series:
    """``col`` per seed in the rows matching ``where`` (one row per seed expected)."""
    s = select(df, where)
    if s.empty:
        raise ValueError(f"no runs match {where}")
    s = s.groupby("seed")[col].mean()
    return s


def stat(df, col, where) -> Stat:
    return Stat.of(per_seed(df, col, where).to_numpy())


def relative(a, b):
    """The relative change from ``a`` to ``b``: ``(b - a) / a`` (for ``paired``)."""
    return (b - a) / a


def paired(df, col, base: dict, alt: dict, fn: Callable = lambda a, b: b - a) -> Stat:
    """``fn(base, alt)`` of ``col`` per seed (paired seeds: common random numbers)."""
    a, b = per_seed(df, col, base), per_seed(df, col, alt)
    common = a.index.intersection(b.index)
    return Stat.of(fn(a.loc[common].to_numpy(), b.loc[common].to_numpy()))


# --------------------------------------------------------------------------------------------
# checks and results
# --------------------------------------------------------------------------------------------
@dataclass
class Check:
    key: str
    claim: str  # what is tested, in words
    criterion: str  # the tolerance, in words
    value: float
    lo: float
    hi: float
    n: int
    passed: bool
    kind: str = "claim"  # claim | limit | info
    fmt: str = ".3g"

    @property
    def shown(self) -> str:
        return Stat(self.value, self.lo, self.hi, self.n).fmt(self.fmt)

    @property
    def as_expected(self) -> bool:
        return self.kind == "info" or self.passed == (self.kind == "claim")


def band(key, claim, s: Stat, low, high, criterion=None, kind="claim", fmt=".3g") -> Check:
    """Passes when the mean lies within [low, high]."""
    crit = criterion or f"mean within [{low:{fmt}}, {high:{fmt}}]"
    ok = bool(low <= s.mean <= high)
    return Check(key, claim, crit, s.mean, s.lo, s.hi, s.n, ok, kind, fmt)


def direction(key, claim, s: Stat, sign: int, small: bool, kind="claim", fmt=".3g", margin=0.0) -> Check:
    """Passes when the paired difference has the sign ``sign`` (beyond ``margin``): 95% CI
    excludes it (full), or every seed agrees (small)."""
    word = "above" if sign > 0 else "below"
    edge = margin * sign
    if small:
        vals = np.asarray(s.values)
        ok = bool(vals.size >= 2 and (np.all(vals > edge) if sign > 0 else np.all(vals < edge)))
        crit = f"every seed {word} {edge:g}"
    else:
        ok = bool(s.lo > edge) if sign > 0 else bool(s.hi < edge)
        crit = f"95% CI {word} {edge:g}"
    return Check(key, claim, crit, s.mean, s.lo, s.hi, s.n, ok, kind, fmt)


def info(key, claim, s: Stat, fmt=".3g", passed=True) -> Check:
    return Check(key, claim, "reported", s.mean, s.lo, s.hi, s.n, passed, "info", fmt)


@dataclass
class Result:
    pid: str
    number: int
    title: str
    size: str
    assumptions: str = "evidence"
    checks: list[Check] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    n_runs: int = 0
    seconds: float = 0.0
    notes: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        claims = [c for c in self.checks if c.kind == "claim"]
        limits = [c for c in self.checks if c.kind == "limit"]
        if not all(c.passed for c in claims):
            return "fail"
        if limits and not all(c.passed for c in limits):
            return "partial"
        return "pass"

    def unexpected(self) -> list[Check]:
        return [c for c in self.checks if not c.as_expected]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["verdict"] = self.verdict
        return d

    def table(self) -> pd.DataFrame:
        rows = [{"pattern": self.pid, "check": c.key, "kind": c.kind, "claim": c.claim, "model": c.shown,
                 "mean": c.value, "ci_low": c.lo, "ci_high": c.hi, "n": c.n, "criterion": c.criterion,
                 "passed": c.passed} for c in self.checks]
        return pd.DataFrame(rows)

    def report(self) -> str:
        lines = [f"{self.pid} ({self.size}, {self.assumptions}): {self.verdict.upper()}  "
                 f"[{self.n_runs} runs, {self.seconds:.0f} s]"]
        for c in self.checks:
            mark = {True: "ok ", False: "NO "}[c.passed] if c.kind != "info" else "-- "
            lines.append(f"  {mark}[{c.kind}] {c.claim}: {c.shown} ({c.criterion})")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------
@dataclass
class Ctx:
    """Where and how a pattern runs, and under which assumption set.

    ``assumptions`` reaches every run of the pattern: ``sweep`` fixes it in the spec's
    ``[parameters]``, and a ``direct`` job that builds a model passes ``assumptions=ctx.assumptions``
    to ``HLSModel``. A set imposes its values first; a value the pattern sets itself (a swept factor,
    a fixed parameter of its spec, a scenario's own value, a lever) wins over it
    (``hls_abm.params.validate_params``).
    """

    size: str
    out: Path
    backend: str = "pool"
    workers: int | None = None
    scheduler: str | None = None
    dask_local: int | None = None
    progress: bool = False
    n_runs: int = 0
    assumptions: str = "evidence"

    @property
    def small(self) -> bool:
        return self.size == "small"

    def sweep(self, spec: dict | Path, small: dict | None = None) -> pd.DataFrame:
        """Run (or resume) a sweep into ``out/<spec name>`` and return its successful runs.

        ``spec`` is a spec or the path of its TOML file. In the small version, ``small`` (keywords
        of ``shrink``; ``{}`` for its defaults) shrinks it; without ``small`` it runs as it is.
        The runs' ``attrs`` hold the store (``dir``) and the spec that ran (``spec``).
        """
        from hls_abm.sweep import load_results, run_sweep

        spec = copy.deepcopy(spec) if isinstance(spec, dict) else spec_of(spec)
        if self.small and small is not None:
            spec = shrink(spec, **small)
        params = spec.setdefault("parameters", {})
        if params.get("assumptions", self.assumptions) != self.assumptions:
            raise ValueError(f"spec {spec['experiment']['name']!r} fixes assumptions={params['assumptions']!r}; "
                             f"this pattern runs under assumptions={self.assumptions!r}")
        params["assumptions"] = self.assumptions  # fixed: every run of the sweep, and part of its identity
        d = self.out / spec["experiment"]["name"]
        run_sweep(spec, out=d, backend=self.backend, workers=self.workers, scheduler=self.scheduler,
                  dask_local=self.dask_local, progress=self.progress, quiet=True, load=False)
        df = load_results(d, status="ok")
        failed = load_results(d, status="failed")
        if len(failed):
            raise RuntimeError(f"{len(failed)} runs failed in {d}: {failed['error'].iloc[0][-500:]}")
        self.n_runs += df["run_id"].nunique()
        df.attrs["dir"] = d
        df.attrs["spec"] = spec
        return df

    def direct(self, fn: Callable, jobs: list) -> list:
        """Runs that the sweep runner cannot express (agent-level outputs, a model variant):
        a process pool of ``workers`` (serial for the serial backend or one worker). A job that
        builds a model carries ``self.assumptions`` and passes it as ``HLSModel(..., assumptions=)``
        (no global state: the pool's workers see only their job)."""
        self.n_runs += len(jobs)
        workers = 1 if self.backend == "serial" else (self.workers or _cores())
        if workers <= 1 or len(jobs) <= 1:
            return [fn(j) for j in jobs]
        from hls_abm.sweep.backends import worker_pool  # the one local pool: workers end with their driver

        with worker_pool(min(workers, len(jobs))) as ex:
            return list(ex.map(fn, jobs))


def _cores() -> int:
    """The cores this process may use (what the pool backend of a sweep uses by default)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def spec_of(path: Path | str) -> dict:
    return tomllib.loads(Path(path).read_text())


def shrink(spec: dict, replicates: int = 3, steps: int | None = None, parameters: dict | None = None,
           scenarios: list | None = None, levers: list | None = None, series: bool = True) -> dict:
    """The small version of a spec (``<name>-small``): fewer seeds (and optionally weeks, points,
    scenarios), no analysis section. See ``_common.shrink_spec``, the one spec shrinker."""
    from _common import shrink_spec

    return shrink_spec(spec, replicates, steps, parameters, scenarios, levers, series, suffix="-small")


@dataclass
class Pattern:
    pid: str
    number: int
    title: str
    claim: str
    source: str
    fn: Callable
    reuses: str = ""
    key: str = ""  # the check whose value is the pattern's key figure (the table of verdicts by set)


PATTERNS: dict[str, Pattern] = {}
EXTRAS: dict[str, Pattern] = {}


def pattern(pid, number, title, claim, source, reuses="", extra=False, key=""):
    def deco(fn):
        (EXTRAS if extra else PATTERNS)[pid] = Pattern(pid, number, title, claim, source, fn, reuses, key)
        return fn

    return deco


def resolve(name: str) -> Pattern:
    """A pattern by id, by number ('1', '01') or by the id's tail ('goodhart')."""
    allp = {**PATTERNS, **EXTRAS}
    if name in allp:
        return allp[name]
    for p in allp.values():
        if name.lstrip("p").lstrip("0") == str(p.number) or p.pid.split("_", 1)[-1] == name or p.pid.startswith(name + "_"):
            return p
    raise KeyError(f"unknown pattern {name!r}; known: {', '.join(allp)}")


#: Claims of the first release that do not hold at the calibrated defaults of issue 9 (docs/calibration.md),
#: checked in the small versions on 2026-12-06: each is judged as a documented *limit* (XFAIL with its reason;
#: in the full version a limit that passes again fails the test, so this list and docs/validation.md are kept
#: true). Pattern id -> check key -> reason. Nothing here changes what is computed or its criterion.
NOT_AT_CALIBRATED_DEFAULTS: dict[str, dict[str, str]] = {
    # Reviewed against a fresh full rerun at the joint calibration (2026-12-06; budget and local intake fitted).
    # Limits of the previous calibration that hold again were removed: local teams' lower failure demand (p01),
    # the threshold paradox's silo and support spend (p03), the cuts paradox at the default budget (p04), the
    # worked cost per hour (p05), NPM's continuity (p06) and local teams' cost at complex_share 0.6 with a
    # strong community (p02).
    "p02_complexity_crossover": {
        "advantage_grows_cm0.5": "the advantage grows by about 16 points (0.164 [0.089, 0.238]): the direction holds, "
                                 "the interval does not clear 10",
        "advantage_grows_cm0.2": "with a weak community the advantage grows by less than 10 points between "
                                 "complex_share 0 and 0.3 (the value beside this check)",
        "advantage_grows_cm0.8": "the advantage grows by about 10 points (0.099 [0.090, 0.108]): the direction holds, "
                                 "the interval does not clear 10",
        "lt_cheaper_cs0.6_cm0.5": "with most lives complex both systems are overloaded and cost about the same "
                                  "(local teams -1.7% [-4.7, 1.3])",
    },
    "p05_no_free_lunch": {
        "hours_ratio": "KPMG's 0.64 is met over ten years (calibration, 0.74), not in year 5",
    },
    "p06_continuity": {
        "local_teams_continuity": "local teams clear their lists by year 5, so few of their clients return within the "
                                  "run and restarting the relationship changes crises little (+1.5% [-0.3, 3.3])",
    },
    "p07_goodhart": {
        "kpi_up_tight_2y": "with gatekeeping and the overhead ratchet, pressure lowers the reported KPI too",
        "lever_kpi_holds": "with gatekeeping and the overhead ratchet, pressure lowers the reported KPI too",
    },
    "p08_turnover_spiral": {
        "npm_stress_jump": "NPM's steepest stress step is +0.15 (complex_share 0.2 -> 0.25), short of 0.35: with "
                           "gatekeeping at 0.99 it rations rather than spirals (Pattern 8, 'Along the budget')",
        "npm_turnover_jump": "NPM's steepest stress step is +0.15 (complex_share 0.2 -> 0.25), short of 0.35: with "
                             "gatekeeping at 0.99 it rations rather than spirals (Pattern 8, 'Along the budget')",
    },
}



def _mark_recalibrated(res) -> None:
    for c in res.checks:
        reason = NOT_AT_CALIBRATED_DEFAULTS.get(res.pid, {}).get(c.key)
        if reason and c.kind == "claim":
            c.kind = "limit"
            c.claim = f"{c.claim} [not at the calibrated defaults: {reason}]"


def run_pattern(name: str, size: str = "full", out: Path | str = "results/validation", backend: str = "pool",
                workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None,
                progress: bool = False, assumptions: str = "evidence") -> Result:
    """Run one pattern (``small`` or ``full``) under the assumption set ``assumptions``, write its
    figure, checks table and result JSON into ``out/<assumptions>/<pattern id>/`` (so runs under
    different sets never share a store), and return the Result."""
    if size not in SIZES:
        raise ValueError(f"size={size!r} is not allowed: expected one of {', '.join(SIZES)}")
    if assumptions not in SETS:
        raise ValueError(f"assumptions={assumptions!r} is not allowed: expected one of {', '.join(SETS)}")
    p = resolve(name)
    d = Path(out) / assumptions / p.pid
    d.mkdir(parents=True, exist_ok=True)
    ctx = Ctx(size, d, backend, workers, scheduler, dask_local, progress, assumptions=assumptions)
    t0 = time.perf_counter()
    res = Result(p.pid, p.number, p.title, size, assumptions)
    p.fn(ctx, res)
    _mark_recalibrated(res)
    res.n_runs = ctx.n_runs
    res.seconds = time.perf_counter() - t0
    csv = d / f"{p.pid}_checks.csv"
    res.table().to_csv(csv, index=False)
    res.tables.insert(0, str(csv))
    (d / "result.json").write_text(json.dumps(res.to_dict(), indent=1, default=float))
    return res


# --------------------------------------------------------------------------------------------
# verdicts by assumption set
# --------------------------------------------------------------------------------------------
def verdicts_by_set(out: Path | str, pids: list[str] | None = None, sets: tuple = SETS) -> pd.DataFrame:
    """One row per pattern: its verdict and key figure under each assumption set, read from the
    ``out/<set>/<pattern>/result.json`` that ``run_pattern`` wrote (``not run`` where there is none).

    Columns: ``pattern``, ``number``, ``title``, ``key`` (the key check's id) and ``key_figure`` (what
    it measures), then per set ``verdict_<set>``, ``key_<set>`` (the key check's value, mean [95% CI]),
    ``size_<set>`` and ``differs_<set>``: the checks whose outcome is not the one documented for the
    evidence set (a ``claim`` that fails, a ``limit`` that holds). A pattern with no claim or limit
    checks (the Sobol analysis) has the verdict ``not judged``.
    """
    out = Path(out)
    pids = pids or [*PATTERNS, *EXTRAS]
    allp = {**PATTERNS, **EXTRAS}
    rows = []
    for pid in pids:
        p = allp[pid]
        row = {"pattern": pid, "number": p.number, "title": p.title, "key": p.key, "key_figure": ""}
        for s in sets:
            f = out / s / pid / "result.json"
            if not f.exists():
                row.update({f"verdict_{s}": "not run", f"key_{s}": "", f"size_{s}": "", f"differs_{s}": ""})
                continue
            r = json.loads(f.read_text())
            checks = [Check(**{k: c[k] for k in Check.__dataclass_fields__}) for c in r["checks"]]
            judged = [c for c in checks if c.kind != "info"]
            key = next((c for c in checks if c.key == p.key), None)
            if key is not None and not row["key_figure"]:
                row["key_figure"] = key.claim
            row.update({f"verdict_{s}": r["verdict"] if judged else "not judged",
                        f"key_{s}": key.shown if key is not None else "",
                        f"size_{s}": r["size"],
                        f"differs_{s}": " ".join(c.key for c in judged if not c.as_expected)})
        rows.append(row)
    return pd.DataFrame(rows)


def checks_markdown(out: Path | str, pid: str, sets: tuple = SETS) -> str:
    """Every judged check of pattern ``pid`` under each set, as a markdown table read from the stored
    ``out/<set>/<pid>/result.json``: the check, its kind, its criterion, and per set the model's value
    (mean [95% CI]) with "yes"/"no" for whether the literature's statement holds. Empty if none ran."""
    out = Path(out)
    runs = {}
    for s in sets:
        f = out / s / pid / "result.json"
        if f.exists():
            runs[s] = json.loads(f.read_text())
    if not runs:
        return ""
    order: list[str] = []
    by: dict[tuple[str, str], Check] = {}
    for s, r in runs.items():
        for c in r["checks"]:
            chk = Check(**{k: c[k] for k in Check.__dataclass_fields__})
            if chk.kind == "info":
                continue
            if chk.claim not in order:
                order.append(chk.claim)
            by[(s, chk.claim)] = chk
    head = ["check", "kind", "criterion"] + [f"`{s}`" for s in runs]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for claim in order:
        first = next(by[(s, claim)] for s in runs if (s, claim) in by)
        cells = [claim, first.kind, first.criterion]
        for s in runs:
            c = by.get((s, claim))
            cells.append("–" if c is None else f"{'yes' if c.passed else '**no**'}: {c.shown}")
        lines.append("| " + " | ".join(x.replace("|", "/") for x in cells) + " |")
    r0 = next(iter(runs.values()))
    verdicts = ", ".join(f"`{s}` **{r['verdict']}**" for s, r in runs.items())
    return (f"*Rerun at the calibrated defaults* ({r0['size']} version, `run.py --assumptions all --docs`): "
            f"{verdicts}. \"yes\" means the statement in the check holds.\n\n" + "\n".join(lines) + "\n")


def verdicts_markdown(table: pd.DataFrame, sets: tuple = SETS) -> str:
    """The table of ``verdicts_by_set`` as markdown: one row per pattern, per set its verdict and key
    figure, then the checks whose outcome differs from the evidence set's documented one."""
    head = ["#", "pattern", "key figure"] + [f"{s}" for s in sets] + ["checks not as documented (set: check ids)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table.to_dict("records"):
        cells = [str(r["number"]), r["title"], r["key_figure"] or "–"]
        for s in sets:
            v, k = r[f"verdict_{s}"], r[f"key_{s}"]
            cells.append(f"**{v}**" + (f": {k}" if k else ""))
        diff = "; ".join(f"{s}: {r[f'differs_{s}']}" for s in sets if r[f"differs_{s}"])
        cells.append(diff or "–")
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    sizes = {r[f"size_{s}"] for r in table.to_dict("records") for s in sets} - {""}
    note = (f"Versions run: {', '.join(sorted(sizes))}. Verdicts: *pass* (every claim and every documented limit "
            "holds), *partial* (every claim holds, a documented limit does not), *fail* (a claim fails). The kinds "
            "describe the model under `evidence`; under another set a *claim* that fails or a *limit* that holds is "
            "listed in the last column.")
    return "\n".join(lines) + "\n\n" + note + "\n"
