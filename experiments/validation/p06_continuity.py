"""Pattern 6: Continuity and relationships lower avoidable crisis use."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hls_abm import HLSModel
from hls_abm.palette import scenario_colour
from hls_abm.services.cases import OPEN  # internal: no public accessor of the relationships (see relation_open)

from framework import HERE, LABELS, Ctx, Result, direction, info, paired, pattern, relative, stat
from figures import new_figure, save, line_ci


def _relationship_run(job) -> dict:
    """One run of the model, or of its counterfactual in which the working relationship restarts
    at 0 with every new episode, even with the same team (no continuity between episodes).

    In the model as coded, a person who comes back to the *same* team keeps the relationship:
    with the same NPM silo on the same need, with their local team on any need. The counterfactual
    forgets it whenever an episode ends (``HLSModel.forget_ended_relationships()`` after every
    week). The warm-up is the model's own, so the twin comparison stays exact up to week 0.
    """
    scenario, seed, n, steps, reset, assumptions = job
    m = HLSModel(scenario, n_citizens=n, rng=seed, assumptions=assumptions)
    if reset:
        for _ in range(steps):
            m.step()
            m.forget_ended_relationships()
    else:
        m.run_for(steps)
    d = m.metrics()
    rel = m.cases.relation[m.cases.status == OPEN]  # internal read: the relationships of the open cases
    return {"scenario": scenario, "seed": seed, "reset": reset, "assumptions": m.params["assumptions"],
            "crisis_events.sum": float(d.crisis_events.sum()),
            "total_cost.sum": float(d.total_cost.sum()),
            "mean_wellbeing.mean_last_52": float(d.mean_wellbeing.iloc[-52:].mean()),
            "relation_open": float(rel.mean()) if rel.size else float("nan")}


#: The small version of the sweep (keywords of ``shrink``).
SMALL = dict(parameters={"trust_gain": [0.0, 0.5]}, steps=156)


@pattern("p06_continuity", 6, "Continuity and relationships lower avoidable crisis use",
         "Continuity and relationships lower avoidable crisis use.",
         "S001 L162 ('Build trust ... Work on your relationships'); Haggerty et al. 2003; Pereira Gray et al. 2018",
         key="npm_continuity")
def p06_continuity(ctx: Ctx, res: Result) -> None:
    df = ctx.sweep(HERE / "continuity.toml", small=SMALL)
    sm = ctx.small
    seeds = sorted(df["seed"].unique())
    steps = int(df.attrs["spec"]["experiment"]["steps"])
    for scen in ("npm", "local_teams"):
        res.checks.append(direction(f"{scen}_relationship", f"{LABELS[scen]}: crises with trust_gain 0.5 vs 0 "
                                    "(relationship grows vs never forms), relative change",
                                    paired(df, "crisis_events.sum", {"scenario": scen, "trust_gain": 0.0},
                                           {"scenario": scen, "trust_gain": 0.5}, relative), -1, sm,
                                    fmt=".3f"))
    scens = ["npm"] if sm else ["npm", "local_teams"]
    jobs = [(s, int(seed), 1000, steps, reset, ctx.assumptions) for s in scens for seed in seeds
            for reset in (False, True)]
    rel = pd.DataFrame(ctx.direct(_relationship_run, jobs))
    rel.to_csv(ctx.out / "p06_relationship_reset.csv", index=False)
    rel["arm"] = np.where(rel["reset"], "reset", "kept")
    for scen in scens:
        s = paired(rel, "crisis_events.sum", {"scenario": scen, "arm": "kept"}, {"scenario": scen, "arm": "reset"},
                   relative)
        res.checks.append(direction(f"{scen}_continuity", f"{LABELS[scen]}: crises when the relationship restarts with "
                                    "every episode vs kept with the same team, relative change", s, +1, sm, fmt=".3f"))
        for arm in ("kept", "reset"):
            res.checks.append(info(f"{scen}_relation_{arm}", f"{LABELS[scen]}, relationship {arm}: mean relationship "
                                   "of open cases at the end", stat(rel, "relation_open", {"scenario": scen, "arm": arm}),
                                   fmt=".2f"))
    _figure_p06(ctx, res, df, rel)


def _figure_p06(ctx, res, df, rel):
    xs = sorted(df["trust_gain"].unique())
    fig, ax = new_figure(2, w=4.8, h=3.6)
    for scen in ("npm", "local_teams"):
        line_ci(ax[0, 0], xs, [stat(df, "crisis_events.sum", {"scenario": scen, "trust_gain": x}) for x in xs],
                LABELS[scen], scenario_colour(scen))
    ax[0, 0].axvline(0.08, color="0.5", lw=0.8, ls=":")
    ax[0, 0].set(xlabel="trust_gain (weekly growth of the working relationship; default 0.08)",
                 ylabel="crisis events", title="relationships: crises by how fast they grow", ylim=(0, None))
    ax[0, 0].legend(fontsize=8)
    a = ax[0, 1]
    scens = list(dict.fromkeys(rel["scenario"]))
    w = 0.38
    for i, scen in enumerate(scens):
        for j, arm in enumerate(("kept", "reset")):
            s = stat(rel, "crisis_events.sum", {"scenario": scen, "arm": arm})
            x = i + (j - 0.5) * w
            a.bar(x, s.mean, w * 0.95, color=scenario_colour(scen), alpha=1.0 if arm == "kept" else 0.45,
                  yerr=[[s.mean - s.lo], [s.hi - s.mean]], error_kw={"lw": 0.8})
            a.text(x, s.mean * 0.5, arm, ha="center", fontsize=8, color="white" if arm == "kept" else "0.1")
        d = paired(rel, "crisis_events.sum", {"scenario": scen, "arm": "kept"}, {"scenario": scen, "arm": "reset"},
                   relative)
        top = stat(rel, "crisis_events.sum", {"scenario": scen, "arm": "reset"}).hi
        a.text(i, top * 1.06, f"reset vs kept, paired:\n{d.mean:+.1%} [{d.lo:+.1%}, {d.hi:+.1%}]", ha="center",
               va="bottom", fontsize=7.5)
    a.set_ylim(0, a.get_ylim()[1] * 1.2)
    a.set_xticks(range(len(scens)), [LABELS[s] for s in scens])
    a.set(ylabel="crisis events over the run",
          title="continuity: relationship kept with the same team\nvs restarted with every episode")
    fig.suptitle(f"Pattern 6: continuity and relationships ({df['seed'].nunique()} paired seeds, 1,000 citizens, "
                 f"{int(df['steps'].iloc[0])} weeks; 95% CI)")
    save(fig, ctx.out / "p06_continuity.png", res)
