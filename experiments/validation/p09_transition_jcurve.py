"""Pattern 9: Prevention and transition follow a J-curve."""

from __future__ import annotations

import numpy as np
import pandas as pd

from framework import HERE, EXPERIMENTS, Ctx, Result, Stat, band, direction, info, pattern
from figures import adopt_example


@pattern("p09_transition_jcurve", 9, "Prevention and transition follow a J-curve",
         "Switching from NPM to local teams costs more at first and pays back later, with a lag.",
         "S004 L447-450 ('it is likely to take a while before a cashable return is generated'); S004 L609, L873",
         reuses="transition_jcurve", key="lag")
def p09_transition_jcurve(ctx: Ctx, res: Result) -> None:
    import transition_jcurve as ex
    from hls_abm.sweep import load_series
    from hls_abm.sweep.analysis import series_twin_difference

    # The dip of the J is shallow (about 1-2% of a year's cost): fewer than ~10 paired seeds cannot
    # tell it from noise, so the small version is the full one (20 runs, a few seconds).
    df = ctx.sweep(EXPERIMENTS / "transition_jcurve.toml")
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
             "investment'; reorganisations bring 'two to three years' of paralysis)", fmt=".0f"),  # a limit before the calibration
        info("depth", "highest cumulative excess cost / NPM's year-1 whole-system cost",
             Stat.of((peak / npm_year.loc[peak.index]).to_numpy()), fmt=".3f"),
        info("cum_104", "transition - NPM, cumulative whole-system cost at week 104 (EUR)", at(104), fmt="si"),
        direction("wellbeing_dip", "transition - NPM, lowest mean-wellbeing difference in weeks 53-156 (a J in "
                  "wellbeing too)", Stat.of(wdip.to_numpy()), -1, False, kind="info", fmt=".4f"),
    ]
    adopt_example(ex, df, res, ctx.out / "p09_transition_jcurve.png")
    if not ctx.small:
        _transition_costs(ctx, res, ex)


def _transition_costs(ctx: Ctx, res: Result, ex) -> None:
    """How the J-curve depends on how staff move: redeployment and redundancy pay."""
    from hls_abm.sweep import load_series
    from hls_abm.sweep.analysis import series_twin_difference

    df = ctx.sweep(HERE / "transition_costs.toml")
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
