"""Pattern 11: Community ties multiply help."""

from __future__ import annotations

from hls_abm.palette import scenario_colour

from framework import HERE, LABELS, Ctx, Result, Stat, direction, info, paired, pattern, relative, stat
from figures import new_figure, save, line_ci


#: The small version of the sweep (keywords of ``shrink``).
SMALL = dict(parameters={"community_strength": [0.2, 0.8]}, steps=156)


@pattern("p11_community", 11, "Community ties multiply help",
         "Strengthening the community lowers demand under both systems.",
         "S004 L450 ('a robust community able to deal with low-level need without resorting to government services'); "
         "S000; Holt-Lunstad et al. 2010", key="npm_contacts")
def p11_community(ctx: Ctx, res: Result) -> None:
    df = ctx.sweep(HERE / "community_demand.toml", small=SMALL)
    sm = ctx.small
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
                                        paired(df, col, b, a, relative), -1, sm, fmt=".2f"))
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
                    LABELS[scen], scenario_colour(scen))
        ax[0, k].set(xlabel="community strength", title=what, ylim=(0, None))
        ax[0, k].axvline(0.5, color="0.5", lw=0.8, ls=":")
    ax[0, 0].legend(fontsize=8)
    fig.suptitle(f"Pattern 11: community strength and demand ({df['seed'].nunique()} paired seeds, 1,000 citizens, "
                 f"{int(df['steps'].iloc[0])} weeks; 95% CI; dotted: default)")
    save(fig, ctx.out / "p11_community.png", res)
