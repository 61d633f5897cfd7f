"""Pattern 4: Cuts to one silo shift cost to crisis services."""

from __future__ import annotations

import numpy as np

from hls_abm.palette import WORLD_COLOURS

from framework import (HERE, EXPERIMENTS, LABELS, Ctx, Result, Stat, direction, info, paired, pattern, relative,
                       stat)
from figures import new_figure, save, line_ci, adopt_example


#: The small version of the sweep (keywords of ``shrink``).
SMALL = dict(levers=[{"name": "budget_cut", "week": 52, "percent": [0, 20, 30]}])


@pattern("p04_cuts_paradox", 4, "Cuts to one silo shift cost to crisis services",
         "Cuts to one silo shift cost to others and to crisis services (the cuts paradox).",
         "S000 ('cutting costs in one area, gives rise to increased cost elsewhere'); S004 L145, L167",
         reuses="cuts_paradox", key="npm_total_up")
def p04_cuts_paradox(ctx: Ctx, res: Result) -> None:
    import cuts_paradox as ex

    df = ctx.sweep(EXPERIMENTS / "cuts_paradox.toml", small=SMALL)
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
        rng = ctx.sweep(HERE / "cuts_budget_range.toml")
        for bf in sorted(rng["budget_factor"].unique()):
            s = paired(rng, "total_cost.sum_from_52", {"budget_factor": bf, cut: 0}, {"budget_factor": bf, cut: 20},
                       relative)
            held = bool(s.lo > 0)
            res.checks.append(info(f"range_bf{bf:g}", f"budget_factor {bf:g}: 20% cut, relative change of years 2-5 "
                                   f"whole-system cost (paradox {'holds' if held else 'does not hold'})", s,
                                   fmt=".3f", passed=held))
        _figure_p04_range(ctx, res, rng)
    adopt_example(ex, df, res, ctx.out / "p04_cuts_paradox.png")


def _figure_p04_range(ctx, res, rng):
    cut = "budget_cut.percent"
    xs = sorted(rng["budget_factor"].unique())
    fig, ax = new_figure(2, w=4.6, h=3.5)
    for col, lab, c in (("total_cost.sum_from_52", "whole-system cost", "0.15"),
                        ("cost_crisis.sum_from_52", "crisis cost", WORLD_COLOURS["npm"])):
        line_ci(ax[0, 0], xs, [paired(rng, col, {"budget_factor": x, cut: 0}, {"budget_factor": x, cut: 20})
                               for x in xs], lab, c)
    rng = rng.assign(budget=rng["cost_staff.sum_from_52"] + rng["cost_overhead.sum_from_52"])
    line_ci(ax[0, 0], xs, [paired(rng, "budget", {"budget_factor": x, cut: 0}, {"budget_factor": x, cut: 20})
                           for x in xs], "staff + overhead (the saving)", WORLD_COLOURS["local_teams"])
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
