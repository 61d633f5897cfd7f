"""Teams and their staff: capacity, workload, stress, sickness, turnover and recruitment.

Both service systems are made of teams (Mesa agents) whose numeric state lives
in one ``TeamTable`` of arrays. Staff are counted in full-time equivalents and
flow between being in post, leaving and being recruited as expected values, so
a two-person team does not jump about by whole people.

The reinforcing loop: caseload above capacity raises stress; stress brings
sickness absence and turnover; both cut capacity; new staff are less effective
for a while (Munro 2011; Lane, Munro & Husemann 2016; S004).
"""

from __future__ import annotations

import mesa
import numpy as np

from .._util import bincount
from ..params import DOMAINS

NPM, LOCAL = 0, 1
KIND_NAMES = ("npm", "local_teams")

#: Team identity. The TeamTable holds the NPM silos first, one per life domain (a silo's index is
#: its domain's index), then one local team per neighbourhood (index N_SILOS + neighbourhood).
N_SILOS = len(DOMAINS)
NOVICE_EFFECTIVENESS = 0.5  # how effective a new staff member is while ramping up (assumption)
STRESS_FREE_LOAD = 0.85  # load below which work causes no stress (assumption; Munro 2011)
STRESS_LOAD_SPAN = 0.6  # load above STRESS_FREE_LOAD at which stress is full (assumption)
STRESS_ADJUST = 0.1  # weekly share of the way stress moves to its target (assumption)
TARGET_STRESS = 0.3  # stress added at full target pressure (assumption; Munro 2011)
STRESSED_RECRUITING = 0.5  # how much harder a fully stressed team finds it to recruit (assumption)
MAX_OVERHEAD_SHARE = 0.5  # the overhead ratchet stops here: half the budget (assumption, far above any reported share)
WAITING_LOAD = 0.2  # weight of the waiting list's hours in a team's felt load (assumption)


def is_silo(team):
    """Whether team index ``team`` (a number or an array; -1 for none) is an NPM silo."""
    return (team >= 0) & (team < N_SILOS)


def is_local_team(team):
    """Whether team index ``team`` (a number or an array; -1 for none) is a local team."""
    return team >= N_SILOS


def local_team_of(neighbourhood):
    """The index of the local team that serves ``neighbourhood``."""
    return N_SILOS + neighbourhood


def novice_share(teams: "TeamTable") -> np.ndarray:
    """Share of each team's staff still ramping up (0 for a team with no staff)."""
    return np.where(teams.staff > 0, teams.novices / np.maximum(teams.staff, 1e-9), 0.0)

#: Share of an NPM budget each specialist silo gets (assumption, roughly the
#: spread of demand across health, money, housing, loneliness and substance services).
SILO_BUDGET_SHARE = np.array([0.22, 0.22, 0.16, 0.16, 0.10, 0.14])


