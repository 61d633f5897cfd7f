"""Pattern-oriented validation of hls_abm (issue 5; Grimm et al. 2005).

Eleven stylized facts of public services, each as an experiment with a figure and a
set of checks, statistical over seeds:

    p01_failure_demand      failure demand is 30-80% of NPM contacts, lower with local teams
    p02_complexity_crossover silos do well for simple demand, badly for complex demand
    p03_threshold_paradox   tighter eligibility: fewer clients, more crises, higher total cost
    p04_cuts_paradox        a cut in the silos shifts cost to crisis services
    p05_no_free_lunch       fewer hours per client at a higher cost per hour (KPMG 2015)
    p06_continuity          relationships and continuity lower crisis use
    p07_goodhart            the reported KPI holds or rises while the real outcome falls
    p08_turnover_spiral     a small rise in demand tips a stretched team into attrition
    p09_transition_jcurve   switching to local teams costs more first, pays back later
    p10_cost_concentration  a few citizens (complex needs) account for most of the cost
    p11_community           a stronger community lowers demand under both systems

plus ``npm_regions`` (where NPM does as well as or better than local teams) and
``sensitivity`` (the Sobol analysis of experiments/sobol_drivers.toml).

Patterns 2, 3, 4 and 9 and the sensitivity analysis run the existing example
experiments (``experiments/<name>.toml``) and draw their figures with the example's
own ``figure()``; the others have their spec next to this file. Every pattern has a
``small`` version (a few runs, seconds; the default test suite) and a ``full``
version (``pytest -m validation`` and ``run.py``). Results, figures and a table of
checks go to ``<out>/<pattern>/``.

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
import shutil
import sys
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from collections.abc import Callable

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
EXPERIMENTS = HERE.parent
ROOT = EXPERIMENTS.parent
if str(EXPERIMENTS) not in sys.path:  # _common and the example experiments
    sys.path.insert(0, str(EXPERIMENTS))
if str(HERE) not in sys.path:  # worker processes import this module by name
    sys.path.insert(0, str(HERE))

from hls_abm import HLSModel  # noqa: E402
from hls_abm.services.cases import OPEN  # noqa: E402

NPM_COLOUR, LOCAL_COLOUR = "#D55E00", "#0072B2"  # the dashboard's colours
COLOURS = {"npm": NPM_COLOUR, "local_teams": LOCAL_COLOUR, "transition": LOCAL_COLOUR}
LABELS = {"npm": "NPM", "local_teams": "local teams"}
SIZES = ("small", "full")


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
        from scipy import stats

        v = np.asarray(list(values), float)
        v = v[np.isfinite(v)]
        n = v.size
        if n == 0:
            return cls(float("nan"), float("nan"), float("nan"), 0, ())
        m = float(v.mean())
        if n < 2:
            return cls(m, m, m, n, tuple(v))
        half = float(stats.t.ppf(0.5 + conf / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
        return cls(m, m - half, m + half, n, tuple(float(x) for x in v))

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
        lines = [f"{self.pid} ({self.size}): {self.verdict.upper()}  [{self.n_runs} runs, {self.seconds:.0f} s]"]
        for c in self.checks:
            mark = {True: "ok ", False: "NO "}[c.passed] if c.kind != "info" else "-- "
            lines.append(f"  {mark}[{c.kind}] {c.claim}: {c.shown} ({c.criterion})")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------
@dataclass
class Ctx:
    """Where and how a pattern runs."""

    size: str
    out: Path
    backend: str = "pool"
    workers: int | None = None
    scheduler: str | None = None
    dask_local: int | None = None
    progress: bool = False
    n_runs: int = 0

    @property
    def small(self) -> bool:
        return self.size == "small"

    def sweep(self, spec: dict) -> pd.DataFrame:
        """Run (or resume) a sweep into ``out/<spec name>`` and return its successful runs."""
        from hls_abm.sweep import load_results, run_sweep

        d = self.out / spec["experiment"]["name"]
        run_sweep(spec, out=d, backend=self.backend, workers=self.workers, scheduler=self.scheduler,
                  dask_local=self.dask_local, progress=self.progress, quiet=True, load=False)
        df = load_results(d, status="ok")
        failed = load_results(d, status="failed")
        if len(failed):
            raise RuntimeError(f"{len(failed)} runs failed in {d}: {failed['error'].iloc[0][-500:]}")
        self.n_runs += df["run_id"].nunique()
        df.attrs["dir"] = d
        return df

    def direct(self, fn: Callable, jobs: list) -> list:
        """Runs that the sweep runner cannot express (agent-level outputs, a model variant):
        a process pool of ``workers`` (serial for the serial backend or one worker)."""
        self.n_runs += len(jobs)
        from hls_abm.sweep.backends import available_cores

        workers = 1 if self.backend == "serial" else (self.workers or available_cores())
        if workers <= 1 or len(jobs) <= 1:
            return [fn(j) for j in jobs]
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=mp.get_context(method)) as ex:
            return list(ex.map(fn, jobs))


def spec_of(path: Path | str) -> dict:
    return tomllib.loads(Path(path).read_text())


def shrink(spec: dict, replicates: int = 3, steps: int | None = None, parameters: dict | None = None,
           scenarios: list | None = None, levers: list | None = None, series: bool = True) -> dict:
    """The small version of a spec: fewer seeds (and optionally weeks, points, scenarios)."""
    spec = copy.deepcopy(spec)
    exp = spec["experiment"]
    exp["name"] = exp.get("name", "sweep") + "-small"
    exp.pop("seeds", None)
    exp["replicates"] = replicates
    if steps:
        exp["steps"] = steps
    if scenarios:
        exp["scenarios"] = scenarios
    spec.setdefault("parameters", {}).update(parameters or {})
    if levers is not None:
        spec["levers"] = levers
    if not series and "outputs" in spec:
        spec["outputs"].pop("series", None)
    spec.pop("analysis", None)
    return spec


@dataclass
class Pattern:
    pid: str
    number: int
    title: str
    claim: str
    source: str
    fn: Callable
    reuses: str = ""


PATTERNS: dict[str, Pattern] = {}
EXTRAS: dict[str, Pattern] = {}


def pattern(pid, number, title, claim, source, reuses="", extra=False):
    def deco(fn):
        (EXTRAS if extra else PATTERNS)[pid] = Pattern(pid, number, title, claim, source, fn, reuses)
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


def run_pattern(name: str, size: str = "full", out: Path | str = "results/validation", backend: str = "pool",
                workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None,
                progress: bool = False) -> Result:
    """Run one pattern (``small`` or ``full``), write its figure, checks table and result JSON
    into ``out/<pattern id>/``, and return the Result."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}")
    p = resolve(name)
    d = Path(out) / p.pid
    d.mkdir(parents=True, exist_ok=True)
    ctx = Ctx(size, d, backend, workers, scheduler, dask_local, progress)
    t0 = time.perf_counter()
    res = Result(p.pid, p.number, p.title, size)
    p.fn(ctx, res)
    res.n_runs = ctx.n_runs
    res.seconds = time.perf_counter() - t0
    csv = d / f"{p.pid}_checks.csv"
    res.table().to_csv(csv, index=False)
    res.tables.insert(0, str(csv))
    (d / "result.json").write_text(json.dumps(res.to_dict(), indent=1, default=float))
    return res


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
def new_figure(ncols: int, nrows: int = 1, w: float = 4.6, h: float = 3.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h * nrows), dpi=100, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for a in axes.flat:
        a.grid(alpha=0.3)
    return fig, axes


def save(fig, path: Path, res: Result) -> Path:
    fig.savefig(path, dpi=100)
    shrink_png(path)
    res.figures.append(str(path))
    return path


def shrink_png(path: Path, limit: int = 195_000) -> None:
    """Keep a PNG under ``limit`` bytes (palette quantisation, then downscaling)."""
    path = Path(path)
    if path.stat().st_size <= limit:
        return
    try:
        from PIL import Image
    except ImportError:  # Pillow comes with the [app] extra; without it the figure stays as drawn
        return
    img = Image.open(path).convert("RGB")
    q = img.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    q.save(path, optimize=True)
    while path.stat().st_size > limit:
        img = img.resize((int(img.width * 0.85), int(img.height * 0.85)), Image.Resampling.LANCZOS)
        img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def line_ci(ax, x, stats_: list[Stat], label=None, color=None, ls="-", marker="o"):
    m = np.array([s.mean for s in stats_])
    lo = np.array([s.lo for s in stats_])
    hi = np.array([s.hi for s in stats_])
    ax.plot(x, m, ls=ls, marker=marker, ms=3.5, color=color, label=label)
    ax.fill_between(x, lo, hi, color=color, alpha=0.18, lw=0)


def adopt_figure(src: Path, res: Result, dest: Path) -> Path:
    """Copy an example experiment's figure into the pattern's directory (under the size limit)."""
    shutil.copyfile(src, dest)
    shrink_png(dest)
    res.figures.append(str(dest))
    return dest


# --------------------------------------------------------------------------------------------
# direct runs (agent-level outputs and model variants)
# --------------------------------------------------------------------------------------------
class RelationshipResetModel(HLSModel):
    """Counterfactual for pattern 6: the working relationship restarts at 0 with every new
    episode, even with the same team (no continuity between episodes).

    In the model as coded, a person who comes back to the *same* team keeps the relationship
    (``Cases.admit``): with the same NPM silo on the same need, with their local team on any
    need. This variant forgets it whenever an episode ends. The warm-up is the base model's,
    so the twin comparison stays exact up to week 0.
    """

    def step(self) -> None:
        super().step()
        self.cases.relation[self.cases.status != OPEN] = 0.0


