"""At the default budget the NPM world is stretched but stationary; a cut tips it (issue 9, item 3).

Real services run for decades at roughly the same turnover, vacancy and failure-demand figures; a model
world that drifts by itself past its own tipping point disagrees with that. The balancing loops (budgets
that follow queues, gatekeeping, people who give up, agency cover, the front door's capacity) hold the
default world steady; a 20% cut takes it past the point where they can, and the workload-turnover
spiral runs on. Ten simulated years, five seeds; the tolerance (0.1 of mean staff stress, which runs
0 to 1) is the issue's own criterion.
"""

import numpy as np
import pytest

from hls_abm import HLSModel

SEEDS = (1, 2, 3, 4, 5)
YEARS = 10


def yearly_stress(seed: int, cut: float = 0.0) -> np.ndarray:
    """Mean staff stress in each of ten years; ``cut``: percent of the budget cut at the end of year 1."""
    m = HLSModel("npm", n_citizens=1000, rng=seed)
    m.run_for(52)
    if cut:
        m.apply_lever("budget_cut", percent=cut)
    m.run_for(52 * (YEARS - 1))
    s = m.metrics()["staff_stress"].to_numpy()
    return s.reshape(YEARS, 52).mean(axis=1)


@pytest.fixture(scope="module")
def default_and_cut():
    base = np.array([yearly_stress(s) for s in SEEDS])
    cut = np.array([yearly_stress(s, cut=20) for s in SEEDS])
    print("\nNPM mean staff stress by year (mean over seeds)")
    print("  default:", np.round(base.mean(axis=0), 3))
    print("  20% cut at the end of year 1:", np.round(cut.mean(axis=0), 3))
    return base, cut


def test_npm_at_the_default_budget_does_not_drift_over_ten_years(default_and_cut):
    base, _ = default_and_cut
    drift = base[:, 9].mean() - base[:, 1].mean()
    assert abs(drift) <= 0.1, f"NPM stress drifts {drift:+.3f} between year 2 and year 10"


def test_a_20_percent_cut_tips_npm_into_the_spiral(default_and_cut):
    """Tipped: after the cut the stress does not settle; it keeps rising from year 2 to year 10 by more
    than the default world's tolerance, and ends well above the default world's (every seed)."""
    base, cut = default_and_cut
    assert cut[:, 9].mean() - cut[:, 1].mean() > 0.1
    assert (cut[:, 9] > base[:, 9] + 0.1).all()