class TeamTable:
    """State of every team as arrays: NPM silos first (one per domain), then local teams.

    Who writes what: this module writes the staffing columns (establishment, staff, novices,
    stress, sickness, capacity, hires, leavers, pay and overhead); ``cases`` writes the hours
    asked and used (case_demand, wait_demand, hours_used); the service systems book front-door
    hours through ``book_front_door``; ``local_teams`` alone writes the local-team practice
    (closure_bar, outreach, recurrence, patch_crises).
    """

    def __init__(self, n_neighbourhoods: int):
        nd = N_SILOS
        t = nd + n_neighbourhoods
        self.n = t
        self.silos = slice(0, nd)
        self.local = slice(nd, t)
        self.kind = np.array([NPM] * nd + [LOCAL] * n_neighbourhoods)
        self.domain = np.array(list(range(nd)) + [-1] * n_neighbourhoods)
        self.neighbourhood = np.array([-1] * nd + list(range(n_neighbourhoods)))
        z = lambda: np.zeros(t)  # noqa: E731
        self.establishment = z()  # funded FTE
        self.n_teams = np.ones(t)  # self-managing teams a local patch's staff form (1 for a silo)
        self.budget_share = np.zeros(t)  # share of the NPM budget each silo holds (0 for local teams)
        self.budget_share[:nd] = SILO_BUDGET_SHARE
        self.npm_fte = 0.0  # FTE the whole NPM budget funds
        self.overhead_extra = 0.0  # NPM overhead share above its base, from the overhead ratchet
        self.managing_share = z()  # share of hours a team spends managing itself
        self.agency = z()  # agency FTE covering vacancies this week
        self.staff = z()  # FTE in post
        self.novices = z()  # FTE still ramping up
        self.stress = z()
        self.sickness = z()  # share of hours lost
        self.capacity = z()  # client-facing hours available this week
        self.frontdoor = z()  # hours spent on contacts, assessments, referrals, outreach this week
        self.case_demand = z()  # hours the open cases need this week
        self.wait_demand = z()  # hours the waiting list would need
        self.hours_used = z()
        self.hires = z()
        self.leavers = z()
        self.pay_per_hour = z()  # pay per staff hour: all-in cost per hour less overhead
        self.overhead_share = z()
        # local-team practice, adapted by the learning loop
        self.closure_bar = z()
        self.outreach = z()
        self.recurrence = z()  # smoothed share of closed cases that came back
        self.patch_crises = z()  # smoothed crises among people the team did not know

    def open_front_door(self) -> None:
        """A new week: no front-door hours spent yet."""
        self.frontdoor[:] = 0.0

    def book_front_door(self, team: np.ndarray, hours_each: float) -> None:
        """Front-door work (contacts, assessments, referrals) of ``hours_each`` per entry of ``team``."""
        self.frontdoor += bincount(team, minlength=self.n) * hours_each

    def book_front_door_hours(self, team: np.ndarray, hours: np.ndarray) -> None:
        """Front-door work of ``hours[i]`` at ``team[i]``."""
        self.frontdoor += bincount(team, hours, self.n)

    def backlog(self, team: np.ndarray) -> np.ndarray:
        """Last week's waiting-list hours over capacity, for each of ``team``: what gatekeeping tightens on."""
        return self.wait_demand[team] / np.maximum(self.capacity[team], 1e-9)

    @property
    def load(self) -> np.ndarray:
        """Work asked of each team relative to the hours it has (1 = exactly full)."""
        demand = self.frontdoor + self.case_demand + WAITING_LOAD * self.wait_demand
        return np.where(self.capacity > 0, demand / np.maximum(self.capacity, 1e-9), 0.0)


def set_establishment(teams: TeamTable, params: dict, citizens_npm: int, nb_sizes_local: np.ndarray) -> None:
    """Funded staff from the budget: equal money per citizen in either system.

    The staff a budget buys depends on the all-in cost per hour (KPMG's figures are a provider's whole
    cost per hour, its overhead included); a team's pay per hour is that cost less its overhead share.
    """
    b = params["budget_per_citizen"] * params["budget_factor"]
    hours = params["staff_hours"]
    nd = N_SILOS
    npm_pay = params["npm_cost_per_hour"] * (1 - params["npm_overhead_share"])
    npm_share = params["npm_overhead_share"] + teams.overhead_extra  # the ratchet's overhead comes out of posts
    npm_fte = b * citizens_npm * (1 - npm_share) / (npm_pay * hours)
    teams.npm_fte = npm_fte
    teams.establishment[:nd] = npm_fte * teams.budget_share[:nd]
    lt_fte = b * nb_sizes_local / (params["local_cost_per_hour"] * hours)
    # A neighbourhood funded for more than one team's worth has several teams (Buurtzorg splits a team
    # that grows past its cap): every euro buys staff, and the number of teams follows.
    teams.establishment[nd:] = lt_fte
    teams.n_teams[nd:] = np.ceil(lt_fte / params["team_max_staff"])
    teams.pay_per_hour[:nd] = npm_pay
    teams.pay_per_hour[nd:] = params["local_cost_per_hour"] * (1 - params["local_overhead_share"])
    teams.overhead_share[:nd] = npm_share
    teams.overhead_share[nd:] = params["local_overhead_share"]
    teams.managing_share[nd:] = params["self_management_share"]


