"""The patterns E1-E5 at the calibrated default parameters, over 5 seeds.

1,000 citizens, 5 simulated years after the shared warm-up. Each assertion is on
the mean over seeds, with the per-seed spread checked where the claim is about
direction, so one unlucky seed cannot make or break a pattern.

The calibration of issue 9 (docs/calibration.md) made the default NPM world stationary and
less stretched than before. Three claims of the first release no longer hold at the defaults
and are stated here where they do hold, or dropped with the reason (docs/validation.md):
NPM contacts no longer rise (that was the drift); local teams no longer contact more people
than NPM in their first quarter (outreach is smaller and costs its search); and the cuts
paradox needs silos that are already stretched (budget_factor 0.7), not the default budget.
"""

import os

import numpy as np
import pytest

from hls_abm import HLSModel

SEEDS = range(5)
N = 1000
#: Every world the tests below read, as (scenario, weeks, parameters): run once, on every core.
WORLDS = [
    ("npm", 260, ()), ("local_teams", 260, ()),
    ("npm", 260, (("complex_share", 0.0),)), ("local_teams", 260, (("complex_share", 0.0),)),
    ("npm", 260, (("complex_share", 0.5),)), ("local_teams", 260, (("complex_share", 0.5),)),
    ("npm", 156, (("budget_factor", 0.7),)), ("npm", 156, (("budget_factor", 0.56),)), ("npm_high_threshold", 260, ()),
]
_cache = {}


def _run(job):
    scenario, weeks, kw, seed = job
    m = HLSModel(scenario, n_citizens=N, rng=seed, **dict(kw))
    m.run_for(weeks)
    return m.metrics()


@pytest.fixture(scope="module", autouse=True)
def _all_runs():
    """The 45 runs (9 worlds x 5 seeds) in the project's process pool, once: each run is seeded,
    so the numbers are the ones a run in this process gives, in about half the time on 2 cores."""
    from hls_abm.sweep.backends import worker_pool

    jobs = [(sc, wk, kw, s) for sc, wk, kw in WORLDS for s in SEEDS]
    with worker_pool(min(2, len(os.sched_getaffinity(0)))) as ex:
        frames = list(ex.map(_run, jobs))
    for (sc, wk, kw, _), df in zip(jobs, frames):
        _cache.setdefault((sc, wk, kw), []).append(df)
    yield
    _cache.clear()


def runs(scenario, weeks=260, **kw):
    return _cache[(scenario, weeks, tuple(sorted(kw.items())))]


def service(df):
    return df.cost_staff + df.cost_support + df.cost_overhead


def each(frames, f):
    return np.array([f(d) for d in frames])


def test_E1_npm_failure_demand_is_large_and_steady():
    npm = runs("npm")
    share = each(npm, lambda d: d.failure_demand.sum() / d.contacts.sum())
    assert 0.4 < share.mean() < 0.8  # Vanguard: 40-60% in command-and-control services, 80%+ in care
    first, last = each(npm, lambda d: d.contacts.iloc[:52].mean()), each(npm, lambda d: d.contacts.iloc[-52:].mean())
    assert abs(last.mean() / first.mean() - 1) < 0.15  # a stationary world: demand neither runs away nor dies out


def test_E2_local_teams_demand_ends_below_npm_and_wellbeing_higher():
    npm, lt = runs("npm"), runs("local_teams")
    last = lambda d: d.contacts.iloc[-52:].mean()  # noqa: E731
    assert each(lt, last).mean() < each(npm, last).mean()
    wb = lambda d: d.mean_wellbeing.iloc[-52:].mean()  # noqa: E731
    assert (each(lt, wb) > each(npm, wb)).all()