def _relationship_run(job) -> dict:
    scenario, seed, n, steps, reset = job
    cls = RelationshipResetModel if reset else HLSModel
    m = cls(scenario, n_citizens=n, rng=seed)
    m.run_for(steps)
    d = m.metrics()
    rel = m.cases.relation[m.cases.status == OPEN]
    return {"scenario": scenario, "seed": seed, "reset": reset, "crisis_events.sum": float(d.crisis_events.sum()),
            "total_cost.sum": float(d.total_cost.sum()), "mean_wellbeing.mean_last_52": float(d.mean_wellbeing.iloc[-52:].mean()),
            "relation_open": float(rel.mean()) if rel.size else float("nan")}


def _cost_run(job) -> dict:
    scenario, seed, n, steps = job
    m = HLSModel(scenario, n_citizens=n, rng=seed)
    c0 = m.population.cost.copy()  # cost attributed during the warm-up is left out
    m.run_for(steps)
    d = m.metrics()
    return {"scenario": scenario, "seed": seed, "cost": m.population.cost - c0,
            "is_complex": m.population.is_complex.copy(), "total_cost": float(d.total_cost.sum())}


# --------------------------------------------------------------------------------------------
# the patterns
# --------------------------------------------------------------------------------------------
@pattern("p01_failure_demand", 1, "Failure demand is large and made by the design of the system",
         "In NPM with complex needs failure demand settles between roughly 30% and 80% of contacts, and falls when "
         "work is designed end to end (local teams).",
         "Seddon 2003/2008; S004 L286 (up to 78% of calls to council services; 60% in some banks)")
def p01_failure_demand(ctx: Ctx, res: Result) -> None:
    spec = spec_of(HERE / "failure_demand.toml")
    if ctx.small:
        spec = shrink(spec, parameters={"complex_share": [0.25]})
    df = ctx.sweep(spec)
    df["share_5y"] = df["failure_demand.sum"] / df["contacts.sum"]
    df["share_y5"] = df["failure_demand.sum_last_52"] / df["contacts.sum_last_52"]
    crit = "mean within 30-80%, with 5 points' tolerance for 'roughly': [0.25, 0.85]"
    for cs in ([0.25] if ctx.small else [0.1, 0.25]):
        s = stat(df, "share_5y", {"scenario": "npm", "complex_share": cs})
        res.checks.append(band(f"npm_share_cs{cs:g}", f"NPM failure-demand share of contacts, 5 years, complex_share {cs:g}",
                               s, 0.25, 0.85, crit, fmt=".2f"))
    base, alt = {"scenario": "npm", "complex_share": 0.25}, {"scenario": "local_teams", "complex_share": 0.25}
    res.checks.append(direction("lt_lower_5y", "local teams minus NPM, failure-demand share over 5 years (default)",
                                paired(df, "share_5y", base, alt), -1, ctx.small, fmt=".2f"))
    res.checks.append(direction("lt_lower_y5", "local teams minus NPM, failure-demand share in year 5 (default)",
                                paired(df, "share_y5", base, alt), -1, ctx.small, fmt=".2f"))
    res.checks.append(band("npm_settled_default", "NPM failure-demand share in year 5 (settled), complex_share 0.25",
                           stat(df, "share_y5", {"scenario": "npm", "complex_share": 0.25}), 0.30, 0.80,
                           "mean within 30-80% (the literature's range)", kind="limit", fmt=".2f"))
    for scen in ("npm", "local_teams"):
        for cs in sorted(df["complex_share"].unique()):
            s = stat(df, "share_y5", {"scenario": scen, "complex_share": cs})
            res.checks.append(band(f"{scen}_share_y5_cs{cs:g}", f"{LABELS[scen]}: failure-demand share in year 5, "
                                   f"complex_share {cs:g}", s, 0.25, 0.85, "reported; in the band [0.25, 0.85]?",
                                   kind="info", fmt=".2f"))
    _figure_p01(ctx, res, df)


def _figure_p01(ctx, res, df):
    from hls_abm.sweep import load_series

    fig, ax = new_figure(2, w=5.4, h=3.9)
    a = ax[0, 0]
    a.axhspan(0.30, 0.80, color="0.85", alpha=0.6, lw=0, label="literature: roughly 30-80%")
    a.axhline(0.78, color="0.4", lw=0.8, ls=":", label="S004: 'up to 78%' (council services)")
    xs = sorted(df["complex_share"].unique())
    for scen in ("npm", "local_teams"):
        for col, ls, what in (("share_5y", "-", "5 years"), ("share_y5", "--", "year 5")):
            line_ci(a, xs, [stat(df, col, {"scenario": scen, "complex_share": x}) for x in xs],
                    f"{LABELS[scen]}, {what}", COLOURS[scen], ls)
    a.set(xlabel="share of citizens with complex needs", ylabel="failure demand / contacts", ylim=(0, 1.3),
          yticks=np.arange(0, 1.01, 0.2), title="failure-demand share (mean, 95% CI over seeds)")
    a.legend(fontsize=7, loc="upper left", ncol=2)
    s = load_series(df.attrs["dir"], columns=["failure_demand", "contacts"])
    s = s[np.isclose(s["complex_share"], 0.25)].sort_values(["scenario", "seed", "week"])
    a = ax[0, 1]
    a.axhspan(0.30, 0.80, color="0.85", alpha=0.6, lw=0)
    for scen, g in s.groupby("scenario"):
        roll = g.groupby("seed")[["failure_demand", "contacts"]].rolling(13, min_periods=13).sum()
        roll = roll.reset_index(level=0)
        roll["week"] = g["week"].to_numpy()
        roll["share"] = roll["failure_demand"] / roll["contacts"].where(roll["contacts"] > 0)
        q = roll.groupby("week")["share"].quantile([0.1, 0.5, 0.9]).unstack()
        a.plot(q.index, q[0.5], color=COLOURS[scen], label=LABELS[scen])
        a.fill_between(q.index, q[0.1], q[0.9], color=COLOURS[scen], alpha=0.2, lw=0)
    a.set(xlabel="week", ylabel="failure demand / contacts (13-week window)", ylim=(0, 1),
          title="week by week, complex_share 0.25\n(median, 10-90% of seeds)")
    a.legend(fontsize=8)
    fig.suptitle(f"Pattern 1: failure demand ({df['seed'].nunique()} paired seeds, 1,000 citizens)")
    save(fig, ctx.out / "p01_failure_demand.png", res)


@pattern("p02_complexity_crossover", 2, "Standardised silos do well for simple demand, badly for complex demand",
         "Standardised silos do well for simple, single-need demand and badly for complex, varied demand.",
         "S000/S002 ('except in a group of highly centralised transactional services - like renewing a passport'); "
         "S001 L49 ('NPM does not work in complex environments')", reuses="complexity_crossover")
def p02_complexity_crossover(ctx: Ctx, res: Result) -> None:
    import complexity_crossover as ex

    spec = spec_of(EXPERIMENTS / "complexity_crossover.toml")
    if ctx.small:
        spec = shrink(spec, parameters={"complex_share": [0.0, 0.3], "community_strength": [0.5]})
    df = ctx.sweep(spec)
    communities = sorted(df["community_strength"].unique())
    tc, wb = "total_cost.sum", "mean_wellbeing.mean_last_52"

    def rel(cs, cm):  # (local - npm) / npm, per seed
        return paired(df, tc, {"scenario": "npm", "complex_share": cs, "community_strength": cm},
                      {"scenario": "local_teams", "complex_share": cs, "community_strength": cm}, lambda a, b: (b - a) / a)

    def dwb(cs, cm):
        return paired(df, wb, {"scenario": "npm", "complex_share": cs, "community_strength": cm},
                      {"scenario": "local_teams", "complex_share": cs, "community_strength": cm})

    res.checks.append(band("simple_cost", "simple needs only (complex_share 0, community 0.5): 5-year cost, "
                           "(local - NPM) / NPM", rel(0.0, 0.5), -0.05, 0.05, "within +-5%", fmt=".3f"))
    res.checks.append(band("simple_wellbeing", "simple needs only: year-5 wellbeing, local - NPM", dwb(0.0, 0.5),
                           -0.05, 0.05, "within +-0.05", fmt=".3f"))
    for cm in communities:
        r0, r3 = rel(0.0, cm), rel(0.3, cm)
        grow = Stat.of(np.asarray(r0.values) - np.asarray(r3.values))
        res.checks.append(direction(f"advantage_grows_cm{cm:g}", f"community {cm:g}: local teams' relative cost "
                                    "advantage at complex_share 0.3 minus at 0", grow, +1, ctx.small, fmt=".3f",
                                    margin=0.1))
    if not ctx.small:
        for cm in communities:
            for cs in (0.2, 0.3, 0.45, 0.6):
                res.checks.append(direction(f"lt_cheaper_cs{cs:g}_cm{cm:g}", f"complex_share {cs:g}, community {cm:g}: "
                                            "5-year cost (local - NPM) / NPM", rel(cs, cm), -1, False, fmt=".3f"))
        for cm in communities:
            res.checks.append(info(f"simple_cost_cm{cm:g}", f"complex_share 0, community {cm:g}: 5-year cost "
                                   "(local - NPM) / NPM", rel(0.0, cm), fmt=".3f"))
            res.checks.append(info(f"simple_wb_cm{cm:g}", f"complex_share 0, community {cm:g}: year-5 wellbeing, "
                                   "local - NPM", dwb(0.0, cm), fmt=".3f"))
    png, csv = ex.figure(df.attrs["dir"])
    adopt_figure(png, res, ctx.out / "p02_complexity_crossover.png")
    res.tables.append(str(csv))


