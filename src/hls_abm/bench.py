"""Benchmark: citizen-weeks per second, peak memory, and the speed-up over per-agent Mesa.

    python -m hls_abm.bench                 # 1k, 10k, 100k citizens, both systems
    python -m hls_abm.bench --sizes 1000 10000 --weeks 520

Each size runs in a fresh subprocess so its peak memory (max RSS) is its own.
The per-agent baseline is the same weekly citizen update written the plain Mesa
way (one ``step`` per agent, called with ``shuffle_do("step")``), timed in the
same run as the vectorized update on the same population.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import mesa
import numpy as np

from .params import validate_params
from .population import (
    COUPLING,
    COUPLING_FLOOR,
    MONEY,
    NOTICE_LEVEL,
    RESILIENCE_REGROWTH,
    Population,
)


def _one(system: str, n: int, weeks: int) -> dict:
    from .model import HLSModel

    t0 = time.perf_counter()
    m = HLSModel(system, n_citizens=n, rng=1)
    t1 = time.perf_counter()
    for _ in range(weeks):
        m.step()
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB on Linux
    return {"system": system, "citizens": n, "weeks": weeks, "build_s": t1 - t0, "run_s": t2 - t1,
            "total_s": t2 - t0, "citizen_weeks_per_s": n * weeks / (t2 - t1), "peak_rss_mib": rss}


class _PlainCitizen(mesa.Agent):
    """The weekly citizen update of ``Population.live_a_week``, one agent at a time."""

    def __init__(self, model, needs, resilience, baseline, coupling_weight, shock_weight):
        super().__init__(model)
        self.needs = list(needs)
        self.unmet = [0.0] * len(self.needs)
        self.resilience = float(resilience)
        self.baseline = float(baseline)
        self.cw = float(coupling_weight)
        self.sw = float(shock_weight)
        self.support = 0.0

    def step(self):
        p, rnd = self.model.p, self.model.random
        d = len(self.needs)
        old = self.needs[:]
        for j in range(d):
            prob = min(p["shock_rate"] * self.sw * (p["money_shock_multiplier"] if j == MONEY else 1.0), 0.95)
            u = rnd.random()
            size = -p["shock_size"] * np.log1p(-min(u / prob, 1 - 1e-9)) if u < prob else 0.0
            spill = sum(max(old[k] - COUPLING_FLOOR, 0.0) * COUPLING[k, j] for k in range(d)) * p["coupling_strength"] * self.cw
            ent = min(self.unmet[j] / p["entrenchment_weeks"], 1.0)
            resp = 1.0 / (1.0 + p["entrenchment_cost"] * ent)
            unmet = old[j] > NOTICE_LEVEL
            esc = p["escalation_rate"] * (1 - self.resilience) * (1 + ent) if unmet else 0.0
            rec = p["recovery_rate"] * self.resilience * (1 + self.support) * old[j] * resp
            x = old[j] + size + spill * (1 - old[j]) + esc * (1 - old[j]) - rec
            self.needs[j] = min(max(x, 0.0), 1.0)
            self.unmet[j] = self.unmet[j] + 1 if unmet else max(self.unmet[j] - 2, 0.0)
        if max(self.needs) < NOTICE_LEVEL:
            self.resilience += RESILIENCE_REGROWTH * max(self.baseline - self.resilience, 0.0)


class _PlainModel(mesa.Model):
    def __init__(self, pop: Population, p: dict):
        super().__init__(rng=1)
        self.p = p
        for i in range(pop.n):
            _PlainCitizen(self, pop.needs[i], pop.resilience[i], pop.baseline_resilience[i],
                          pop.coupling_weight[i], pop.shock_weight[i])

    def step(self):
        self.agents.shuffle_do("step")


def per_agent_speedup(n: int = 2000, weeks: int = 20) -> dict:
    """Time the weekly citizen update vectorized vs one Mesa agent at a time, same population."""
    p = validate_params("npm", n_citizens=n)
    pop = Population(n, p, np.random.default_rng(1))
    plain = _PlainModel(pop, p)
    rng = np.random.default_rng(2)
    in_case = np.zeros_like(pop.needs, bool)
    t0 = time.perf_counter()
    for _ in range(weeks):
        pop.live_a_week(p, rng.random(pop.needs.shape), in_case)
    vec = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(weeks):
        plain.step()
    per_agent = time.perf_counter() - t0
    return {"citizens": n, "weeks": weeks, "vectorized_s": vec, "per_agent_s": per_agent, "speedup": per_agent / vec}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--weeks", type=int, default=520)
    ap.add_argument("--systems", nargs="+", default=["npm", "local_teams"])
    ap.add_argument("--one", nargs=3, metavar=("SYSTEM", "N", "WEEKS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one[0], int(args.one[1]), int(args.one[2]))))
        return 0
    print(f"{'system':<12} {'citizens':>9} {'weeks':>6} {'build s':>8} {'run s':>8} {'total s':>8} "
          f"{'citizen-weeks/s':>16} {'peak MiB':>9}")
    rows = []
    for n in args.sizes:
        for system in args.systems:
            out = subprocess.run([sys.executable, "-m", "hls_abm.bench", "--one", system, str(n), str(args.weeks)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout)
            rows.append(r)
            print(f"{r['system']:<12} {n:>9} {r['weeks']:>6} {r['build_s']:>8.2f} {r['run_s']:>8.2f} {r['total_s']:>8.2f} "
                  f"{r['citizen_weeks_per_s']:>16,.0f} {r['peak_rss_mib']:>9.0f}")
    by = {(r["system"], r["citizens"]): r["run_s"] for r in rows}
    for system in args.systems:
        sizes = sorted(n for (s, n) in by if s == system)
        if len(sizes) >= 2:
            a, b = sizes[0], sizes[-1]
            print(f"linearity {system}: run time x{by[(system, b)] / by[(system, a)]:.1f} for citizens x{b / a:.0f}")
    s = per_agent_speedup()
    print(f"\nper-agent Mesa shuffle_do('step') vs vectorized citizen update ({s['citizens']} citizens, "
          f"{s['weeks']} weeks, same run): {s['per_agent_s']:.2f} s vs {s['vectorized_s']:.3f} s "
          f"-> {s['speedup']:.0f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
