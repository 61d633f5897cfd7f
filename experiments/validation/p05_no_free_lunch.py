"""Pattern 5: No free lunch: fewer hours at a higher cost per hour."""

from __future__ import annotations

from hls_abm.palette import WORLD_COLOURS

from framework import HERE, LABELS, Ctx, Result, band, info, paired, pattern, stat
from figures import new_figure, save, line_ci


#: The small version of the sweep (keywords of ``shrink``).
SMALL = dict(parameters={"complex_share": [0.25], "crisis_cost": [7000.0]})


@pattern("p05_no_free_lunch", 5, "No free lunch: fewer hours at a higher cost per hour",
         "Local teams use far fewer hours per client at a higher cost per hour; whole-system cost is the same or lower, "
         "not dramatically lower.",
         "KPMG Plexus 2015 via Zorgvisie: 108 vs 168 hours per client per year, EUR 54.47 vs 48.74 per hour, total "
         "cost per client about average once follow-on costs are counted", key="cost_same_or_lower")
def p05_no_free_lunch(ctx: Ctx, res: Result) -> None:
    df = ctx.sweep(HERE / "no_free_lunch.toml", small=SMALL)
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
             0.8, 1.05, "at least 0.8 ('not dramatically lower'; KPMG: about average)", fmt=".2f"),  # a limit before
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
    lt = WORLD_COLOURS["local_teams"]
    ax[0, 0].axhline(108 / 168, color=lt, lw=1.2, label="KPMG 2015: 108/168 = 0.64")
    ax[0, 0].set(title="hours per client per year (year 5)", ylabel="local teams / NPM")
    ax[0, 1].axhline(54.47 / 48.74, color=lt, lw=1.2, label="KPMG 2015: 54.47/48.74 = 1.12")
    ax[0, 1].set(title="cost per client-facing hour worked", ylabel="local teams / NPM")
    ax[0, 2].axhspan(0.8, 1.05, color=lt, alpha=0.12, lw=0, label="'about average' (0.8-1.05)")
    ax[0, 2].axhline(1, color="0.3", lw=0.8, ls=":")
    ax[0, 2].set(title="whole-system cost over 5 years", ylabel="local teams / NPM", ylim=(0, 1.2))
    for a in ax[0]:
        a.set_xlabel("share of citizens with complex needs")
        a.legend(fontsize=7)
    fig.suptitle(f"Pattern 5: no free lunch (local teams / NPM, {df['seed'].nunique()} paired seeds, 1,000 citizens; "
                 "bands: 95% CI)")
    save(fig, ctx.out / "p05_no_free_lunch.png", res)