@pattern("p03_threshold_paradox", 3, "Tightening eligibility thresholds backfires",
         "Tightening eligibility thresholds cuts clients and spend in the silo and pushes demand into crisis services; "
         "total cost rises over the long run, and wellbeing falls.",
         "S004 L171 ('Higher thresholds can actually be expensive ...'); Age UK 2011; PSSRU (Forder & Fernandez)",
         reuses="threshold_paradox")
def p03_threshold_paradox(ctx: Ctx, res: Result) -> None:
    import threshold_paradox as ex

    spec = spec_of(EXPERIMENTS / "threshold_paradox.toml")
    if ctx.small:
        spec = shrink(spec, parameters={"eligibility_threshold": [0.5, 0.65]})
    df = ctx.sweep(spec)
    df["silo.sum"] = df["cost_staff.sum"] + df["cost_support.sum"] + df["cost_overhead.sum"]
    base, alt = {"eligibility_threshold": 0.5}, {"eligibility_threshold": 0.65}

    def rel(col):
        return paired(df, col, base, alt, lambda a, b: (b - a) / a)

    sm = ctx.small
    res.checks += [
        direction("support_down", "threshold 0.5 -> 0.65: commissioned support (follows the open caseload: clients x "
                  "weeks), relative change over 5 years", rel("cost_support.sum"), -1, sm, fmt=".3f"),
        direction("silo_down", "threshold 0.5 -> 0.65: silo spend (staff + support + overhead), relative change",
                  rel("silo.sum"), -1, sm, fmt=".3f"),
        direction("rejections_up", "threshold 0.5 -> 0.65: people turned away, relative change", rel("rejections.sum"),
                  +1, sm, fmt=".3f"),
        direction("crises_up", "threshold 0.5 -> 0.65: crisis events, relative change", rel("crisis_events.sum"), +1,
                  sm, fmt=".3f"),
        direction("total_up", "threshold 0.5 -> 0.65: whole-system cost over 5 years, relative change",
                  rel("total_cost.sum"), +1, sm, fmt=".3f"),
        direction("wellbeing_down", "threshold 0.5 -> 0.65: mean wellbeing in year 5, change",
                  paired(df, "mean_wellbeing.mean_last_52", base, alt), -1, sm, fmt=".3f"),
    ]
    if not sm:
        lo = {"eligibility_threshold": 0.3}
        res.checks.append(info("support_0.3_to_0.5", "threshold 0.3 -> 0.5: commissioned support, relative change "
                               "(below 0.5 tightening adds support: needs escalate into cases)",
                               paired(df, "cost_support.sum", lo, base, lambda a, b: (b - a) / a), fmt=".3f"))
        res.checks.append(info("total_0.3_to_0.8", "threshold 0.3 -> 0.8: whole-system cost, relative change",
                               paired(df, "total_cost.sum", lo, {"eligibility_threshold": 0.8}, lambda a, b: (b - a) / a),
                               fmt=".3f"))
    png, csv = ex.figure(df.attrs["dir"])
    adopt_figure(png, res, ctx.out / "p03_threshold_paradox.png")
    res.tables.append(str(csv))


@pattern("p04_cuts_paradox", 4, "Cuts to one silo shift cost to crisis services",
         "Cuts to one silo shift cost to others and to crisis services (the cuts paradox).",
         "S000 ('cutting costs in one area, gives rise to increased cost elsewhere'); S004 L145, L167",
         reuses="cuts_paradox")
def p04_cuts_paradox(ctx: Ctx, res: Result) -> None:
    import cuts_paradox as ex

    spec = spec_of(EXPERIMENTS / "cuts_paradox.toml")
    if ctx.small:
        spec = shrink(spec, levers=[{"name": "budget_cut", "week": 52, "percent": [0, 20, 30]}])
    df = ctx.sweep(spec)
    cut = "budget_cut.percent"
    df["budget.sum_from_52"] = df["cost_staff.sum_from_52"] + df["cost_overhead.sum_from_52"]
    sm = ctx.small
    for scen in ("npm", "local_teams"):
        b, a = {"scenario": scen, cut: 0}, {"scenario": scen, cut: 20}
        kind = "claim" if scen == "npm" else "info"
        lab = LABELS[scen]
        res.checks += [
            direction(f"{scen}_budget_saved", f"{lab}, 20% cut at week 52: staff + overhead, years 2-5 (EUR)",
                      paired(df, "budget.sum_from_52", b, a), -1, sm, kind=kind, fmt="si"),
            direction(f"{scen}_crisis_up", f"{lab}, 20% cut: crisis cost, years 2-5 (EUR)",
                      paired(df, "cost_crisis.sum_from_52", b, a), +1, sm, kind=kind, fmt="si"),
        ]
        tot = paired(df, "total_cost.sum_from_52", b, a)
        if scen == "npm":
            res.checks.append(direction("npm_total_up", "NPM, 20% cut: whole-system cost, years 2-5 (EUR)", tot, +1, sm,
                                        fmt="si"))
        else:
            res.checks.append(info("local_total", "local teams, 20% cut: whole-system cost, years 2-5 (EUR)", tot,
                                   fmt="si"))
    if not sm:
        res.checks.append(info("npm_shift_ratio", "NPM, 20% cut: extra crisis cost per euro of budget saved",
                               Stat.of(np.asarray(paired(df, "cost_crisis.sum_from_52", {"scenario": "npm", cut: 0},
                                                         {"scenario": "npm", cut: 20}).values)
                                       / -np.asarray(paired(df, "budget.sum_from_52", {"scenario": "npm", cut: 0},
                                                            {"scenario": "npm", cut: 20}).values)), fmt=".2f"))
        rng = ctx.sweep(spec_of(HERE / "cuts_budget_range.toml"))
        for bf in sorted(rng["budget_factor"].unique()):
            s = paired(rng, "total_cost.sum_from_52", {"budget_factor": bf, cut: 0}, {"budget_factor": bf, cut: 20},
                       lambda a, b: (b - a) / a)
            held = bool(s.lo > 0)
            res.checks.append(info(f"range_bf{bf:g}", f"budget_factor {bf:g}: 20% cut, relative change of years 2-5 "
                                   f"whole-system cost (paradox {'holds' if held else 'does not hold'})", s,
                                   fmt=".3f", passed=held))
        _figure_p04_range(ctx, res, rng)
    png, csv = ex.figure(df.attrs["dir"])
    adopt_figure(png, res, ctx.out / "p04_cuts_paradox.png")
    res.tables.append(str(csv))


def _figure_p04_range(ctx, res, rng):
    cut = "budget_cut.percent"
    xs = sorted(rng["budget_factor"].unique())
    fig, ax = new_figure(2, w=4.6, h=3.5)
    for col, lab, c in (("total_cost.sum_from_52", "whole-system cost", "0.15"),
                        ("cost_crisis.sum_from_52", "crisis cost", NPM_COLOUR)):
        line_ci(ax[0, 0], xs, [paired(rng, col, {"budget_factor": x, cut: 0}, {"budget_factor": x, cut: 20})
                               for x in xs], lab, c)
    rng = rng.assign(budget=rng["cost_staff.sum_from_52"] + rng["cost_overhead.sum_from_52"])
    line_ci(ax[0, 0], xs, [paired(rng, "budget", {"budget_factor": x, cut: 0}, {"budget_factor": x, cut: 20})
                           for x in xs], "staff + overhead (the saving)", LOCAL_COLOUR)
    ax[0, 0].axhline(0, color="0.3", lw=0.8, ls="--")
    ax[0, 0].set(xlabel="budget_factor before the cut", ylabel="EUR over years 2-5, cut - no cut",
                 title="NPM: a 20% cut at week 52 (paired seeds)")
    ax[0, 0].legend(fontsize=7)
    line_ci(ax[0, 1], xs, [stat(rng, "staff_stress.mean_first_52", {"budget_factor": x, cut: 0}) for x in xs],
            "year 1 (before the cut)", "0.6", "--")
    line_ci(ax[0, 1], xs, [stat(rng, "staff_stress.mean", {"budget_factor": x, cut: 0}) for x in xs],
            "years 1-5, no cut", "0.2")
    ax[0, 1].set(xlabel="budget_factor", ylabel="mean staff stress (NPM)", ylim=(0, 1),
                 title="how stretched the silos are without the cut")
    ax[0, 1].legend(fontsize=7)
    fig.suptitle("Pattern 4: where the cuts paradox holds (4 seeds, 1,000 citizens, NPM)")
    save(fig, ctx.out / "p04_cuts_range.png", res)


@pattern("p05_no_free_lunch", 5, "No free lunch: fewer hours at a higher cost per hour",
         "Local teams use far fewer hours per client at a higher cost per hour; whole-system cost is the same or lower, "
         "not dramatically lower.",
         "KPMG Plexus 2015 via Zorgvisie: 108 vs 168 hours per client per year, EUR 54.47 vs 48.74 per hour, total "
         "cost per client about average once follow-on costs are counted")
