"""Scenario discovery: under which conditions does each service system win?

Every design point and seed of a sweep ran in both twin worlds (same people, network and
life events), so each (point, seed) pair says which system won there. PRIM (the Patient
Rule Induction Method of Friedman & Fisher 1999, as used for scenario discovery by Bryant &
Lempert 2010; here EMA Workbench's ``ema_workbench.analysis.prim``) then looks for *boxes*:
ranges of a few parameters inside which one system wins in most pairs.

A box is read with three numbers:

* **coverage**: the share of all the pairs a system won that fall inside the box;
* **density**: the share of the pairs inside the box that the system won;
* **mass**: the share of all pairs inside the box;

and, per restricting parameter, a quasi-p value (a one-sided binomial test of whether that
restriction matters; Bryant & Lempert 2010). PRIM peels the space step by step, trading
coverage for density; the *peeling trajectory* lists every box on the way. We choose the box
with the highest coverage whose density reaches ``min_density`` (default 0.8, EMA Workbench
2's default threshold), fewer restrictions breaking ties.

"Winning" is an :class:`Outcome` (``OUTCOMES``; ``parse_outcome``). The default,
``dominates``, is strict: a system wins a pair when it is cheaper over the run (its total
cost is below ``threshold`` x the other's, threshold 1) *and* its people are no worse off
(year-5 mean wellbeing at least the other's). In a pair where one system is cheaper and the
other gives better wellbeing neither wins. Each system is tried as the winner in turn, so
PRIM finds where local teams win and, separately, where NPM wins.

    >>> from hls_abm.sweep.discovery import discover, write_discovery
    >>> d = discover("results/scenario_discovery")           # or a results DataFrame
    >>> print(d.markdown())
    >>> write_discovery("results/scenario_discovery")       # CSV, markdown and PNG in DIR/analysis

``hls-abm analyse DIR --discover [--outcome NAME --threshold X --min-density D]`` does the
same from the command line. See docs/sweeps.md, "Scenario discovery".
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hls_abm.palette import BOTH_COLOUR, WORLD_SHORT, scenario_colour

from .analysis import twin_pairs
from .frames import factor_columns, results_frame

__all__ = [
    "OUTCOMES",
    "COST",
    "WELLBEING",
    "MIN_PAIRS",
    "DiscoveryError",
    "Outcome",
    "Box",
    "Discovery",
    "parse_outcome",
    "discovery_pairs",
    "discover",
    "write_discovery",
]

#: The cost and wellbeing outputs the named outcomes compare (summary columns of a sweep).
COST = "total_cost.sum"
WELLBEING = "mean_wellbeing.mean_last_52"

#: The fewest paired (point, seed) runs PRIM is run on: with fewer, a box of mass 0.05 is one pair.
MIN_PAIRS = 20

#: Named outcomes: when the candidate system W wins a pair against the other system L.
#: ``lower:COLUMN`` and ``higher:COLUMN`` take any summary output of the sweep.
OUTCOMES: dict[str, str] = {
    "dominates": f"W is cheaper ({COST} of W < threshold x L's, default 1) and no worse off "
                 f"({WELLBEING} of W >= L's)",
    "cheaper": f"{COST} of W < threshold x L's (default 1)",
    "better": f"{WELLBEING} of W - L's > threshold (default 0)",
    "cost_per_wellbeing": f"cost per unit of wellbeing ({COST} / {WELLBEING}) of W < threshold x L's (default 1)",
    "lower:COLUMN": "COLUMN of L - COLUMN of W > threshold (default 0): W lower by more than threshold",
    "higher:COLUMN": "COLUMN of W - COLUMN of L > threshold (default 0): W higher by more than threshold",
}
_RATIO = {"dominates", "cheaper", "cost_per_wellbeing"}  # threshold is a ratio (> 0, default 1)


class DiscoveryError(ValueError):
    """Scenario discovery cannot run on this input; the message names the field and what is allowed."""


@dataclass(frozen=True)
class Outcome:
    """When a system wins a twin pair: a named rule (``OUTCOMES``) and its threshold."""

    name: str
    threshold: float

    @property
    def kind(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def columns(self) -> list[str]:
        """The summary outputs the rule reads."""
        if ":" in self.name:
            return [self.name.split(":", 1)[1]]
        return {"dominates": [COST, WELLBEING], "cheaper": [COST], "better": [WELLBEING],
                "cost_per_wellbeing": [COST, WELLBEING]}[self.name]

    def describe(self, winner: str = "W", other: str = "L") -> str:
        """The rule in words, with the threshold filled in."""
        t = f"{self.threshold:g}"
        col = self.columns[0]
        w, o = WORLD_SHORT.get(winner, winner), WORLD_SHORT.get(other, other)
        return {
            "dominates": f"{w} cheaper ({COST} < {t} x {_pos(o)}) and wellbeing no worse ({WELLBEING} >= {_pos(o)})",
            "cheaper": f"{_pos(w)} {COST} < {t} x {_pos(o)}",
            "better": f"{_pos(w)} {WELLBEING} exceeds {_pos(o)} by more than {t}",
            "cost_per_wellbeing": f"{_pos(w)} cost per unit of wellbeing < {t} x {_pos(o)}",
            "lower": f"{_pos(w)} {col} below {_pos(o)} by more than {t}",
            "higher": f"{_pos(w)} {col} above {_pos(o)} by more than {t}",
        }[self.kind]

    def wins(self, get_w, get_l) -> np.ndarray:
        """Boolean array: where W wins. ``get_w(column)`` / ``get_l(column)`` return W's / L's values."""
        t = self.threshold
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind in ("dominates", "cheaper"):
                won = get_w(COST) < t * get_l(COST)
                if self.kind == "dominates":
                    won &= get_w(WELLBEING) >= get_l(WELLBEING)
            elif self.kind == "better":
                won = get_w(WELLBEING) - get_l(WELLBEING) > t
            elif self.kind == "cost_per_wellbeing":
                won = get_w(COST) / get_w(WELLBEING) < t * (get_l(COST) / get_l(WELLBEING))
            elif self.kind == "lower":
                won = get_l(self.columns[0]) - get_w(self.columns[0]) > t
            else:
                won = get_w(self.columns[0]) - get_l(self.columns[0]) > t
        return np.asarray(won, dtype=bool)


def parse_outcome(name: str = "dominates", threshold: float | None = None) -> Outcome:
    """Check an outcome name and threshold; raise :class:`DiscoveryError` naming what is allowed."""
    allowed = ", ".join(OUTCOMES)
    if not isinstance(name, str):
        raise DiscoveryError(f"outcome={name!r} is unknown: expected one of {allowed}")
    kind, _, col = name.partition(":")
    if kind not in {k.split(":")[0] for k in OUTCOMES} or (kind in ("lower", "higher")) != bool(col):
        raise DiscoveryError(f"outcome={name!r} is unknown: expected one of {allowed}")
    ratio = kind in _RATIO
    if threshold is None:
        threshold = 1.0 if ratio else 0.0
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        t = math.nan
    if isinstance(threshold, bool) or not math.isfinite(t) or (ratio and t <= 0):
        need = "a ratio > 0 (default 1)" if ratio else "a finite number (default 0)"
        raise DiscoveryError(f"threshold={threshold!r} is not allowed for outcome {name!r}: expected {need}")
    return Outcome(name, t)


# --------------------------------------------------------------------------------------------
# the pairs: one row per design point and seed, with who won


def discovery_pairs(results, outcome: Outcome | str = "dominates", a: str = "npm", b: str = "local_teams",
                    factors=None, min_pairs: int = MIN_PAIRS) -> pd.DataFrame:
    """One row per paired (point, seed): the factors, the outputs the outcome reads in both
    worlds (``<output>|<a>``, ``<output>|<b>``), and ``wins|<b>`` / ``wins|<a>`` (booleans).

    ``attrs["factors"]`` are the swept numeric factors PRIM may restrict. Raises
    :class:`DiscoveryError` when a system is missing, an output is missing, no factor varies
    or there are fewer than ``min_pairs`` pairs.
    """
    outcome = parse_outcome(outcome) if isinstance(outcome, str) else outcome
    df = results_frame(results)
    if "status" in df:
        df = df[df["status"] == "ok"]
    have = sorted(set(df["scenario"])) if "scenario" in df and len(df) else []
    missing = [s for s in (a, b) if s not in have]
    if missing:
        raise DiscoveryError(f"scenarios: discovery compares {a!r} and {b!r} on the same seeds, but this store "
                             f"has no successful runs of {', '.join(map(repr, missing))} (it has {have or 'none'})")
    cols = [c for c in outcome.columns if c not in df.columns]
    if cols:
        outs = [c for c in df.columns if "." in c and pd.api.types.is_numeric_dtype(df[c])
                and c not in set(factor_columns(df))]
        raise DiscoveryError(f"outcome {outcome.name!r} needs the summary output {cols[0]!r}, which this sweep "
                             f"did not keep; its outputs: {', '.join(sorted(outs)) or 'none'}")
    factors = list(factors) if factors is not None else [c for c in factor_columns(df) if c in df.columns]
    pairs = twin_pairs(df, a, b, outputs=outcome.columns)
    numeric = [f for f in factors if f in pairs and pd.api.types.is_numeric_dtype(pairs[f])
               and not pd.api.types.is_bool_dtype(pairs[f]) and pairs[f].nunique() > 1]
    if not numeric:
        raise DiscoveryError(f"factors: PRIM needs at least one swept numeric parameter that varies; "
                             f"this sweep has {factors or 'none'}")
    keep = np.ones(len(pairs), dtype=bool)
    for c in outcome.columns:
        for s in (a, b):
            keep &= np.isfinite(pairs[f"{c}|{s}"].to_numpy(dtype=float))
    pairs = pairs[keep].reset_index(drop=True)
    if len(pairs) < min_pairs:
        raise DiscoveryError(f"runs: PRIM needs at least {min_pairs} paired (design point, seed) runs of both "
                             f"{a!r} and {b!r}; this store has {len(pairs)}: run a bigger sweep")
    for w, lose in ((b, a), (a, b)):
        pairs[f"wins|{w}"] = outcome.wins(lambda c, s=w: pairs[f"{c}|{s}"].to_numpy(dtype=float),
                                          lambda c, s=lose: pairs[f"{c}|{s}"].to_numpy(dtype=float))
    out = pairs[["point_id", "seed", *numeric, *[c for c in pairs.columns if "|" in c]]].copy()
    out.attrs.update(factors=numeric, outcome=outcome, compare=(a, b))
    return out


# --------------------------------------------------------------------------------------------
# PRIM


@dataclass
class Box:
    """One box PRIM found for one winner: its limits and statistics, and the peeling trajectory."""

    winner: str
    number: int  # 1, 2, ... in the order PRIM found them
    limits: pd.DataFrame  # parameter, low, high, range_low, range_high, qp_low, qp_high
    coverage: float
    density: float
    mass: float
    n: int  # pairs inside
    wins: int  # pairs inside that the winner won
    trajectory: pd.DataFrame  # id, coverage, density, mass, res_dim, n, k (EMA Workbench's)
    chosen: int  # row of the trajectory that is this box

    @property
    def restricted(self) -> list[str]:
        return list(self.limits["parameter"])

    def describe(self) -> str:
        """One line: the ranges, then coverage / density / mass."""
        parts = [f"{r.parameter} in [{_num(r.low)}, {_num(r.high)}]" for r in self.limits.itertuples()]
        where = " and ".join(parts) or "everywhere in the sampled ranges"
        return (f"{WORLD_SHORT.get(self.winner, self.winner)} win where {where} "
                f"(coverage {self.coverage:.2f}, density {self.density:.2f}, mass {self.mass:.2f}, n={self.n})")


@dataclass
class Discovery:
    """The result of :func:`discover`: the pairs, the boxes, and what was asked."""

    pairs: pd.DataFrame
    outcome: Outcome
    compare: tuple[str, str]
    min_density: float
    max_qp: float | None = 0.05
    boxes: list[Box] = field(default_factory=list)
    trajectories: dict = field(default_factory=dict)  # winner -> trajectories of every PRIM pass
    misses: dict = field(default_factory=dict)  # winner -> why no (further) box was found

    @property
    def factors(self) -> list[str]:
        return list(self.pairs.attrs["factors"])

    def base_rate(self, winner: str) -> float:
        """Share of all pairs that ``winner`` won."""
        return float(self.pairs[f"wins|{winner}"].mean())

    def table(self) -> pd.DataFrame:
        """One row per box and restricting parameter (a box with no restriction: one row, parameter empty)."""
        rows = []
        for bx in self.boxes:
            base = {"winner": bx.winner, "box": bx.number, "coverage": bx.coverage, "density": bx.density,
                    "mass": bx.mass, "n_in_box": bx.n, "wins_in_box": bx.wins, "restricted": len(bx.limits),
                    "base_rate": self.base_rate(bx.winner), "outcome": self.outcome.name,
                    "threshold": self.outcome.threshold, "min_density": self.min_density}
            lims = bx.limits.to_dict("records") or [{"parameter": "", "low": np.nan, "high": np.nan,
                                                     "range_low": np.nan, "range_high": np.nan,
                                                     "qp_low": np.nan, "qp_high": np.nan}]
            rows += [{**base, **lim} for lim in lims]
        cols = ["winner", "box", "parameter", "low", "high", "range_low", "range_high", "qp_low", "qp_high",
                "coverage", "density", "mass", "n_in_box", "wins_in_box", "restricted", "base_rate", "outcome",
                "threshold", "min_density"]
        return pd.DataFrame(rows, columns=cols)

    def trajectory_table(self) -> pd.DataFrame:
        """Every PRIM pass's peeling trajectory, with the winner, the pass and whether the row was chosen."""
        parts = [t for ts in self.trajectories.values() for t in ts]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def markdown(self) -> str:
        """A readable report: what winning means, the base rates, and each box as a table."""
        a, b = self.compare
        n_pts = self.pairs["point_id"].nunique()
        lines = [f"Scenario discovery (PRIM, EMA Workbench) over {len(self.pairs)} paired runs "
                 f"({n_pts} design points x {self.pairs['seed'].nunique()} seeds), {len(self.factors)} parameters.",
                 "", f"Outcome `{self.outcome.name}`, threshold {self.outcome.threshold:g}; "
                 f"box chosen: the highest coverage with density >= {self.min_density:g}"
                 + (f", then restrictions with quasi-p > {self.max_qp:g} dropped while the density holds."
                    if self.max_qp is not None else "."), ""]
        for w, lose in ((b, a), (a, b)):
            lines.append(f"* {self.outcome.describe(w, lose)}: {self.base_rate(w):.0%} of pairs")
        for w in (b, a):
            lines += ["", f"### {WORLD_SHORT.get(w, w)} win", ""]
            boxes = [bx for bx in self.boxes if bx.winner == w]
            for bx in boxes:
                lines += [f"Box {bx.number}: coverage {bx.coverage:.2f}, density {bx.density:.2f}, "
                          f"mass {bx.mass:.2f} ({bx.wins} of {bx.n} pairs inside won; base rate "
                          f"{self.base_rate(w):.2f}).", ""]
                if bx.limits.empty:
                    lines += ["No restriction: the whole sampled space already reaches the density.", ""]
                    continue
                lines += ["| parameter | box low | box high | sampled range | qp (low, high) |",
                          "|---|---|---|---|---|"]
                for r in bx.limits.itertuples():
                    lines.append(f"| `{r.parameter}` | {_num(r.low)} | {_num(r.high)} | "
                                 f"{_num(r.range_low)} – {_num(r.range_high)} | {_qp(r.qp_low)}, {_qp(r.qp_high)} |")
                lines.append("")
            if w in self.misses:
                lines += [f"{'No box' if not boxes else 'No further box'}: {self.misses[w]}", ""]
        return "\n".join(lines).rstrip() + "\n"

    def plot(self, path=None):
        """Per winner: the peeling trajectory (coverage vs density) and the chosen box's limits.

        Saves a PNG and returns its path (``path``), or returns the matplotlib Figure."""
        return _plot(self, path)