def answered_at_front_door(teams: TeamTable, team: np.ndarray, hours_each: np.ndarray, share: float,
                           order: np.ndarray) -> np.ndarray:
    """Which contacts a team's front door answers this week: at most ``share`` of its hours go to the
    front door; contacts are answered in ``order`` (lowest first) while hours last. Returns a mask."""
    free = np.maximum(share * teams.capacity - teams.frontdoor, 0.0)
    if team.size == 0:
        return np.zeros(0, bool)
    by = np.lexsort((order, team))
    t_o, h_o = team[by], hours_each[by]
    csum = np.cumsum(h_o)
    first = np.r_[0, np.nonzero(np.diff(t_o))[0] + 1]
    start = np.repeat(csum[first] - h_o[first], np.diff(np.r_[first, t_o.size]))
    ok = np.zeros(team.size, bool)
    ok[by] = csum - start <= free[t_o]
    return ok


def ratchet_overhead(teams: TeamTable, params, kpi: float) -> None:
    """Markets, Managers, Metrics (S004): once a year NPM's overhead share is set to its base plus
    ``overhead_ratchet`` x the share of targets missed (1 - the reported KPI); the extra overhead is paid
    for out of the silos' funded posts (the budget stays the same)."""
    old = params["npm_overhead_share"] + teams.overhead_extra
    teams.overhead_extra = params["overhead_ratchet"] * max(0.0, 1.0 - kpi)
    new = min(params["npm_overhead_share"] + teams.overhead_extra, MAX_OVERHEAD_SHARE)
    teams.overhead_extra = new - params["npm_overhead_share"]
    teams.overhead_share[teams.silos] = new
    teams.npm_fte *= (1 - new) / (1 - old)
    teams.establishment[teams.silos] = teams.npm_fte * teams.budget_share[teams.silos]


def follow_queues(teams: TeamTable, params) -> None:
    """NPM silo budgets follow their queues with a lag: each silo's share of the NPM budget moves
    towards its share of the hours asked of the silos (open cases and waiting list)."""
    weeks = params["budget_follow_weeks"]
    silos = teams.silos
    asked = teams.case_demand[silos] + teams.wait_demand[silos]
    if weeks <= 0 or asked.sum() <= 0:
        return
    share = teams.budget_share[silos]
    share += (asked / asked.sum() - share) / weeks
    teams.establishment[silos] = teams.npm_fte * share


def staff_up(teams: TeamTable, which: np.ndarray, novice: bool) -> float:
    """Fill the establishment of ``which`` teams at once (at start, or a new team). Returns FTE hired."""
    gap = np.maximum(teams.establishment[which] - teams.staff[which], 0.0)
    teams.staff[which] += gap
    if novice:
        teams.novices[which] += gap
    return float(gap.sum())


def redeploy(teams: TeamTable, to: np.ndarray, share: float) -> float:
    """Move ``share`` of the staff above establishment elsewhere into the vacancies of the ``to``
    teams, as far as there are vacancies; they arrive as novices in their new team's practice.
    Returns the FTE moved."""
    surplus = np.maximum(teams.staff - teams.establishment, 0.0)
    surplus[to] = 0.0
    vacancies = np.maximum(teams.establishment[to] - teams.staff[to], 0.0)
    moved = min(share * surplus.sum(), vacancies.sum())
    if moved <= 0.0:
        return 0.0
    out = surplus * (moved / surplus.sum())
    share = novice_share(teams)
    teams.staff -= out
    teams.novices = np.maximum(teams.novices - out * share, 0.0)
    arriving = vacancies * (moved / vacancies.sum())
    teams.staff[to] += arriving
    teams.novices[to] += arriving
    return float(moved)