def test_E3_complexity_crossover():
    def gap(share):
        npm, lt = runs("npm", complex_share=share), runs("local_teams", complex_share=share)
        cost = each(npm, lambda d: d.total_cost.iloc[-52:].sum())
        cost_lt = each(lt, lambda d: d.total_cost.iloc[-52:].sum())
        wb = each(npm, lambda d: d.mean_wellbeing.iloc[-52:].mean()).mean()
        wb_lt = each(lt, lambda d: d.mean_wellbeing.iloc[-52:].mean()).mean()
        return cost, cost_lt, wb, wb_lt

    c0, c0_lt, w0, w0_lt = gap(0.0)
    # simple single needs: the silos cost no more (within 5%) for about the same wellbeing (within 0.05)
    assert c0.mean() <= 1.05 * c0_lt.mean()
    assert abs(w0 - w0_lt) < 0.05
    c5, c5_lt, w5, w5_lt = gap(0.5)
    # The advantage grows with complexity: NPM's extra cost over local teams, as a share of theirs, is larger at
    # complex_share 0.5 than at 0 in every seed (paired), and by more than 5 points on the mean. The size is not
    # a claim of any source; the direction is (S004: standardised services suit transactional demand).
    growth = (c5 - c5_lt) / c5_lt - (c0 - c0_lt) / c0_lt
    print(f"\nE3: NPM's extra cost over local teams grows by {growth.mean():+.3f} from complex_share 0 to 0.5 "
          f"(by seed: {np.round(growth, 3)})")
    assert (growth > 0).all() and growth.mean() > 0.05
    # Wellbeing: higher under local teams at the default complexity (E2), but not at 0.5: since the calibration
    # of 2026-12-06 (budget and local intake fitted) the two systems end about level there (local - NPM about
    # -0.002 over 5 seeds). The claim holds in part of the range, and the README says where.
    print(f"E3: wellbeing at complex_share 0.5, local - NPM: {w5_lt - w5:+.4f}")
    assert abs(w5_lt - w5) < 0.02


def test_E4_cuts_paradox_where_the_silos_are_stretched():
    """A further 20% cut to silos already at 0.7 of the default budget raises whole-system cost in year 3.
    At the default budget the calibrated silos have slack and the cut saves money (docs/validation.md)."""
    base, cut = runs("npm", 156, budget_factor=0.7), runs("npm", 156, budget_factor=0.56)
    yr3 = slice(104, 156)
    assert each(cut, lambda d: service(d).iloc[yr3].sum()).mean() < each(base, lambda d: service(d).iloc[yr3].sum()).mean()
    assert each(cut, lambda d: d.cost_crisis.iloc[yr3].sum()).mean() > each(base, lambda d: d.cost_crisis.iloc[yr3].sum()).mean()
    assert each(cut, lambda d: d.total_cost.iloc[yr3].sum()).mean() > each(base, lambda d: d.total_cost.iloc[yr3].sum()).mean()


def test_E5_threshold_paradox():
    base, high = runs("npm"), runs("npm_high_threshold")
    yr1 = slice(0, 52)
    assert each(high, lambda d: service(d).iloc[yr1].sum()).mean() < each(base, lambda d: service(d).iloc[yr1].sum()).mean()
    assert each(high, lambda d: d.cost_crisis.sum()).mean() > each(base, lambda d: d.cost_crisis.sum()).mean()
    assert each(high, lambda d: d.total_cost.sum()).mean() > each(base, lambda d: d.total_cost.sum()).mean()
    wb = lambda d: d.mean_wellbeing.iloc[-52:].mean()  # noqa: E731
    assert each(high, wb).mean() < each(base, wb).mean()


def test_no_free_lunch_fewer_hours_per_client_at_a_higher_cost_per_hour():
    npm, lt = runs("npm"), runs("local_teams")
    hours = lambda d: d.staff_hours_per_client.iloc[-1]  # noqa: E731
    ratio = each(lt, hours).mean() / each(npm, hours).mean()
    # KPMG 2015: 108/168 = 0.64. The calibration meets it in year 10 (docs/calibration.md); in year 5 the
    # local teams' clients still need more of their hours (about 0.95).
    assert 0.3 < ratio < 1.0
    m = HLSModel("local_teams", n_citizens=100, rng=0, warmup_weeks=0)
    assert m.p["local_cost_per_hour"] > m.p["npm_cost_per_hour"]
