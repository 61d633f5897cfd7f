"""Invariants as properties (hypothesis), over random parameters drawn within their PARAMS ranges.

Accounting identities (the cost parts sum to the total; value + failure demand = contacts),
bounds (needs, trust, resilience, wellbeing, tie strength in [0, 1]) and conservation (staff
in post changes by hires - leavers - redundancies; a team never grows past its funded
establishment, so the staffing spend stays within the budget), each in small worlds over a
few weeks with a random lever at a random week.

The model's public API gives the weekly metrics. The few internal arrays these checks need
are read only in :func:`internals`, at the top, so a rename in the model core is one edit.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hls_abm import LEVERS, PARAMS, SCENARIOS, HLSModel


def internals(m) -> dict[str, np.ndarray]:
    """Copies of the internal arrays the invariants need (the ONE place that reads model internals)."""
    pop = m.population
    tt = m.teams_table if hasattr(m, "teams_table") else m.world.teams  # renamed in the core refactor
    return {
        "needs": pop.needs.copy(),
        "trust": pop.trust.copy(),
        "resilience": pop.resilience.copy(),
        "wellbeing": pop.wellbeing.copy(),
        "tie_strength": m.community.strength.copy(),
        "staff": tt.staff.copy(),  # FTE in post, per team
        "hires": tt.hires.copy(),  # FTE recruited this week
        "leavers": tt.leavers.copy(),  # FTE who left this week
        "establishment": tt.establishment.copy(),  # funded FTE
        "pay_per_hour": tt.pay_per_hour.copy(),
        "overhead_share": tt.overhead_share.copy(),
        "params": dict(m.p),  # current parameter values (levers change some)
    }


COST_PARTS = ["cost_staff", "cost_support", "cost_overhead", "cost_crisis", "cost_investment"]
#: Parameters that set the size and structure of the world: drawn small, so each example takes a moment.
STRUCTURE = {"n_citizens", "neighbourhood_size", "ties_per_citizen", "warmup_weeks", "transition_start", "system"}
WEEKS = 10


def _value(p):
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    if p.kind == "int":
        return st.integers(int(p.low), int(p.high))
    return st.floats(p.low, p.high, allow_nan=False)


@st.composite
def worlds(draw):
    """A scenario, a random subset of parameters anywhere in their ranges, a small world, and a lever."""
    names = draw(st.sets(st.sampled_from(sorted(set(PARAMS) - STRUCTURE)), max_size=12))
    overrides = {n: draw(_value(PARAMS[n])) for n in sorted(names)}
    overrides.update(
        n_citizens=draw(st.integers(40, 160)),
        neighbourhood_size=draw(st.integers(20, 80)),
        ties_per_citizen=draw(st.integers(2, 8)),
        warmup_weeks=draw(st.integers(0, 12)),
        transition_start=draw(st.sampled_from([-1, 0, 3])),
    )
    lever = draw(st.sampled_from(sorted(LEVERS)))
    lv = LEVERS[lever]
    lever_call = (draw(st.integers(0, WEEKS - 1)), lever, {lv.arg: draw(st.floats(lv.low, lv.high, allow_nan=False))})
    return draw(st.sampled_from(sorted(SCENARIOS))), overrides, draw(st.integers(0, 2**32)), lever_call


def run(world, each_week=None):
    """Build and run a drawn world; ``each_week(m, before, after, changed_structure)`` after every week."""
    scenario, overrides, seed, (lever_week, lever, kwargs) = world
    m = HLSModel(scenario, rng=seed, **overrides)
    for week in range(WEEKS):
        if week == lever_week:
            m.apply_lever(lever, **kwargs)
        n_levers = len(m.levers_applied)
        before = internals(m)
        m.step()
        if each_week is not None:
            # a scheduled switch to local teams inside the week moves staff too: say so
            each_week(m, before, internals(m), len(m.levers_applied) != n_levers)
    return m


PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(world=worlds())
def test_accounting_identities(world):
    df = run(world).metrics()
    assert len(df) == WEEKS and np.isfinite(df.to_numpy(dtype=float)).all()
    assert (df[COST_PARTS] >= 0).all().all()
    np.testing.assert_allclose(df.total_cost, df[COST_PARTS].sum(axis=1), rtol=1e-12, atol=1e-9)
    assert (df.value_demand + df.failure_demand == df.contacts).all()
    assert (df.value_demand >= 0).all() and (df.failure_demand >= 0).all()
    np.testing.assert_allclose(df.cost_per_citizen, df.total_cost / world[1]["n_citizens"], rtol=1e-12)


@PROPERTY
@given(world=worlds())
def test_bounds(world):
    def check(m, before, after, _):
        for name in ("needs", "trust", "resilience", "wellbeing", "tie_strength"):
            arr = after[name]
            assert np.all((arr >= 0) & (arr <= 1)), f"{name} left [0, 1] in week {m.week}: {arr.min()}..{arr.max()}"

    df = run(world, check).metrics()
    for col in ("mean_wellbeing", "p10_wellbeing", "failure_demand_share", "isolated_share", "mean_tie_strength",
                "local_team_share", "mean_resilience", "staff_sickness"):
        assert df[col].between(0, 1).all(), (col, df[col].min(), df[col].max())


@PROPERTY
@given(world=worlds())
def test_staff_in_post_changes_by_hires_minus_leavers_minus_redundancies(world):
    """Per team and week: staff' = staff - leavers + hires - redundancies, with redundancies only from
    posts above the establishment, at most that excess spread over the notice period."""

    def check(m, before, after, switched):
        if switched:  # a scheduled switch staffed new teams at once (redeployment and hiring)
            return
        hires, leavers = after["hires"], after["leavers"]
        assert (hires >= -1e-12).all() and (leavers >= -1e-12).all()
        redundant = before["staff"] - leavers + hires - after["staff"]
        # the establishment in force when posts go is this week's: NPM silo budgets follow their
        # queues (the learn stage) before the staff stage, so it can differ from last week's; and
        # the week's leavers go first
        excess = np.maximum(before["staff"] - leavers - after["establishment"], 0.0)
        tol = 1e-9 * np.maximum(1.0, before["staff"])
        assert (redundant >= -tol).all(), f"staff appeared from nowhere in week {m.week}: {redundant}"
        assert (redundant <= excess / after["params"]["notice_weeks"] + tol).all(), (
            f"more staff went than leavers and redundancies allow in week {m.week}")
        # the public figures agree: staff in post, and the turnover computed from the leavers
        assert np.isclose(m.latest_metrics()["staff_fte"], after["staff"].sum())

    run(world, check)


@PROPERTY
@given(world=worlds())
def test_no_team_grows_past_its_establishment_so_staffing_stays_within_budget(world):
    """Hiring only fills vacancies: a team above its funded establishment (posts cut) only shrinks. So in a
    week with no team above its establishment, pay and its overhead stay within the budget (by design:
    set_establishment buys exactly budget_per_citizen * budget_factor per citizen of staff and overhead)."""

    def check(m, before, after, switched):
        if switched:
            return
        cap = np.maximum(before["staff"], after["establishment"])
        assert (after["staff"] <= cap * (1 + 1e-9) + 1e-12).all(), f"a team grew past its establishment in week {m.week}"
        if (after["staff"] <= after["establishment"] * (1 + 1e-9) + 1e-12).all():
            p = after["params"]
            pay = after["staff"] * p["staff_hours"] * after["pay_per_hour"]
            spend = float((pay / (1 - after["overhead_share"])).sum())
            budget = p["budget_per_citizen"] * p["budget_factor"] * p["n_citizens"]
            assert spend <= budget * (1 + 1e-9) + 1e-9, f"staffing spend {spend} over budget {budget} in week {m.week}"

    run(world, check)