def update_capacity(teams: TeamTable, params: dict) -> None:
    """Client-facing hours this week: staff in post, less sickness, novices half as effective, less the
    hours self-managing teams spend managing themselves; plus agency staff covering vacancies."""
    teams.agency = params["agency_cover"] * np.maximum(teams.establishment - teams.staff, 0.0)
    own = teams.staff * (1 - teams.sickness) * (1 - NOVICE_EFFECTIVENESS * novice_share(teams))
    teams.capacity = (own + teams.agency) * params["staff_hours"] * (1 - teams.managing_share)


def update_staff(teams: TeamTable, params: dict, target_pressure: np.ndarray) -> float:
    """Stress, sickness, turnover, redundancy, recruitment and ramp-up for one week.

    Returns the week's one-off staff costs: recruitment and redundancy pay."""
    # Stress follows load above ~85% of capacity, and target pressure (Munro 2011).
    over = np.clip((teams.load - STRESS_FREE_LOAD) / STRESS_LOAD_SPAN, 0.0, 1.0)
    target = np.clip(over + TARGET_STRESS * target_pressure, 0.0, 1.0)
    teams.stress += STRESS_ADJUST * (target - teams.stress)
    teams.sickness = params["stress_sickness"] * teams.stress
    leave_p = params["base_turnover"] + params["stress_turnover"] * teams.stress
    teams.leavers = teams.staff * leave_p
    share = novice_share(teams)
    teams.staff -= teams.leavers
    teams.novices -= teams.leavers * share
    # Posts cut (a budget cut, neighbourhoods switched away): leavers are not replaced and the
    # staff above the establishment run down over the notice period, working and paid meanwhile;
    # each FTE made redundant costs redundancy pay.
    excess = np.maximum(teams.staff - teams.establishment, 0.0)
    redundant = excess / params["notice_weeks"]  # notice_weeks >= 1
    teams.staff -= redundant
    teams.novices = np.minimum(teams.novices, teams.staff)
    weekly_pay = params["staff_hours"] * teams.pay_per_hour
    redundancy_cost = float((redundant * weekly_pay).sum() * params["redundancy_weeks"])
    # Vacancies are filled over time; recruiting is harder for a stressed team.
    vacancies = np.maximum(teams.establishment - teams.staff, 0.0)
    teams.hires = vacancies / params["recruitment_weeks"] * (1 - STRESSED_RECRUITING * teams.stress)
    teams.staff += teams.hires
    teams.novices += teams.hires
    teams.novices -= teams.novices / params["ramp_up_weeks"]
    return float(teams.hires.sum() * params["recruitment_cost"]) + redundancy_cost


def shed_surplus(teams: TeamTable) -> None:
    """Staff above the establishment go at once, at no cost (a modelling device, not a policy:
    used when the local-teams world takes over from the shared warm-up)."""
    teams.staff = np.minimum(teams.staff, teams.establishment)
    teams.novices = np.minimum(teams.novices, teams.staff)


class Team(mesa.Agent):
    """A service team: an NPM specialist silo or a self-managing local team; a view onto the TeamTable."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def _t(self) -> TeamTable:
        return self.model.world.teams

    @property
    def kind(self) -> str:
        return KIND_NAMES[self._t.kind[self.index]]

    @property
    def name(self) -> str:
        t = self._t
        if t.kind[self.index] == NPM:
            return f"{DOMAINS[t.domain[self.index]]} silo"
        return f"local team {t.neighbourhood[self.index]}"

    @property
    def staff(self) -> float:
        return float(self._t.staff[self.index])

    @property
    def establishment(self) -> float:
        return float(self._t.establishment[self.index])

    @property
    def stress(self) -> float:
        return float(self._t.stress[self.index])

    @property
    def caseload(self) -> int:
        """Open cases (citizens) held by this team."""
        return self.model.cases.caseload(self.index)

    def step(self) -> None:  # pragma: no cover - teams are updated together
        """Teams act together through the service modules each week."""