def p05_no_free_lunch(ctx: Ctx, res: Result) -> None:
    spec = spec_of(HERE / "no_free_lunch.toml")
    if ctx.small:
        spec = shrink(spec, parameters={"complex_share": [0.25], "crisis_cost": [7000.0]})
    df = ctx.sweep(spec)
    ratio = lambda a, b: b / a  # noqa: E731
    sm = ctx.small

    def r(col, cs=0.25, cc=7000.0):
        return paired(df, col, {"scenario": "npm", "complex_share": cs, "crisis_cost": cc},
                      {"scenario": "local_teams", "complex_share": cs, "crisis_cost": cc}, ratio)

    res.checks += [
        band("hours_ratio", "hours per client per year (year 5), local / NPM, default", r("staff_hours_per_client.final"),
             0.44, 0.84, "KPMG 108/168 = 0.64, +-0.2", fmt=".2f"),
        band("cost_per_hour_ratio", "cost per client-facing hour worked (staff + overhead, year 5), local / NPM",
             r("cost_per_staff_hour.mean_last_52"), 1.0, 1.3, "above 1 and within 1.0-1.3 (KPMG 54.47/48.74 = 1.12)",
             fmt=".2f"),
        band("cost_same_or_lower", "whole-system cost over 5 years, local / NPM, default", r("total_cost.sum"), 0.0,
             1.05, "at most 1.05 ('the same or lower')", fmt=".2f"),
        band("not_dramatically_lower", "whole-system cost over 5 years, local / NPM, default", r("total_cost.sum"),
             0.8, 1.05, "at least 0.8 ('not dramatically lower'; KPMG: about average)", kind="limit", fmt=".2f"),
    ]
    res.checks.append(info("cost_ratio_y5", "whole-system cost in year 5, local / NPM, default", r("total_cost.sum_last_52"),
                           fmt=".2f"))
    res.checks.append(info("crisis_ratio", "crisis events over 5 years, local / NPM, default", r("crisis_events.sum"),
                           fmt=".2f"))
    for scen in ("npm", "local_teams"):
        res.checks.append(info(f"hours_{scen}", f"{LABELS[scen]}: hours per client per year (year 5), default",
                               stat(df, "staff_hours_per_client.final", {"scenario": scen, "complex_share": 0.25,
                                                                        "crisis_cost": 7000.0}), fmt=".1f"))
    if not sm:
        for cc in sorted(df["crisis_cost"].unique()):
            for cs in sorted(df["complex_share"].unique()):
                h, ph = r("staff_hours_per_client.final", cs, cc), r("cost_per_staff_hour.mean_last_52", cs, cc)
                c = r("total_cost.sum", cs, cc)
                met = [0.44 <= h.mean <= 0.84, 1.0 <= ph.mean <= 1.3, 0.8 <= c.mean <= 1.05]
                res.checks.append(info(f"region_cs{cs:g}_cc{cc:g}", f"complex_share {cs:g}, crisis_cost {cc:g}: 5-year "
                                       f"cost local/NPM (hours ratio {h.mean:.2f}, cost per hour ratio {ph.mean:.2f}; "
                                       f"KPMG figures met: {sum(met)} of 3)", c, fmt=".2f", passed=all(met)))
    _figure_p05(ctx, res, df, r)


def _figure_p05(ctx, res, df, r):
    xs = sorted(df["complex_share"].unique())
    ccs = sorted(df["crisis_cost"].unique())
    fig, ax = new_figure(3, w=4.3, h=3.6)
    styles = {3500.0: ("--", "crisis cost EUR 3,500"), 7000.0: ("-", "crisis cost EUR 7,000 (default)")}
    default = 7000.0 if 7000.0 in ccs else ccs[-1]
    line_ci(ax[0, 0], xs, [r("staff_hours_per_client.final", x, default) for x in xs], "model", "0.2")
    line_ci(ax[0, 1], xs, [r("cost_per_staff_hour.mean_last_52", x, default) for x in xs], "model (incl. overhead "
            "and idle hours)", "0.2")
    for cc in ccs:
        ls, lab = styles.get(cc, ("-", f"crisis cost {cc:g}"))
        line_ci(ax[0, 2], xs, [r("total_cost.sum", x, cc) for x in xs], lab, "0.2", ls)
    ax[0, 0].axhline(108 / 168, color=LOCAL_COLOUR, lw=1.2, label="KPMG 2015: 108/168 = 0.64")
    ax[0, 0].set(title="hours per client per year (year 5)", ylabel="local teams / NPM")
    ax[0, 1].axhline(54.47 / 48.74, color=LOCAL_COLOUR, lw=1.2, label="KPMG 2015: 54.47/48.74 = 1.12")
    ax[0, 1].set(title="cost per client-facing hour worked", ylabel="local teams / NPM")
    ax[0, 2].axhspan(0.8, 1.05, color=LOCAL_COLOUR, alpha=0.12, lw=0, label="'about average' (0.8-1.05)")
    ax[0, 2].axhline(1, color="0.3", lw=0.8, ls=":")
    ax[0, 2].set(title="whole-system cost over 5 years", ylabel="local teams / NPM", ylim=(0, 1.2))
    for a in ax[0]:
        a.set_xlabel("share of citizens with complex needs")
        a.legend(fontsize=7)
    fig.suptitle(f"Pattern 5: no free lunch (local teams / NPM, {df['seed'].nunique()} paired seeds, 1,000 citizens; "
                 "bands: 95% CI)")
    save(fig, ctx.out / "p05_no_free_lunch.png", res)


@pattern("p06_continuity", 6, "Continuity and relationships lower avoidable crisis use",
         "Continuity and relationships lower avoidable crisis use.",
         "S001 L162 ('Build trust ... Work on your relationships'); Haggerty et al. 2003; Pereira Gray et al. 2018")
def p06_continuity(ctx: Ctx, res: Result) -> None:
    spec = spec_of(HERE / "continuity.toml")
    sm = ctx.small
    if sm:
        spec = shrink(spec, parameters={"trust_gain": [0.0, 0.5]}, steps=156)
    df = ctx.sweep(spec)
    seeds = sorted(df["seed"].unique())
    steps = int(spec["experiment"]["steps"])
    for scen in ("npm", "local_teams"):
        res.checks.append(direction(f"{scen}_relationship", f"{LABELS[scen]}: crises with trust_gain 0.5 vs 0 "
                                    "(relationship grows vs never forms), relative change",
                                    paired(df, "crisis_events.sum", {"scenario": scen, "trust_gain": 0.0},
                                           {"scenario": scen, "trust_gain": 0.5}, lambda a, b: (b - a) / a), -1, sm,
                                    fmt=".3f"))
    scens = ["npm"] if sm else ["npm", "local_teams"]
    jobs = [(s, int(seed), 1000, steps, reset) for s in scens for seed in seeds for reset in (False, True)]
    rel = pd.DataFrame(ctx.direct(_relationship_run, jobs))
    rel.to_csv(ctx.out / "p06_relationship_reset.csv", index=False)
    rel["arm"] = np.where(rel["reset"], "reset", "kept")
    for scen in scens:
        s = paired(rel, "crisis_events.sum", {"scenario": scen, "arm": "kept"}, {"scenario": scen, "arm": "reset"},
                   lambda a, b: (b - a) / a)
        res.checks.append(direction(f"{scen}_continuity", f"{LABELS[scen]}: crises when the relationship restarts with "
                                    "every episode vs kept with the same team, relative change", s, +1, sm, fmt=".3f"))
        for arm in ("kept", "reset"):
            res.checks.append(info(f"{scen}_relation_{arm}", f"{LABELS[scen]}, relationship {arm}: mean relationship "
                                   "of open cases at the end", stat(rel, "relation_open", {"scenario": scen, "arm": arm}),
                                   fmt=".2f"))
    _figure_p06(ctx, res, df, rel)


def _figure_p06(ctx, res, df, rel):
    xs = sorted(df["trust_gain"].unique())
    fig, ax = new_figure(2, w=4.8, h=3.6)
    for scen in ("npm", "local_teams"):
        line_ci(ax[0, 0], xs, [stat(df, "crisis_events.sum", {"scenario": scen, "trust_gain": x}) for x in xs],
                LABELS[scen], COLOURS[scen])
    ax[0, 0].axvline(0.08, color="0.5", lw=0.8, ls=":")
    ax[0, 0].set(xlabel="trust_gain (weekly growth of the working relationship; default 0.08)",
                 ylabel="crisis events", title="relationships: crises by how fast they grow", ylim=(0, None))
    ax[0, 0].legend(fontsize=8)
    a = ax[0, 1]
    scens = list(dict.fromkeys(rel["scenario"]))
    w = 0.38
    for i, scen in enumerate(scens):
        for j, arm in enumerate(("kept", "reset")):
            s = stat(rel, "crisis_events.sum", {"scenario": scen, "arm": arm})
            x = i + (j - 0.5) * w
            a.bar(x, s.mean, w * 0.95, color=COLOURS[scen], alpha=1.0 if arm == "kept" else 0.45,
                  yerr=[[s.mean - s.lo], [s.hi - s.mean]], error_kw={"lw": 0.8})
            a.text(x, s.mean * 0.5, arm, ha="center", fontsize=8, color="white" if arm == "kept" else "0.1")
        d = paired(rel, "crisis_events.sum", {"scenario": scen, "arm": "kept"}, {"scenario": scen, "arm": "reset"},
                   lambda u, v: (v - u) / u)
        top = stat(rel, "crisis_events.sum", {"scenario": scen, "arm": "reset"}).hi
        a.text(i, top * 1.06, f"reset vs kept, paired:\n{d.mean:+.1%} [{d.lo:+.1%}, {d.hi:+.1%}]", ha="center",
               va="bottom", fontsize=7.5)
    a.set_ylim(0, a.get_ylim()[1] * 1.2)
    a.set_xticks(range(len(scens)), [LABELS[s] for s in scens])
    a.set(ylabel="crisis events over the run",
          title="continuity: relationship kept with the same team\nvs restarted with every episode")
    fig.suptitle(f"Pattern 6: continuity and relationships ({df['seed'].nunique()} paired seeds, 1,000 citizens, "
                 f"{int(df['steps'].iloc[0])} weeks; 95% CI)")
    save(fig, ctx.out / "p06_continuity.png", res)


