"""Pattern 3: Tightening eligibility thresholds backfires."""

from __future__ import annotations

from framework import EXPERIMENTS, Ctx, Result, direction, info, paired, pattern, relative
from figures import adopt_example


#: The small version of the sweep (keywords of ``shrink``).
SMALL = dict(parameters={"eligibility_threshold": [0.5, 0.65]})


@pattern("p03_threshold_paradox", 3, "Tightening eligibility thresholds backfires",
         "Tightening eligibility thresholds cuts clients and spend in the silo and pushes demand into crisis services; "
         "total cost rises over the long run, and wellbeing falls.",
         "S004 L171 ('Higher thresholds can actually be expensive ...'); Age UK 2011; PSSRU (Forder & Fernandez)",
         reuses="threshold_paradox", key="total_up")
def p03_threshold_paradox(ctx: Ctx, res: Result) -> None:
    import threshold_paradox as ex

    df = ctx.sweep(EXPERIMENTS / "threshold_paradox.toml", small=SMALL)
    df["silo.sum"] = df["cost_staff.sum"] + df["cost_support.sum"] + df["cost_overhead.sum"]
    base, alt = {"eligibility_threshold": 0.5}, {"eligibility_threshold": 0.65}

    def rel(col):
        return paired(df, col, base, alt, relative)

    sm = ctx.small
    res.checks += [
        direction("support_down", "threshold 0.5 -> 0.65: commissioned support (follows the open caseload: clients x "
                  "weeks), relative change over 5 years", rel("cost_support.sum"), -1, sm, fmt=".3f"),
        direction("silo_down", "threshold 0.5 -> 0.65: silo spend (staff + support + overhead), relative change",
                  rel("silo.sum"), -1, sm, fmt=".3f"),
        direction("rejections_up", "threshold 0.5 -> 0.65: people turned away, relative change", rel("rejections.sum"),
                  +1, sm, fmt=".3f"),
        direction("crises_up", "threshold 0.5 -> 0.65: crisis events, relative change", rel("crisis_events.sum"), +1,
                  sm, fmt=".3f"),
        direction("total_up", "threshold 0.5 -> 0.65: whole-system cost over 5 years, relative change",
                  rel("total_cost.sum"), +1, sm, fmt=".3f"),
        direction("wellbeing_down", "threshold 0.5 -> 0.65: mean wellbeing in year 5, change",
                  paired(df, "mean_wellbeing.mean_last_52", base, alt), -1, sm, fmt=".3f"),
    ]
    if not sm:
        lo = {"eligibility_threshold": 0.3}
        res.checks.append(info("support_0.3_to_0.5", "threshold 0.3 -> 0.5: commissioned support, relative change "
                               "(below 0.5 tightening adds support: needs escalate into cases)",
                               paired(df, "cost_support.sum", lo, base, relative), fmt=".3f"))
        res.checks.append(info("total_0.3_to_0.8", "threshold 0.3 -> 0.8: whole-system cost, relative change",
                               paired(df, "total_cost.sum", lo, {"eligibility_threshold": 0.8}, relative),
                               fmt=".3f"))
    adopt_example(ex, df, res, ctx.out / "p03_threshold_paradox.png")
