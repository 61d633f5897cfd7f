"""Pattern 7: Targets produce gaming (Goodhart)."""

from __future__ import annotations

from hls_abm.palette import SCENARIO_COLOURS, WORLD_COLOURS

from framework import HERE, Ctx, Result, band, direction, info, paired, pattern, stat
from figures import new_figure, save, line_ci


#: The small version of the sweep (keywords of ``shrink``).
SMALL = dict(
    parameters={"target_pressure": [0.0, 1.0], "target_weeks": [8], "budget_factor": [1.5]},
)


@pattern("p07_goodhart", 7, "Targets produce gaming (Goodhart)",
         "Under target pressure the reported KPI improves while the real outcome worsens (Hood's ratchet, threshold and "
         "output-distortion effects).",
         "S004 L292-294 (Goodhart's law; gaming); Hood 2006; Bevan & Hood 2006", key="kpi_up_tight_2y")
def p07_goodhart(ctx: Ctx, res: Result) -> None:
    df = ctx.sweep(HERE / "goodhart.toml", small=SMALL)
    sm = ctx.small
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
    lev = ctx.sweep(HERE / "goodhart_lever.toml")
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
    second = SCENARIO_COLOURS["npm_cuts"]  # the palette's other NPM-like orange
    titles = {"default": "default: 16-week target, budget 1.0", "tight": "binding target, slack: 8 weeks, budget 1.5"}
    for i, (name, st) in enumerate(settings):
        a = ax[0, i]
        for col, lab, c, ls in (("reported_kpi.mean_first_104", "reported KPI, years 1-2", "0.15", "--"),
                                ("real_outcome.mean_first_104", "real outcome, years 1-2", WORLD_COLOURS["npm"], "-"),
                                ("reported_kpi.mean_last_52", "reported KPI, year 5", "0.6", "--"),
                                ("real_outcome.mean_last_52", "real outcome, year 5", second, "-")):
            line_ci(a, xs, [stat(df, col, {**st, "target_pressure": x}) for x in xs], lab, c, ls)
        a.set(xlabel="target pressure (set from the start)", ylabel="share", ylim=(0, 1.05), title=titles[name])
        a.legend(fontsize=7, loc="center right")
    a = ax[0, -1]
    s = load_series(lev.attrs["dir"], columns=["reported_kpi", "real_outcome"])
    for v, g in s.groupby("pressure.value"):
        m = g.groupby("week")[["reported_kpi", "real_outcome"]].mean()
        c = WORLD_COLOURS["npm"] if v > 0.5 else "0.5"
        a.plot(m.index, m["reported_kpi"], color=c, ls="--", label=f"reported KPI, pressure {v:g}")
        a.plot(m.index, m["real_outcome"], color=c, ls="-", label=f"real outcome, pressure {v:g}")
    a.axvline(30, color="0.3", lw=0.8, ls=":")
    a.set(xlabel="week", ylabel="share", ylim=(0, 1.05), title="defaults: pressure 0.3 -> 0.8 in week 30")
    a.legend(fontsize=7, loc="center right")
    fig.suptitle("Pattern 7: reported KPI (closed within the target weeks) vs real outcome (still resolved 13 weeks "
                 f"later), NPM, {df['seed'].nunique()} seeds; 95% CI / mean of seeds", fontsize=10)
    save(fig, ctx.out / "p07_goodhart.png", res)