@pattern("p07_goodhart", 7, "Targets produce gaming (Goodhart)",
         "Under target pressure the reported KPI improves while the real outcome worsens (Hood's ratchet, threshold and "
         "output-distortion effects).",
         "S004 L292-294 (Goodhart's law; gaming); Hood 2006; Bevan & Hood 2006")
def p07_goodhart(ctx: Ctx, res: Result) -> None:
    spec = spec_of(HERE / "goodhart.toml")
    sm = ctx.small
    if sm:
        spec = shrink(spec, parameters={"target_pressure": [0.0, 1.0], "target_weeks": [8], "budget_factor": [1.5]})
    df = ctx.sweep(spec)
    kpi5, real5 = "reported_kpi.mean_last_52", "real_outcome.mean_last_52"
    kpi2, real2 = "reported_kpi.mean_first_104", "real_outcome.mean_first_104"
    tight = {"target_weeks": 8, "budget_factor": 1.5}
    default = {"target_weeks": 16, "budget_factor": 1.0}
    settings = [("tight", tight)] if sm else [("default", default), ("tight", tight)]
    for name, st in settings:
        b, a = {**st, "target_pressure": 0.0}, {**st, "target_pressure": 1.0}
        lab = "default target and budget" if name == "default" else "8-week target, 1.5 x budget"
        res.checks.append(direction(f"real_down_{name}", f"{lab}: real outcome in year 5, pressure 1 minus 0",
                                    paired(df, real5, b, a), -1, sm, fmt=".2f"))
        if name == "tight":
            res.checks.append(direction("kpi_up_tight_2y", f"{lab}: reported KPI over years 1-2, pressure 1 minus 0",
                                        paired(df, kpi2, b, a), +1, sm, fmt=".2f", margin=0.2))
            res.checks.append(direction("real_down_tight_2y", f"{lab}: real outcome over years 1-2, pressure 1 minus 0",
                                        paired(df, real2, b, a), -1, sm, fmt=".2f", margin=-0.2))
            res.checks.append(info("kpi_tight_y5", f"{lab}: reported KPI in year 5, pressure 1 minus 0",
                                   paired(df, kpi5, b, a), fmt=".2f"))
        else:
            res.checks.append(direction("kpi_up_default", f"{lab}: reported KPI in year 5, pressure 1 minus 0",
                                        paired(df, kpi5, b, a), +1, sm, kind="limit", fmt=".2f"))
            res.checks.append(direction("kpi_up_default_2y", f"{lab}: reported KPI over years 1-2, pressure 1 minus 0",
                                        paired(df, kpi2, b, a), +1, sm, kind="limit", fmt=".2f"))
    # The dashboard's version: pressure raised 0.3 -> 0.8 in week 30 at the defaults.
    lev = ctx.sweep(spec_of(HERE / "goodhart_lever.toml"))
    b, a = {"pressure.value": 0.3}, {"pressure.value": 0.8}
    res.checks.append(band("lever_kpi_holds", "defaults, pressure 0.3 -> 0.8 at week 30: reported KPI over the next two "
                           "years, lever minus none", paired(lev, "reported_kpi.mean_from_30", b, a), -0.02, 1.0,
                           "at least -0.02 (the KPI holds)", fmt=".3f"))
    res.checks.append(direction("lever_real_down", "defaults, pressure 0.3 -> 0.8 at week 30: real outcome over the next "
                                "two years, lever minus none", paired(lev, "real_outcome.mean_from_30", b, a), -1, sm,
                                fmt=".3f", margin=-0.05))
    res.checks.append(info("lever_kpi_before", "defaults: reported KPI before the lever (weeks 1-30)",
                           stat(lev, "reported_kpi.mean_first_30", b), fmt=".3f"))
    if not sm:
        for tp in (0.0, 0.5, 0.75, 1.0):
            for name, st in settings:
                for col, what in ((kpi2, "KPI years 1-2"), (real2, "real outcome years 1-2"), (kpi5, "KPI year 5"),
                                  (real5, "real outcome year 5")):
                    res.checks.append(info(f"{name}_{what}_tp{tp:g}", f"{name}: {what} at pressure {tp:g}",
                                           stat(df, col, {**st, "target_pressure": tp}), fmt=".2f"))
    _figure_p07(ctx, res, df, settings, lev)


def _figure_p07(ctx, res, df, settings, lev):
    from hls_abm.sweep import load_series

    xs = sorted(df["target_pressure"].unique())
    fig, ax = new_figure(len(settings) + 1, w=4.6, h=3.7)
    titles = {"default": "default: 16-week target, budget 1.0", "tight": "binding target, slack: 8 weeks, budget 1.5"}
    for i, (name, st) in enumerate(settings):
        a = ax[0, i]
        for col, lab, c, ls in (("reported_kpi.mean_first_104", "reported KPI, years 1-2", "0.15", "--"),
                                ("real_outcome.mean_first_104", "real outcome, years 1-2", NPM_COLOUR, "-"),
                                ("reported_kpi.mean_last_52", "reported KPI, year 5", "0.6", "--"),
                                ("real_outcome.mean_last_52", "real outcome, year 5", "#E69F00", "-")):
            line_ci(a, xs, [stat(df, col, {**st, "target_pressure": x}) for x in xs], lab, c, ls)
        a.set(xlabel="target pressure (set from the start)", ylabel="share", ylim=(0, 1.05), title=titles[name])
        a.legend(fontsize=7, loc="center right")
    a = ax[0, -1]
    s = load_series(lev.attrs["dir"], columns=["reported_kpi", "real_outcome"])
    for v, g in s.groupby("pressure.value"):
        m = g.groupby("week")[["reported_kpi", "real_outcome"]].mean()
        c = NPM_COLOUR if v > 0.5 else "0.5"
        a.plot(m.index, m["reported_kpi"], color=c, ls="--", label=f"reported KPI, pressure {v:g}")
        a.plot(m.index, m["real_outcome"], color=c, ls="-", label=f"real outcome, pressure {v:g}")
    a.axvline(30, color="0.3", lw=0.8, ls=":")
    a.set(xlabel="week", ylabel="share", ylim=(0, 1.05), title="defaults: pressure 0.3 -> 0.8 in week 30")
    a.legend(fontsize=7, loc="center right")
    fig.suptitle("Pattern 7: reported KPI (closed within the target weeks) vs real outcome (still resolved 13 weeks "
                 f"later), NPM, {df['seed'].nunique()} seeds; 95% CI / mean of seeds", fontsize=10)
    save(fig, ctx.out / "p07_goodhart.png", res)


@pattern("p08_turnover_spiral", 8, "Workload and turnover reinforce each other",
         "A small rise in demand can tip a stretched team into an attrition spiral.",
         "S004 L129 (Munro & Lane feedback loop); Munro 2011; Lane, Munro & Husemann 2016")