def discover(results, outcome: Outcome | str = "dominates", threshold: float | None = None,
             min_density: float = 0.8, max_boxes: int = 1, peel_alpha: float = 0.05, paste_alpha: float = 0.05,
             mass_min: float = 0.05, max_qp: float | None = 0.05, a: str = "npm", b: str = "local_teams",
             factors=None, min_pairs: int = MIN_PAIRS) -> Discovery:
    """Run PRIM twice on the twin pairs of a sweep: where ``b`` wins, and where ``a`` wins.

    ``results``: a results directory or a DataFrame of :func:`hls_abm.sweep.load_results`.
    Up to ``max_boxes`` boxes per winner (PRIM's covering: each next box is looked for among
    the pairs outside the boxes found so far); a winner without a box with density at least
    ``min_density`` gets an entry in ``misses`` saying how close the trajectory came. A chosen
    box's restrictions whose quasi-p values all exceed ``max_qp`` are dropped, least significant
    first, as long as the box keeps ``min_density`` (``max_qp=None`` keeps every restriction).
    """
    outcome = parse_outcome(outcome, threshold) if isinstance(outcome, str) else outcome
    for name, v, lo, hi in (("min_density", min_density, 0.0, 1.0), ("peel_alpha", peel_alpha, 0.0, 0.5),
                            ("paste_alpha", paste_alpha, 0.0, 0.5), ("mass_min", mass_min, 0.0, 1.0)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo < v <= hi:
            raise DiscoveryError(f"{name}={v!r} is not allowed: expected a number in ({lo}, {hi}]")
    if max_qp is not None and (isinstance(max_qp, bool) or not isinstance(max_qp, int | float)
                               or not 0 < max_qp <= 1):
        raise DiscoveryError(f"max_qp={max_qp!r} is not allowed: expected a number in (0, 1], or None")
    if isinstance(max_boxes, bool) or not isinstance(max_boxes, int) or max_boxes < 1:
        raise DiscoveryError(f"max_boxes={max_boxes!r} is not allowed: expected an integer >= 1")
    pairs = discovery_pairs(results, outcome, a, b, factors=factors, min_pairs=min_pairs)
    d = Discovery(pairs, outcome, (a, b), float(min_density), max_qp)
    x = pairs[d.factors].reset_index(drop=True)
    for w in (b, a):
        _prim_boxes(d, x, pairs[f"wins|{w}"].to_numpy(dtype=int), w, max_boxes, peel_alpha, paste_alpha, mass_min,
                    max_qp)
    return d


def _prim_class():
    """EMA Workbench's Prim, imported quietly (it warns about optional extras it can do without)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from ema_workbench.analysis.prim import Prim
        except ImportError as err:
            raise DiscoveryError(f"scenario discovery needs EMA Workbench ({err}): "
                                 "pip install -e '.[calibrate]' (./dev installs it)") from None
    return Prim


def _prim_boxes(d: Discovery, x: pd.DataFrame, y: np.ndarray, winner: str, max_boxes: int,
                peel_alpha: float, paste_alpha: float, mass_min: float, max_qp: float | None) -> None:
    d.trajectories[winner] = []
    if y.sum() == 0:
        d.misses[winner] = f"{WORLD_SHORT.get(winner, winner)} won none of the {len(y)} pairs"
        return
    Prim = _prim_class()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas FutureWarnings from inside the library
        prim = Prim(x, y.copy(), peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
        for number in range(1, max_boxes + 1):
            box = prim.find_box()
            if box is None:
                d.misses[winner] = "no pairs left outside the boxes found"
                break
            traj = box.peeling_trajectory
            n_peeled = len(traj)
            ok = traj[traj["density"] >= d.min_density - 1e-12]
            if ok.empty:
                d.trajectories[winner].append(_trajectory(traj, winner, number, n_peeled, [], None))
                best = traj.loc[traj["density"].idxmax()]
                d.misses[winner] = (f"no box on PRIM's peeling trajectory reaches density {d.min_density:g}; "
                                    f"the densest has density {best['density']:.2f} at coverage "
                                    f"{best['coverage']:.2f} (lower --min-density to see it)")
                break
            i = int(ok.sort_values(["coverage", "res_dim", "density"], ascending=[False, True, False]).index[0])
            box.select(i)
            i, dropped = _drop_insignificant(prim, box, i, d.min_density, max_qp)
            traj = box.peeling_trajectory
            d.trajectories[winner].append(_trajectory(traj, winner, number, n_peeled, dropped, i))
            d.boxes.append(_box(prim, box, i, winner, number, traj))
            if int(traj.loc[i, "k"]) >= int(y.sum()):
                break  # every win is inside: nothing left to cover


def _drop_insignificant(prim, box, i: int, min_density: float, max_qp: float | None) -> tuple[int, list]:
    """Drop, one at a time and the least significant first, the restrictions whose quasi-p values
    all exceed ``max_qp``, each only if the box keeps ``min_density`` (Bryant & Lempert 2010: keep
    only the restrictions that matter). Returns the final trajectory row and the rows tried."""
    tried, kept = [], set()
    while max_qp is not None:
        lim = _box(prim, box, i, "", 0, box.peeling_trajectory).limits
        sig = lim[["qp_low", "qp_high"]].min(axis=1, skipna=True)
        weak = lim.assign(sig=sig)[(sig > max_qp) & ~lim["parameter"].isin(kept)].sort_values("sig", ascending=False)
        if weak.empty:
            break
        u = weak["parameter"].iloc[0]
        box.drop_restriction(u, i)
        j = len(box.peeling_trajectory) - 1
        tried.append((j, u))
        if box.peeling_trajectory.loc[j, "density"] < min_density - 1e-12:
            kept.add(u)  # dropping it loses too much density: keep this restriction, try the next
            box.select(i)
        else:
            i = j
    return i, tried


def _trajectory(traj: pd.DataFrame, winner: str, number: int, n_peeled: int, dropped: list, chosen) -> pd.DataFrame:
    """The peeling trajectory of one PRIM pass, each row labelled: peeled/pasted, or a restriction dropped."""
    t = traj.copy().assign(winner=winner, box=number, step="peel", chosen=False)
    for j, u in dropped:
        t.loc[j, "step"] = f"drop {u}"
    if chosen is not None:
        t.loc[chosen, "chosen"] = True
    return t


def _box(prim, box, i: int, winner: str, number: int, traj: pd.DataFrame) -> Box:
    lims, init = box.box_lims[i], prim.box_init
    qps = box.p_values[i]
    rows = []
    for p in lims.columns:
        lo, hi, r_lo, r_hi = lims[p].iloc[0], lims[p].iloc[1], init[p].iloc[0], init[p].iloc[1]
        if lo == r_lo and hi == r_hi:
            continue
        q = qps.get(p, [-1, -1])
        rows.append({"parameter": p, "low": float(lo), "high": float(hi), "range_low": float(r_lo),
                     "range_high": float(r_hi), "qp_low": float(q[0]) if q[0] >= 0 else np.nan,
                     "qp_high": float(q[1]) if q[1] >= 0 else np.nan})
    row = traj.loc[i]
    limits = pd.DataFrame(rows, columns=["parameter", "low", "high", "range_low", "range_high", "qp_low", "qp_high"])
    return Box(winner, number, limits, float(row["coverage"]), float(row["density"]), float(row["mass"]),
               int(row["n"]), int(row["k"]), traj, i)


# --------------------------------------------------------------------------------------------
# writing and drawing


def write_discovery(root, out=None, outcome: str = "dominates", threshold: float | None = None,
                    min_density: float = 0.8, max_boxes: int = 1, figures: bool = True, log=print,
                    **kwargs) -> dict:
    """Run :func:`discover` on a results directory and write, into ``out`` (default ``root/analysis``):

    * ``discovery_<outcome>.csv``: one row per box and restricting parameter;
    * ``discovery_<outcome>.md``: the readable report;
    * ``discovery_<outcome>_trajectory.csv``: every box on PRIM's peeling trajectories;
    * ``discovery_<outcome>_pairs.csv``: each (point, seed) pair, its factors and who won;
    * ``discovery_<outcome>.png``: trajectories and box limits (unless ``figures=False``).

    Everything is computed before anything is written, and each file is written to a temporary
    name and renamed: a bad input or no box at all raises :class:`DiscoveryError` and leaves
    whatever was in ``out`` as it was. Returns {name: path}.
    """
    from .store import load_results

    root = Path(root)
    if not (root / "provenance.json").is_file():
        raise DiscoveryError(f"{root} is not a sweep results directory (no provenance.json)")
    d = discover(load_results(root, status="ok"), outcome, threshold, min_density=min_density,
                 max_boxes=max_boxes, **kwargs)
    if not d.boxes:
        reasons = "; ".join(f"{WORLD_SHORT.get(w, w)}: {m}" for w, m in d.misses.items())
        raise DiscoveryError(f"no box found for either system ({reasons})")
    out = Path(out) if out else root / "analysis"
    stem = "discovery_" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in d.outcome.name)
    files = {stem: (d.table(), ".csv"), f"{stem}_trajectory": (d.trajectory_table(), ".csv"),
             f"{stem}_pairs": (d.pairs, ".csv"), f"{stem}_md": (d.markdown(), ".md")}
    fig = _plot(d, None) if figures else None
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (obj, ext) in files.items():
        path = out / ((stem if name.endswith("_md") else name) + ext)
        written[name] = _atomic(path, lambda p, o=obj: o.to_csv(p, index=False) if ext == ".csv"
                                else Path(p).write_text(o, encoding="utf-8"))
    if fig is not None:
        written[f"{stem}_png"] = _atomic(out / f"{stem}.png", lambda p: fig.savefig(p, format="png"))
    log(d.markdown())
    log(f"wrote {', '.join(str(p) for p in written.values())}")
    return written


def _atomic(path: Path, write) -> Path:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _plot(d: Discovery, path=None):
    from matplotlib.figure import Figure

    a, b = d.compare
    winners = (b, a)
    n_lim = max([len(bx.limits) for bx in d.boxes] + [1])
    fig = Figure(figsize=(12, 1.2 + 2.0 * len(winners) + 0.35 * n_lim), dpi=110, layout="constrained")
    axes = fig.subplots(len(winners), 2, squeeze=False, gridspec_kw={"width_ratios": [1, 1.5]})
    for row, w in enumerate(winners):
        colour = scenario_colour(w, row)
        _plot_trajectory(axes[row, 0], d, w, colour)
        _plot_limits(axes[row, 1], d, w, colour)
    fig.suptitle(f"Scenario discovery (PRIM): where does each system win? outcome '{d.outcome.name}', "
                 f"threshold {d.outcome.threshold:g}; {len(d.pairs)} paired runs", fontsize=10)
    if path is None:
        return fig
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def _plot_trajectory(ax, d: Discovery, w: str, colour: str) -> None:
    name = WORLD_SHORT.get(w, w)
    for t in d.trajectories.get(w, []):
        peel = t[t["step"] == "peel"]
        ax.plot(peel["coverage"], peel["density"], "-", color=colour, lw=0.8, alpha=0.6)
        sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=14, zorder=3,
                        vmin=0, vmax=max(1, int(t["res_dim"].max())))
        chosen = t[t["chosen"]]
        ax.scatter(chosen["coverage"], chosen["density"], s=110, facecolors="none", edgecolors=BOTH_COLOUR,
                   lw=1.5, zorder=4, label="chosen box")
    if d.trajectories.get(w):
        from matplotlib.ticker import MaxNLocator

        cb = ax.figure.colorbar(sc, ax=ax, label="restricted parameters", pad=0.01)
        cb.locator = MaxNLocator(integer=True)
        cb.update_ticks()
    ax.axhline(d.min_density, color="0.5", ls="--", lw=0.8, label=f"min density {d.min_density:g}")
    ax.axhline(d.base_rate(w), color=colour, ls=":", lw=0.8, label=f"base rate {d.base_rate(w):.2f}")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage (share of all its wins inside the box)")
    ax.set_ylabel("density (share won inside)")
    ax.set_title(f"{name} win: PRIM's peeling trajectory", fontsize=9)
    ax.legend(frameon=False, fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)


def _plot_limits(ax, d: Discovery, w: str, colour: str) -> None:
    name = WORLD_SHORT.get(w, w)
    boxes = [bx for bx in d.boxes if bx.winner == w]
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("position in the sampled range (0 = lowest, 1 = highest)")
    if not boxes:
        ax.text(0.5, 0.5, f"no box for {name}\n{d.misses.get(w, '')}", ha="center", va="center", fontsize=8,
                wrap=True, transform=ax.transAxes)
        ax.set_yticks([])
        ax.set_title(f"{name} win: no box", fontsize=9)
        return
    labels, y = [], 0
    for bx in boxes:
        for r in bx.limits.itertuples():
            span = (r.range_high - r.range_low) or 1.0
            lo, hi = (r.low - r.range_low) / span, (r.high - r.range_low) / span
            ax.barh(y, 1.0, left=0, color="0.92", height=0.6)
            ax.barh(y, hi - lo, left=lo, color=colour, alpha=0.85 if bx.number == 1 else 0.5, height=0.6)
            ax.text(lo, y + 0.38, _num(r.low), fontsize=7, ha="left", va="bottom")
            ax.text(hi, y + 0.38, _num(r.high), fontsize=7, ha="right", va="bottom")
            qp = np.nanmax([r.qp_low, r.qp_high]) if np.isfinite([r.qp_low, r.qp_high]).any() else np.nan
            labels.append(f"box {bx.number}: {r.parameter}" + (f"\n(qp {qp:.2g})" if np.isfinite(qp) else ""))
            y += 1
        if bx.limits.empty:
            ax.barh(y, 1.0, left=0, color=colour, alpha=0.6, height=0.6)
            labels.append(f"box {bx.number}: everywhere")
            y += 1
    ax.set_yticks(range(y), labels, fontsize=7)
    ax.set_ylim(y - 0.4, -0.6)
    stats = "; ".join(f"box {bx.number}: coverage {bx.coverage:.2f}, density {bx.density:.2f}, mass {bx.mass:.2f}"
                      for bx in boxes)
    ax.set_title(f"{name} win: box limits ({stats})", fontsize=9)
    ax.grid(axis="x", alpha=0.3)


def _num(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.3g}"


def _qp(v) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:.2g}"


def _pos(name: str) -> str:
    """English possessive of a system's short name: NPM's, Local teams'."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"
