"""What the conclusions depend on (Sobol)."""

from __future__ import annotations

import pandas as pd

from framework import EXPERIMENTS, Ctx, Result, pattern, spec_of
from figures import adopt_example


@pattern("sensitivity", 13, "What the conclusions depend on (Sobol)",
         "Variance-based sensitivity of total cost and wellbeing, and of the local-teams advantage.",
         "Saltelli et al. 2010; SALib", reuses="sobol_drivers", extra=True)
def sensitivity(ctx: Ctx, res: Result) -> None:
    import sobol_drivers as ex
    from _common import quick_spec

    spec = spec_of(EXPERIMENTS / "sobol_drivers.toml")
    if ctx.small:
        spec = quick_spec(spec)
        spec["experiment"]["name"] = "sobol_drivers-small"
    df = ctx.sweep(spec)
    csv = adopt_example(ex, df, res, ctx.out / "sensitivity.png")
    si = pd.read_csv(csv)
    res.notes["sobol"] = si.round(3).to_dict("records")