def p08_turnover_spiral(ctx: Ctx, res: Result) -> None:
    spec = spec_of(HERE / "turnover_spiral.toml")
    sm = ctx.small
    if sm:
        spec = shrink(spec, scenarios=["npm"], parameters={"complex_share": [0.2, 0.3], "stress_turnover": [0.006]},
                      replicates=3)
    df = ctx.sweep(spec)
    st, fte, to = "staff_stress.mean_last_52", "staff_fte.mean_last_52", "staff_turnover.mean_last_52"
    width = 0.1 if sm else 0.05
    for scen in (["npm"] if sm else ["npm", "local_teams"]):
        on = {"scenario": scen, "stress_turnover": 0.006}
        xs = sorted(select(df, on)["complex_share"].unique())
        pairs = [(a, b) for i, a in enumerate(xs) for b in xs[i + 1:] if b - a <= width + 1e-9]
        jump = {p: paired(df, st, {**on, "complex_share": p[0]}, {**on, "complex_share": p[1]}).mean for p in pairs}
        a, b = max(jump, key=jump.get)
        lo_, hi_ = {**on, "complex_share": a}, {**on, "complex_share": b}
        lab = f"{LABELS[scen]}, complex_share {a:g} -> {b:g}"
        res.notes[f"{scen}_tipping"] = [a, b]
        jst, jto = paired(df, st, lo_, hi_), paired(df, to, lo_, hi_)
        res.checks += [
            direction(f"{scen}_stress_up", f"{lab} (the steepest step of <= {width:g}): staff stress, change", jst, +1,
                      sm, fmt=".2f"),
            band(f"{scen}_stress_jump", f"{lab}: staff stress, change (mean)", jst, 0.35, 1.0,
                 "a jump of at least 0.35 on the 0-1 scale", fmt=".2f"),
            direction(f"{scen}_turnover_up", f"{lab}: staff turnover per year, change", jto, +1, sm, fmt=".2f"),
            band(f"{scen}_turnover_jump", f"{lab}: staff turnover per year, change (mean)", jto, 0.08, 1.0,
                 "at least 8 points a year", fmt=".2f"),
            direction(f"{scen}_fte_falls", f"{lab}: staff in post (FTE), relative change",
                      paired(df, fte, lo_, hi_, lambda x, y: (y - x) / x), -1, sm, fmt=".3f"),
            info(f"{scen}_demand_rise", f"{lab}: value demand (first requests), relative change",
                 paired(df, "value_demand.sum", lo_, hi_, lambda x, y: (y - x) / x), fmt=".3f"),
        ]
        if not sm:
            means = [stat(df, st, {**on, "complex_share": x}).mean for x in xs]
            slope_all = (means[-1] - means[0]) / (xs[-1] - xs[0])
            slope_tip = jump[(a, b)] / (b - a)
            res.checks.append(band(f"{scen}_nonlinear", f"{LABELS[scen]}: steepest slope of stress / mean slope over "
                                   f"complex_share {xs[0]:g}-{xs[-1]:g}", Stat(slope_tip / slope_all, slope_tip / slope_all,
                                                                               slope_tip / slope_all, 1),
                                   2.0, np.inf, "at least 2 (a tipping point, not a straight line)", fmt=".2f"))
            above = [x for x in xs if x >= b - 1e-9]
            off = {"scenario": scen, "stress_turnover": 0.0}
            per = []
            for x in above:
                s_on = per_seed(df, "crisis_events.sum", {**on, "complex_share": x})
                s_off = per_seed(df, "crisis_events.sum", {**off, "complex_share": x})
                per.append((s_on - s_off) / s_off)
            loop = Stat.of(pd.concat(per, axis=1).mean(axis=1).to_numpy())
            res.checks.append(direction(f"{scen}_loop_amplifies", f"{LABELS[scen]}: crises with the stress->leaving link "
                                        f"vs cut, relative, mean over complex_share >= {b:g}", loop, +1, False,
                                        fmt=".3f"))
            res.checks.append(info(f"{scen}_stress_without_link", f"{LABELS[scen]}: at complex_share {b:g}, staff stress "
                                   "with the link minus without", paired(df, st, {**off, "complex_share": b},
                                                                         {**on, "complex_share": b}), fmt=".2f"))
    _figure_p08(ctx, res, df)


def _figure_p08(ctx, res, df):
    from hls_abm.sweep import load_series

    scens = list(dict.fromkeys(df["scenario"]))
    links = sorted(df["stress_turnover"].unique())
    fig, ax = new_figure(3, w=4.5, h=3.6)
    xs = sorted(df["complex_share"].unique())
    for scen in scens:
        for link in links:
            ls = "-" if link > 0 else ":"
            lab = f"{LABELS[scen]}" + ("" if link > 0 else ", stress->leaving link cut")
            where = {"scenario": scen, "stress_turnover": link}
            line_ci(ax[0, 0], xs, [stat(df, "staff_stress.mean_last_52", {**where, "complex_share": x}) for x in xs],
                    lab, COLOURS[scen], ls)
            line_ci(ax[0, 1], xs, [stat(df, "staff_turnover.mean_last_52", {**where, "complex_share": x}) for x in xs],
                    lab, COLOURS[scen], ls)
    ax[0, 0].set(xlabel="share of citizens with complex needs", ylabel="staff stress (year 5)", ylim=(0, 1.05),
                 title="stress tips over a narrow range of demand")
    ax[0, 1].set(xlabel="share of citizens with complex needs", ylabel="leavers per year / staff (year 5)",
                 title="turnover follows stress")
    ax[0, 0].legend(fontsize=7)
    s = load_series(df.attrs["dir"], columns=["staff_stress"])
    s = s[np.isclose(s["stress_turnover"], links[-1])]
    a = ax[0, 2]
    tips = res.notes or {}
    for scen in scens:
        pair = tips.get(f"{scen}_tipping") or ([0.2, 0.3] if scen == "npm" else [0.25, 0.3])
        for k, x in enumerate(pair):
            g = s[(s["scenario"] == scen) & np.isclose(s["complex_share"], x)]
            c = COLOURS[scen]
            for j, (_, r) in enumerate(g.groupby("seed")):
                a.plot(r["week"], r["staff_stress"], color=c, lw=1.0, alpha=0.9,
                       ls="-" if k else ":", label=f"{LABELS[scen]}, complex_share {x:g}" if j == 0 else None)
    a.set(xlabel="week", ylabel="staff stress (staff-weighted over teams)", ylim=(0, 1.05),
          title="each seed, either side of the steepest step")
    a.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.suptitle(f"Pattern 8: the workload-turnover spiral ({df['seed'].nunique()} seeds, 1,000 citizens; 95% CI)")
    save(fig, ctx.out / "p08_turnover_spiral.png", res)


@pattern("p09_transition_jcurve", 9, "Prevention and transition follow a J-curve",
         "Switching from NPM to local teams costs more at first and pays back later, with a lag.",
         "S004 L447-450 ('it is likely to take a while before a cashable return is generated'); S004 L609, L873",
         reuses="transition_jcurve")
def p09_transition_jcurve(ctx: Ctx, res: Result) -> None:
    import transition_jcurve as ex
    from hls_abm.sweep import load_series
    from hls_abm.sweep.analysis import series_twin_difference

    # The dip of the J is shallow (about 1-2% of a year's cost): fewer than ~10 paired seeds cannot
    # tell it from noise, so the small version is the full one (20 runs, a few seconds).
    spec = spec_of(EXPERIMENTS / "transition_jcurve.toml")
    df = ctx.sweep(spec)
    s = load_series(df.attrs["dir"], columns=["total_cost"])
    cum = series_twin_difference(s, "total_cost", "npm", "transition", cumulative=True)
    last = int(cum["week"].max())
    at = lambda w: Stat.of(cum[cum["week"] == w].set_index("seed")["total_cost"].to_numpy())  # noqa: E731
    be = ex.break_even_week(cum)
    npm_year = s[(s["scenario"] == "npm") & (s["week"] <= 52)].groupby("seed")["total_cost"].sum()
    peak = cum[(cum["week"] > 52) & (cum["week"] <= 156)].groupby("seed")["total_cost"].max()
    w = load_series(df.attrs["dir"], columns=["mean_wellbeing"])
    wdiff = series_twin_difference(w, "mean_wellbeing", "npm", "transition")
    wdip = wdiff[(wdiff["week"] > 52) & (wdiff["week"] <= 156)].groupby("seed")["mean_wellbeing"].min()
    res.checks += [
        direction("costs_more_first", "transition - NPM, highest cumulative whole-system cost after the switch starts "
                  "(weeks 53-156), EUR", Stat.of(peak.to_numpy()), +1, False, fmt="si"),
        direction("pays_back", f"transition - NPM, cumulative whole-system cost at week {last} (EUR)", at(last), -1,
                  False, fmt="si"),
        band("lag", "break-even week (cumulative difference below 0 from then on; the switch runs weeks 53-104)",
             Stat.of(be.to_numpy()), 53, last, "after the switch starts (a lag), within the run", fmt=".0f"),
        band("seeds_break_even", "share of seeds that break even", Stat.of([float(be.notna().mean())]), 0.8, 1.0,
             "at least 80% of seeds", fmt=".2f"),
        band("lag_two_years", "break-even week", Stat.of(be.to_numpy()), 156, np.inf,
             "at least 2 years after the switch starts (S004: 'a while before a cashable return', 'a huge "
             "investment'; reorganisations bring 'two to three years' of paralysis)", kind="limit", fmt=".0f"),
        info("depth", "highest cumulative excess cost / NPM's year-1 whole-system cost",
             Stat.of((peak / npm_year.loc[peak.index]).to_numpy()), fmt=".3f"),
        info("cum_104", "transition - NPM, cumulative whole-system cost at week 104 (EUR)", at(104), fmt="si"),
        direction("wellbeing_dip", "transition - NPM, lowest mean-wellbeing difference in weeks 53-156 (a J in "
                  "wellbeing too)", Stat.of(wdip.to_numpy()), -1, False, kind="info", fmt=".4f"),
    ]
    png, csv = ex.figure(df.attrs["dir"])
    adopt_figure(png, res, ctx.out / "p09_transition_jcurve.png")
    res.tables.append(str(csv))
    if not ctx.small:
        _transition_costs(ctx, res, ex)


