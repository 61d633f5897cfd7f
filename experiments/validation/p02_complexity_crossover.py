"""Pattern 2: Standardised silos do well for simple demand, badly for complex demand."""

from __future__ import annotations

import numpy as np

from framework import EXPERIMENTS, Ctx, Result, Stat, band, direction, info, paired, pattern, relative
from figures import adopt_example


#: The small version of the sweep (keywords of ``shrink``).
SMALL = dict(parameters={"complex_share": [0.0, 0.3], "community_strength": [0.5]})


@pattern("p02_complexity_crossover", 2, "Standardised silos do well for simple demand, badly for complex demand",
         "Standardised silos do well for simple, single-need demand and badly for complex, varied demand.",
         "S000/S002 ('except in a group of highly centralised transactional services - like renewing a passport'); "
         "S001 L49 ('NPM does not work in complex environments')", reuses="complexity_crossover",
         key="advantage_grows_cm0.5")
def p02_complexity_crossover(ctx: Ctx, res: Result) -> None:
    import complexity_crossover as ex

    df = ctx.sweep(EXPERIMENTS / "complexity_crossover.toml", small=SMALL)
    communities = sorted(df["community_strength"].unique())
    tc, wb = "total_cost.sum", "mean_wellbeing.mean_last_52"

    def rel(cs, cm):  # (local - npm) / npm, per seed
        return paired(df, tc, {"scenario": "npm", "complex_share": cs, "community_strength": cm},
                      {"scenario": "local_teams", "complex_share": cs, "community_strength": cm}, relative)

    def dwb(cs, cm):
        return paired(df, wb, {"scenario": "npm", "complex_share": cs, "community_strength": cm},
                      {"scenario": "local_teams", "complex_share": cs, "community_strength": cm})

    res.checks.append(band("simple_cost", "simple needs only (complex_share 0, community 0.5): 5-year cost, "
                           "(local - NPM) / NPM", rel(0.0, 0.5), -0.05, 0.05, "within +-5%", fmt=".3f"))
    res.checks.append(band("simple_wellbeing", "simple needs only: year-5 wellbeing, local - NPM", dwb(0.0, 0.5),
                           -0.05, 0.05, "within +-0.05", fmt=".3f"))
    for cm in communities:
        r0, r3 = rel(0.0, cm), rel(0.3, cm)
        grow = Stat.of(np.asarray(r0.values) - np.asarray(r3.values))
        res.checks.append(direction(f"advantage_grows_cm{cm:g}", f"community {cm:g}: local teams' relative cost "
                                    "advantage at complex_share 0.3 minus at 0", grow, +1, ctx.small, fmt=".3f",
                                    margin=0.1))
    if not ctx.small:
        for cm in communities:
            for cs in (0.2, 0.3, 0.45, 0.6):
                res.checks.append(direction(f"lt_cheaper_cs{cs:g}_cm{cm:g}", f"complex_share {cs:g}, community {cm:g}: "
                                            "5-year cost (local - NPM) / NPM", rel(cs, cm), -1, False, fmt=".3f"))
        for cm in communities:
            res.checks.append(info(f"simple_cost_cm{cm:g}", f"complex_share 0, community {cm:g}: 5-year cost "
                                   "(local - NPM) / NPM", rel(0.0, cm), fmt=".3f"))
            res.checks.append(info(f"simple_wb_cm{cm:g}", f"complex_share 0, community {cm:g}: year-5 wellbeing, "
                                   "local - NPM", dwb(0.0, cm), fmt=".3f"))
    adopt_example(ex, df, res, ctx.out / "p02_complexity_crossover.png")
