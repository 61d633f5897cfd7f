"""Pattern 8: Workload and turnover reinforce each other."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hls_abm.palette import scenario_colour

from framework import (HERE, LABELS, Ctx, Result, Stat, band, direction, info, paired, pattern, per_seed, relative,
                       select, stat)
from figures import new_figure, save, line_ci


#: The small version of the sweep (keywords of ``shrink``).
SMALL = dict(
    scenarios=["npm"],
    parameters={"complex_share": [0.2, 0.3], "stress_turnover": [0.006]},
    replicates=3,
)


@pattern("p08_turnover_spiral", 8, "Workload and turnover reinforce each other",
         "A small rise in demand can tip a stretched team into an attrition spiral.",
         "S004 L129 (Munro & Lane feedback loop); Munro 2011; Lane, Munro & Husemann 2016", key="npm_stress_jump")
def p08_turnover_spiral(ctx: Ctx, res: Result) -> None:
    df = ctx.sweep(HERE / "turnover_spiral.toml", small=SMALL)
    sm = ctx.small
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
                      paired(df, fte, lo_, hi_, relative), -1, sm, fmt=".3f"),
            info(f"{scen}_demand_rise", f"{lab}: value demand (first requests), relative change",
                 paired(df, "value_demand.sum", lo_, hi_, relative), fmt=".3f"),
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
                    lab, scenario_colour(scen), ls)
            line_ci(ax[0, 1], xs, [stat(df, "staff_turnover.mean_last_52", {**where, "complex_share": x}) for x in xs],
                    lab, scenario_colour(scen), ls)
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
            c = scenario_colour(scen)
            for j, (_, r) in enumerate(g.groupby("seed")):
                a.plot(r["week"], r["staff_stress"], color=c, lw=1.0, alpha=0.9,
                       ls="-" if k else ":", label=f"{LABELS[scen]}, complex_share {x:g}" if j == 0 else None)
    a.set(xlabel="week", ylabel="staff stress (staff-weighted over teams)", ylim=(0, 1.05),
          title="each seed, either side of the steepest step")
    a.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.suptitle(f"Pattern 8: the workload-turnover spiral ({df['seed'].nunique()} seeds, 1,000 citizens; 95% CI)")
    save(fig, ctx.out / "p08_turnover_spiral.png", res)