def _transition_costs(ctx: Ctx, res: Result, ex) -> None:
    """How the J-curve depends on how staff move: redeployment and redundancy pay."""
    from hls_abm.sweep import load_series
    from hls_abm.sweep.analysis import series_twin_difference

    df = ctx.sweep(spec_of(HERE / "transition_costs.toml"))
    s = load_series(df.attrs["dir"], columns=["total_cost"])
    cum = series_twin_difference(s, "total_cost", "npm", "transition", cumulative=True)
    npm_year = s[(s["scenario"] == "npm") & (s["week"] <= 52)].groupby(["point_id", "seed"])["total_cost"].sum()
    points = df.drop_duplicates("point_id").set_index("point_id")[["redeploy_share", "redundancy_weeks"]]
    rows = []
    for pid, (rd, rw) in points.sort_values(["redeploy_share", "redundancy_weeks"]).iterrows():
        g = cum[cum["point_id"] == pid]
        be = ex.break_even_week(g)
        peak = g[(g["week"] > 52) & (g["week"] <= 156)].groupby("seed")["total_cost"].max()
        depth = peak / npm_year.loc[pid].loc[peak.index]
        rows.append({"redeploy_share": rd, "redundancy_weeks": rw, "break_even_week": be.mean(),
                     "depth": depth.mean()})
        tag = f"redeploy {rd:g}, redundancy {rw:g} weeks"
        res.checks.append(info(f"be_r{rd:g}_w{rw:g}", f"{tag}: break-even week", Stat.of(be.to_numpy()), fmt=".0f"))
        res.checks.append(info(f"depth_r{rd:g}_w{rw:g}", f"{tag}: highest cumulative excess cost / NPM's year-1 cost",
                               Stat.of(depth.to_numpy()), fmt=".3f"))
    pd.DataFrame(rows).to_csv(ctx.out / "p09_transition_costs.csv", index=False)
    res.tables.append(str(ctx.out / "p09_transition_costs.csv"))


@pattern("p10_cost_concentration", 10, "Costs are concentrated",
         "A small share of citizens (those with complex needs) accounts for a large share of cost; the cost "
         "distribution is heavy-tailed.",
         "Bramley, Fitzpatrick et al. 2015 (Hard Edges); AHRQ MEPS (~5% of people, ~50% of health spending)")
def p10_cost_concentration(ctx: Ctx, res: Result) -> None:
    sm = ctx.small
    n, steps, seeds = (1000, 156, [2000, 2001]) if sm else (2000, 260, list(range(2000, 2005)))
    scens = ["npm"] if sm else ["npm", "local_teams"]
    runs = ctx.direct(_cost_run, [(s, seed, n, steps) for s in scens for seed in seeds])
    rows = []
    for r in runs:
        rows.append({"scenario": r["scenario"], "seed": r["seed"], **concentration(r["cost"], r["is_complex"])})
    df = pd.DataFrame(rows)
    df.to_csv(ctx.out / "p10_cost_concentration.csv", index=False)
    res.tables.append(str(ctx.out / "p10_cost_concentration.csv"))
    npm = {"scenario": "npm"}
    res.checks += [
        band("complex_multiple", "NPM: complex-needs citizens' share of cost / their share of the population",
             stat(df, "complex_multiple", npm), 2.0, np.inf, "at least 2 (a small group, a large share)", fmt=".2f"),
        band("top10", "NPM: share of 5-year cost attributed to the costliest 10% of citizens", stat(df, "top10", npm),
             0.4, 1.0, "at least 40%", fmt=".2f"),
        band("heavy_tail", "NPM: share of cost of the costliest 1% of users (cost > 0) / the same share for an "
             "exponential distribution with the same mean", stat(df, "tail_vs_exp", npm), 1.5, np.inf,
             "at least 1.5 (heavier-tailed than exponential)", kind="limit", fmt=".2f"),
        band("meps_top5", "NPM: share of cost of the costliest 5% of citizens", stat(df, "top5", npm), 0.4, 0.6,
             "MEPS ~50%, +-10 points", kind="limit", fmt=".2f"),
    ]
    for scen in scens:
        for col, what in (("top1", "costliest 1%"), ("top5", "costliest 5%"), ("top20", "costliest 20%"),
                          ("gini", "Gini"), ("tail_vs_exp", "top-1% users' share / exponential's"),
                          ("complex_share_of_cost", "complex-needs citizens' share of cost"),
                          ("complex_share_of_pop", "complex-needs citizens' share of population")):
            res.checks.append(info(f"{scen}_{col}", f"{LABELS[scen]}: {what}", stat(df, col, {"scenario": scen}),
                                   fmt=".2f"))
    _figure_p10(ctx, res, runs, df, n, steps)


def concentration(cost: np.ndarray, is_complex: np.ndarray) -> dict:
    """Concentration of per-citizen cost: top shares, Gini, the complex-needs group's share, tail weight."""
    from hls_abm.metrics import gini

    n = cost.size
    s = np.sort(cost)[::-1]
    tot = s.sum()
    top = lambda q: float(s[: max(1, int(round(q * n)))].sum() / tot)  # noqa: E731
    users = s[s > 0]
    k = max(1, int(round(0.01 * users.size)))
    top_users = users[:k].sum() / users.sum()
    exp_top = 0.01 * (1 + np.log(1 / 0.01))  # top-1% share of an exponential distribution
    cx_cost = float(cost[is_complex].sum() / tot)
    return {"top1": top(0.01), "top5": top(0.05), "top10": top(0.10), "top20": top(0.20), "gini": gini(cost),
            "zero_share": float((cost == 0).mean()), "complex_share_of_cost": cx_cost,
            "complex_share_of_pop": float(is_complex.mean()), "complex_multiple": cx_cost / float(is_complex.mean()),
            "top1_users": float(top_users), "tail_vs_exp": float(top_users / exp_top),
            "mean_over_median": float(cost.mean() / max(np.median(cost), 1e-9))}


def _figure_p10(ctx, res, runs, df, n, steps):
    fig, ax = new_figure(3, w=4.3, h=3.7)
    a = ax[0, 0]
    a.plot([0, 1], [0, 1], color="0.5", lw=0.8, ls=":", label="equal shares")
    for scen in dict.fromkeys(r["scenario"] for r in runs):
        for k, r in enumerate(x for x in runs if x["scenario"] == scen):
            c = np.sort(r["cost"])[::-1]
            a.plot(np.arange(1, c.size + 1) / c.size, np.cumsum(c) / c.sum(), color=COLOURS[scen], lw=0.9,
                   alpha=0.7, label=LABELS[scen] if k == 0 else None)
    a.plot([0.05], [0.5], "k*", ms=9, label="MEPS: 5% of people, ~50% of spending")
    a.set(xlabel="share of citizens (costliest first)", ylabel="share of 5-year attributed cost",
          title="concentration curve (each seed)", xlim=(0, 1), ylim=(0, 1.01))
    a.legend(fontsize=7, loc="lower right")
    a = ax[0, 1]
    for scen in dict.fromkeys(r["scenario"] for r in runs):
        c = np.concatenate([r["cost"] for r in runs if r["scenario"] == scen])
        c = np.sort(c[c > 0])
        ccdf = 1 - np.arange(c.size) / c.size
        a.loglog(c / c.mean(), ccdf, color=COLOURS[scen], lw=1.2, label=f"{LABELS[scen]} (users, cost > 0)")
    x = np.logspace(-2, 1.2, 100)
    a.loglog(x, np.exp(-x), color="0.4", ls="--", lw=1, label="exponential, same mean")
    a.set(xlabel="cost / mean cost of users", ylabel="share of users with at least this cost", ylim=(1e-4, 1.1),
          title="the tail (log-log)")
    a.legend(fontsize=7, loc="lower left")
    a = ax[0, 2]
    scens = list(dict.fromkeys(df["scenario"]))
    for i, scen in enumerate(scens):
        pop = stat(df, "complex_share_of_pop", {"scenario": scen}).mean
        cost = stat(df, "complex_share_of_cost", {"scenario": scen}).mean
        a.bar(i - 0.2, pop, 0.38, color="0.7", label="share of citizens" if i == 0 else None)
        a.bar(i + 0.2, cost, 0.38, color=COLOURS[scen], label="share of cost" if i == 0 else None)
        a.text(i + 0.2, cost + 0.02, f"{cost:.0%}", ha="center", fontsize=8)
        a.text(i - 0.2, pop + 0.02, f"{pop:.0%}", ha="center", fontsize=8)
    a.set_xticks(range(len(scens)), [LABELS[s] for s in scens])
    a.set(ylim=(0, 1), ylabel="share", title="citizens with complex needs")
    a.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Pattern 10: cost concentration (cost attributed per citizen over {steps} weeks, {n:,} citizens, "
                 f"{df['seed'].nunique()} seeds)")
    save(fig, ctx.out / "p10_cost_concentration.png", res)


@pattern("p11_community", 11, "Community ties multiply help",
         "Strengthening the community lowers demand under both systems.",
         "S004 L450 ('a robust community able to deal with low-level need without resorting to government services'); "
         "S000; Holt-Lunstad et al. 2010")
