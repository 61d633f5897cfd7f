"""Where NPM does as well as or better than local teams."""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework import HERE, Ctx, Result, Stat, direction, info, paired, pattern, relative
from figures import new_figure, save


#: The small version of the sweep (keywords of ``shrink``).
SMALL = dict(
    parameters={"complex_share": [0.0], "community_strength": [0.8], "budget_factor": [1.0], "specialist_edge": [0.0]},
)


@pattern("npm_regions", 12, "Where NPM does as well as or better than local teams",
         "There are regions of parameter space where NPM costs no more than local teams (the model is not built to "
         "make local teams win everywhere).",
         "S000/S002 (NPM works for transactional services); issue 5", extra=True, key="npm_cheaper_simple_strong")
def npm_regions(ctx: Ctx, res: Result) -> None:
    df = ctx.sweep(HERE / "npm_regions.toml", small=SMALL)
    sm = ctx.small
    keys = ["complex_share", "community_strength", "budget_factor", "specialist_edge"]
    rows = []
    for vals, _ in df.groupby(keys):
        where = dict(zip(keys, vals))
        c = paired(df, "total_cost.sum", {"scenario": "npm", **where}, {"scenario": "local_teams", **where},
                   relative)
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
                                                              relative), +1, sm, fmt=".3f"))
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
        wb = ctx.sweep(HERE / "npm_wellbeing_search.toml")
        for lt in sorted(wb["local_threshold"].unique()):
            for o in sorted(wb["outreach_share"].unique()):
                w = {"local_threshold": lt, "outreach_share": o}
                d = paired(wb, "mean_wellbeing.mean_last_52", {"scenario": "npm", **w}, {"scenario": "local_teams", **w})
                c = paired(wb, "total_cost.sum", {"scenario": "npm", **w}, {"scenario": "local_teams", **w},
                           relative)
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
