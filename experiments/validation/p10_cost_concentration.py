"""Pattern 10: Costs are concentrated."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hls_abm import HLSModel
from hls_abm.palette import scenario_colour

from framework import LABELS, Ctx, Result, band, info, pattern, stat
from figures import new_figure, save


def _cost_run(job) -> dict:
    """Cost attributed to each citizen over a run, and who has complex needs. Both are internal
    reads of ``m.population`` (no public per-citizen accessor)."""
    scenario, seed, n, steps, assumptions = job
    m = HLSModel(scenario, n_citizens=n, rng=seed, assumptions=assumptions)
    c0 = m.population.cost.copy()  # cost attributed during the warm-up is left out
    m.run_for(steps)
    d = m.metrics()
    return {"scenario": scenario, "seed": seed, "assumptions": m.params["assumptions"], "cost": m.population.cost - c0,
            "is_complex": m.population.is_complex.copy(), "total_cost": float(d.total_cost.sum())}


@pattern("p10_cost_concentration", 10, "Costs are concentrated",
         "A small share of citizens (those with complex needs) accounts for a large share of cost; the cost "
         "distribution is heavy-tailed.",
         "Bramley, Fitzpatrick et al. 2015 (Hard Edges); AHRQ MEPS (~5% of people, ~50% of health spending)",
         key="complex_multiple")
def p10_cost_concentration(ctx: Ctx, res: Result) -> None:
    sm = ctx.small
    n, steps, seeds = (1000, 156, [2000, 2001]) if sm else (2000, 260, list(range(2000, 2005)))
    scens = ["npm"] if sm else ["npm", "local_teams"]
    runs = ctx.direct(_cost_run, [(s, seed, n, steps, ctx.assumptions) for s in scens for seed in seeds])
    rows = []
    for r in runs:
        rows.append({"scenario": r["scenario"], "seed": r["seed"], "assumptions": r["assumptions"],
                     **concentration(r["cost"], r["is_complex"])})
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
            a.plot(np.arange(1, c.size + 1) / c.size, np.cumsum(c) / c.sum(), color=scenario_colour(scen), lw=0.9,
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
        a.loglog(c / c.mean(), ccdf, color=scenario_colour(scen), lw=1.2, label=f"{LABELS[scen]} (users, cost > 0)")
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
        a.bar(i + 0.2, cost, 0.38, color=scenario_colour(scen), label="share of cost" if i == 0 else None)
        a.text(i + 0.2, cost + 0.02, f"{cost:.0%}", ha="center", fontsize=8)
        a.text(i - 0.2, pop + 0.02, f"{pop:.0%}", ha="center", fontsize=8)
    a.set_xticks(range(len(scens)), [LABELS[s] for s in scens])
    a.set(ylim=(0, 1), ylabel="share", title="citizens with complex needs")
    a.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Pattern 10: cost concentration (cost attributed per citizen over {steps} weeks, {n:,} citizens, "
                 f"{df['seed'].nunique()} seeds)")
    save(fig, ctx.out / "p10_cost_concentration.png", res)