def p11_community(ctx: Ctx, res: Result) -> None:
    spec = spec_of(HERE / "community_demand.toml")
    sm = ctx.small
    if sm:
        spec = shrink(spec, parameters={"community_strength": [0.2, 0.8]}, steps=156)
    df = ctx.sweep(spec)
    df["requests.sum"] = df["value_demand.sum"] - df["outreach.sum"]  # first requests people make themselves
    xs = sorted(df["community_strength"].unique())
    lo, hi = xs[0], xs[-1]
    for scen in ("npm", "local_teams"):
        b, a = {"scenario": scen, "community_strength": lo}, {"scenario": scen, "community_strength": hi}
        for col, what in (("contacts.sum", "contacts (all demand)"),
                          ("requests.sum", "first requests people make (value demand less outreach)"),
                          ("crisis_events.sum", "crisis events")):
            res.checks.append(direction(f"{scen}_{col.split('.')[0]}", f"{LABELS[scen]}: {what}, community "
                                        f"{lo:g} -> {hi:g}, relative change",
                                        paired(df, col, b, a, lambda x, y: (y - x) / x), -1, sm, fmt=".2f"))
        res.checks.append(info(f"{scen}_outreach", f"{LABELS[scen]}: people found by outreach, community {lo:g} -> "
                               f"{hi:g}, change", paired(df, "outreach.sum", b, a), fmt=".0f"))
        if not sm:
            means = [stat(df, "contacts.sum", {"scenario": scen, "community_strength": x}).mean for x in xs]
            steps_down = int(sum(m2 < m1 for m1, m2 in zip(means, means[1:])))
            res.checks.append(info(f"{scen}_monotone", f"{LABELS[scen]}: steps of community strength at which contacts "
                                   f"fall ({steps_down} of {len(xs) - 1})", Stat(steps_down, steps_down, steps_down, 1),
                                   fmt=".0f", passed=steps_down == len(xs) - 1))
    _figure_p11(ctx, res, df)


def _figure_p11(ctx, res, df):
    xs = sorted(df["community_strength"].unique())
    fig, ax = new_figure(3, w=4.3, h=3.5)
    for k, (col, what) in enumerate((("contacts.sum", "contacts with services"), ("crisis_events.sum", "crisis events"),
                                     ("mean_wellbeing.mean_last_52", "mean wellbeing, year 5"))):
        for scen in ("npm", "local_teams"):
            line_ci(ax[0, k], xs, [stat(df, col, {"scenario": scen, "community_strength": x}) for x in xs],
                    LABELS[scen], COLOURS[scen])
        ax[0, k].set(xlabel="community strength", title=what, ylim=(0, None))
        ax[0, k].axvline(0.5, color="0.5", lw=0.8, ls=":")
    ax[0, 0].legend(fontsize=8)
    fig.suptitle(f"Pattern 11: community strength and demand ({df['seed'].nunique()} paired seeds, 1,000 citizens, "
                 f"{int(df['steps'].iloc[0])} weeks; 95% CI; dotted: default)")
    save(fig, ctx.out / "p11_community.png", res)


# --------------------------------------------------------------------------------------------
# extras: where NPM does as well, and what the conclusions depend on
# --------------------------------------------------------------------------------------------
@pattern("npm_regions", 12, "Where NPM does as well as or better than local teams",
         "There are regions of parameter space where NPM costs no more than local teams (the model is not built to "
         "make local teams win everywhere).",
         "S000/S002 (NPM works for transactional services); issue 5", extra=True)
def npm_regions(ctx: Ctx, res: Result) -> None:
    spec = spec_of(HERE / "npm_regions.toml")
    sm = ctx.small
    if sm:
        spec = shrink(spec, parameters={"complex_share": [0.0], "community_strength": [0.8], "budget_factor": [1.0],
                                        "specialist_edge": [0.0]})
    df = ctx.sweep(spec)
    keys = ["complex_share", "community_strength", "budget_factor", "specialist_edge"]
    rows = []
    for vals, _ in df.groupby(keys):
        where = dict(zip(keys, vals))
        c = paired(df, "total_cost.sum", {"scenario": "npm", **where}, {"scenario": "local_teams", **where},
                   lambda a, b: (b - a) / a)
        w = paired(df, "mean_wellbeing.mean_last_52", {"scenario": "npm", **where}, {"scenario": "local_teams", **where})
        p10 = paired(df, "p10_wellbeing.mean_last_52", {"scenario": "npm", **where},
                     {"scenario": "local_teams", **where})
        rows.append({**where, "cost_rel": c.mean, "cost_lo": c.lo, "cost_hi": c.hi, "wb": w.mean, "wb_lo": w.lo,
                     "wb_hi": w.hi, "p10_wb": p10.mean})
    tab = pd.DataFrame(rows)
    tab.to_csv(ctx.out / "npm_regions.csv", index=False)
    res.tables.append(str(ctx.out / "npm_regions.csv"))
    point = {"complex_share": 0.0, "community_strength": 0.8, "budget_factor": 1.0, "specialist_edge": 0.0}
    res.checks.append(direction("npm_cheaper_simple_strong", "simple needs only, strong community (0.8): 5-year cost, "
                                "(local - NPM) / NPM", paired(df, "total_cost.sum", {"scenario": "npm", **point},
                                                              {"scenario": "local_teams", **point},
                                                              lambda a, b: (b - a) / a), +1, sm, fmt=".3f"))
    if not sm:
        as_good = tab[tab["cost_rel"] >= 0]
        res.notes["cost_as_good"] = as_good[keys + ["cost_rel", "wb"]].round(3).to_dict("records")
        res.notes["wellbeing_as_good"] = tab[tab["wb"] <= 0][keys + ["cost_rel", "wb"]].round(3).to_dict("records")
        res.checks.append(info("points_cost_as_good", f"design points where NPM costs no more than local teams "
                               f"(of {len(tab)})", Stat(len(as_good), len(as_good), len(as_good), 1), fmt=".0f"))
        res.checks.append(info("points_wb_as_good", f"design points where NPM wellbeing is at least as high "
                               f"(of {len(tab)})", Stat((tab['wb'] <= 0).sum(), (tab['wb'] <= 0).sum(),
                                                        (tab['wb'] <= 0).sum(), 1), fmt=".0f"))
        _figure_regions(ctx, res, tab)
        wb = ctx.sweep(spec_of(HERE / "npm_wellbeing_search.toml"))
        for lt in sorted(wb["local_threshold"].unique()):
            for o in sorted(wb["outreach_share"].unique()):
                w = {"local_threshold": lt, "outreach_share": o}
                d = paired(wb, "mean_wellbeing.mean_last_52", {"scenario": "npm", **w}, {"scenario": "local_teams", **w})
                c = paired(wb, "total_cost.sum", {"scenario": "npm", **w}, {"scenario": "local_teams", **w},
                           lambda a, b: (b - a) / a)
                res.checks.append(info(f"wb_search_lt{lt:g}_o{o:g}", "simple needs, NPM threshold 0.25, no target "
                                       f"pressure, specialist edge 1.0; local_threshold {lt:g}, outreach_share {o:g}: "
                                       f"year-5 wellbeing, local - NPM (cost {c.mean:+.1%})", d, fmt=".3f",
                                       passed=d.mean <= 0))


def _figure_regions(ctx, res, tab):
    import matplotlib.colors as mcolors

    combos = [(cm, se) for cm in sorted(tab["community_strength"].unique()) for se in sorted(tab["specialist_edge"].unique())]
    fig, ax = new_figure(len(combos), 2, w=3.3, h=2.9)
    xs = sorted(tab["complex_share"].unique())
    ys = sorted(tab["budget_factor"].unique())
    for j, (cm, se) in enumerate(combos):
        t = tab[np.isclose(tab["community_strength"], cm) & np.isclose(tab["specialist_edge"], se)]
        for i, (col, lim, lab) in enumerate((("cost_rel", 0.4, "cost"), ("wb", 0.06, "wellbeing"))):
            grid = t.pivot_table(index="budget_factor", columns="complex_share", values=col).reindex(index=ys, columns=xs)
            a = ax[i, j]
            a.grid(False)
            a.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="RdBu_r" if col == "cost_rel" else "RdBu",
                          norm=mcolors.TwoSlopeNorm(0, -lim, lim))
            for yi, y in enumerate(ys):
                for xi, x in enumerate(xs):
                    v = grid.loc[y, x]
                    good = v >= 0 if col == "cost_rel" else v <= 0
                    a.text(xi, yi, f"{v:+.0%}" if col == "cost_rel" else f"{v:+.3f}", ha="center", va="center",
                           fontsize=7, fontweight="bold" if good else "normal",
                           color="white" if abs(v) > 0.6 * lim else "black")
            a.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
            a.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
            a.set_title(f"{lab}: community {cm:g}, specialist edge {se:g}", fontsize=8)
            if i == 1:
                a.set_xlabel("complex share")
            if j == 0:
                a.set_ylabel("budget factor")
    fig.suptitle("Local teams - NPM over 5 years (top: cost, relative; bottom: wellbeing in year 5); "
                 "red/bold: NPM as good or better; 3 paired seeds", fontsize=10)
    save(fig, ctx.out / "npm_regions.png", res)


@pattern("sensitivity", 13, "What the conclusions depend on (Sobol)",
         "Variance-based sensitivity of total cost and wellbeing, and of the local-teams advantage.",
         "Saltelli et al. 2010; SALib", reuses="sobol_drivers", extra=True)
def sensitivity(ctx: Ctx, res: Result) -> None:
    import sobol_drivers as ex
    from _common import quick_spec

    spec = spec_of(EXPERIMENTS / "sobol_drivers.toml")
    if ctx.small:
        spec = quick_spec(spec)
        spec["experiment"]["name"] = "sobol_drivers-small"
    df = ctx.sweep(spec)
    png, csv = ex.figure(df.attrs["dir"])
    adopt_figure(png, res, ctx.out / "sensitivity.png")
    res.tables.append(str(csv))
    si = pd.read_csv(csv)
    res.notes["sobol"] = si.round(3).to_dict("records")
