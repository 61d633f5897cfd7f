"""Validated parameters, scenario presets and TOML loading.

Every parameter has a range, a one-line meaning and a provenance: a seed
document (``S000``..``S004``, see ``docs/sources.md``), a published figure, or
"assumption". ``validate_params`` is the single gate every model, sweep, CLI
call and dashboard value goes through.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DOMAINS",
    "PARAMS",
    "SCENARIOS",
    "ParameterError",
    "Param",
    "validate_params",
    "load_params_toml",
    "parameter_table",
]

#: Life domains in which a citizen can have a need (order matters: arrays use it).
DOMAINS: tuple[str, ...] = (
    "physical_health",
    "mental_health",
    "money",
    "housing",
    "isolation",
    "substance_use",
)


class ParameterError(ValueError):
    """A parameter value, name or file that the model cannot accept."""


@dataclass(frozen=True)
class Param:
    """One model parameter: its default, allowed range, meaning and source."""

    name: str
    default: Any
    low: float | None = None
    high: float | None = None
    kind: str = "float"  # float | int | bool | choice
    doc: str = ""
    source: str = "assumption"
    choices: tuple = field(default_factory=tuple)

    def allowed(self) -> str:
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return f"a{'n integer' if self.kind == 'int' else ' number'} in [{self.low}, {self.high}]"

    def check(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ParameterError."""
        bad = ParameterError(f"{self.name}={value!r} is not allowed: expected {self.allowed()}")
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
                return value.lower() in ("true", "1", "yes")
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise bad
        if self.kind == "choice":
            if value in self.choices:
                return value
            raise bad
        if isinstance(value, bool):
            raise bad
        try:
            if self.kind == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise bad
                v = int(value)
            else:
                v = float(value)
        except (TypeError, ValueError):
            raise bad from None
        if v != v or not (self.low <= v <= self.high):  # NaN or out of range
            raise bad
        return v


def _p(name, default, low=None, high=None, doc="", source="assumption", kind=None, choices=()):
    if kind is None:
        kind = "bool" if isinstance(default, bool) else "int" if isinstance(default, int) else "float"
    return Param(name, default, low, high, kind, doc, source, tuple(choices))


_SPECS = [
    # --- population and community -------------------------------------------------
    _p("system", "npm", kind="choice", choices=("npm", "local_teams"),
       doc="Which service system serves the neighbourhoods at the start.",
       source="issue 2; S000/S002 (NPM) and S000/S001 (Buurtzorg, HLS)"),
    _p("n_citizens", 1000, 20, 2_000_000, doc="Number of citizens.", source="user choice"),
    _p("complex_share", 0.25, 0.0, 1.0,
       doc="Share of citizens with complex (several interacting) needs; the rest have simple single needs.",
       source="assumption; S001 describes a complex-needs cohort within a wider population"),
    _p("simple_coupling", 0.15, 0.0, 1.0,
       doc="How strongly the needs of a citizen with a simple need interact, relative to a complex-needs citizen (1.0).",
       source="assumption: a single need in an otherwise stable life stays contained (S000: passports vs complex lives)"),
    _p("neighbourhood_size", 500, 20, 20_000, doc="Citizens per neighbourhood (one local team's patch).",
       source="assumption; a Buurtzorg team serves one neighbourhood (Monsen & de Blok 2013)"),
    _p("ties_per_citizen", 6, 2, 30, doc="Average local ties per citizen (Watts-Strogatz k).", source="assumption"),
    _p("cross_tie_share", 0.05, 0.0, 0.5,
       doc="Ties rewired across the neighbourhood or to other neighbourhoods (Watts-Strogatz p / cross ties).",
       source="assumption (small-world networks, Watts & Strogatz 1998)"),
    _p("community_strength", 0.5, 0.0, 1.0,
       doc="How much informal support flows along ties, and how strong ties start.",
       source="assumption; S000/S001 on communities as places that create support"),
    _p("tie_decay", 0.015, 0.0, 0.5, doc="Weekly loss of strength of a tie that is not used.", source="assumption"),
    _p("tie_growth", 0.05, 0.0, 0.5, doc="Weekly gain of strength of a tie that is used.", source="assumption"),
    # --- needs dynamics ---------------------------------------------------------------
    _p("shock_rate", 0.004, 0.0, 0.2,
       doc="Weekly chance of a life event (shock) in each domain for a citizen with simple needs.",
       source="assumption (order of one adverse life event a year across domains)"),
    _p("complex_shock_multiplier", 2.5, 1.0, 10.0,
       doc="How many times more often citizens with complex needs meet life events.",
       source="assumption; Marmot 2010 on the social gradient of adverse events"),
    _p("shock_size", 0.3, 0.0, 1.0, doc="Mean rise in need from one life event (sizes are exponentially distributed).", source="assumption"),
    _p("coupling_strength", 1.0, 0.0, 3.0,
       doc="Multiplier on the need-interaction (coupling) matrix: how much one unmet need worsens others.",
       source="matrix entries: see population.COUPLING (each entry sourced)"),
    _p("escalation_rate", 0.005, 0.0, 0.2,
       doc="Weekly growth of an unmet need above the noticing level (problems escalate when left).",
       source="S000/S002: 'Prevention activities have been almost eliminated, driving up demand from escalating problems'"),
    _p("recovery_rate", 0.06, 0.0, 0.5,
       doc="Weekly natural recovery of a need, scaled by resilience and informal support.",
       source="assumption"),
    _p("entrenchment_weeks", 26, 1, 520,
       doc="Weeks of going unmet after which a need is fully entrenched (costs more, responds less).",
       source="assumption; handbook S004: higher thresholds 'reduce the opportunity for early intervention'"),
    _p("entrenchment_cost", 1.5, 0.0, 10.0,
       doc="Extra effort to resolve a fully entrenched need, as a multiple (1.5 = 150% more).",
       source="assumption; early intervention literature (Allen 2011) and S004"),
    _p("severity_cost", 1.0, 0.0, 10.0,
       doc="Extra hours per week a case needs at full severity, as a multiple of the base hours.",
       source="assumption"),
    _p("scarring_rate", 0.004, 0.0, 0.1,
       doc="Weekly erosion of resilience while a need stays high (long-lasting high need scars).",
       source="assumption; scarring effects of long spells of unemployment/debt (Bell & Blanchflower 2011)"),
    _p("crisis_level", 0.85, 0.3, 1.0,
       doc="Need severity at which a crisis (admission, police call-out, emergency housing) happens.",
       source="assumption"),
    _p("crisis_spill", 0.06, 0.0, 0.5, doc="Rise in a citizen's other needs after a crisis.", source="assumption"),
    _p("help_threshold", 0.45, 0.0, 1.0,
       doc="Mean need at which a citizen contacts services (each citizen varies around it).",
       source="assumption"),
    _p("contact_rate", 0.12, 0.0, 1.0,
       doc="Weekly chance that a citizen above their help threshold and not being helped makes contact.",
       source="assumption"),
    _p("chase_rate", 0.08, 0.0, 1.0,
       doc="Weekly chance that a citizen on a waiting list contacts again to chase (progress-chasing failure demand).",
       source="Seddon 2003 (failure demand: progress chasing)"),
    # --- costs and staffing -----------------------------------------------------------------------
    _p("budget_factor", 1.0, 0.1, 3.0, doc="Service budget relative to the default (1.0).", source="user lever"),
    _p("budget_per_citizen", 21.0, 0.0, 1000.0,
       doc="Default weekly service budget (staff plus overhead) per citizen, in euros.",
       source="assumption, set so that the default NPM system is stretched but not collapsed"),
    _p("staff_hours", 30.0, 1.0, 60.0, doc="Client-facing hours per staff member per week.", source="assumption"),
    _p("npm_cost_per_hour", 48.74, 1.0, 500.0, doc="Staff cost per hour in NPM specialist teams (euros).",
       source="KPMG 2015: average Dutch home-care provider EUR 48.74 per hour"),
    _p("local_cost_per_hour", 54.47, 1.0, 500.0, doc="Staff cost per hour in local teams (euros).",
       source="KPMG 2015: Buurtzorg EUR 54.47 per hour"),
    _p("npm_overhead_share", 0.25, 0.0, 0.9,
       doc="Management, performance-monitoring and commissioning overhead as a share of NPM cost.",
       source="assumption; Buurtzorg overhead ~8% vs ~25% in comparable organisations (Monsen & de Blok 2013)"),
    _p("local_overhead_share", 0.08, 0.0, 0.9, doc="Overhead share of local teams.",
       source="Monsen & de Blok 2013: Buurtzorg overhead about 8%"),
    _p("support_cost_per_case", 55.0, 0.0, 2000.0,
       doc="Commissioned support per open case-domain per week (euros): the cost that follows the caseload.",
       source="assumption; PSSRU: threshold at 'moderate' adds 23% clients and GBP 2.4bn spend"),
    _p("crisis_cost", 7000.0, 0.0, 100_000.0,
       doc="Cost of one crisis event (emergency admission, police call-out, emergency housing), euros.",
       source="assumption: a blend of non-elective admission (NHS reference costs, ~GBP 3.5k), mental-health crisis admission (far more), police call-outs (less) and emergency housing"),
    _p("base_case_hours", 1.0, 0.1, 40.0, doc="Hours per week one need in a case takes at low severity.",
       source="assumption"),
    _p("assessment_hours", 1.5, 0.0, 40.0, doc="Hours for one assessment (repeated by each NPM silo).",
       source="S004/S001: people tell their story again to each service"),
    _p("contact_hours", 0.4, 0.0, 10.0, doc="Hours to handle one contact at the front door.", source="assumption"),
    _p("referral_hours", 0.5, 0.0, 10.0, doc="Admin hours of one referral / hand-off.", source="assumption"),
    _p("service_efficacy", 0.08, 0.0, 1.0,
       doc="Weekly fall in a need when it gets all the hours it needs (before entrenchment and trust).",
       source="assumption"),
    _p("recruitment_cost", 6000.0, 0.0, 100_000.0, doc="Cost of recruiting one replacement staff member.",
       source="assumption (UK social care recruitment cost estimates, Skills for Care)"),
    _p("recruitment_weeks", 10, 1, 104, doc="Mean weeks to fill a vacancy.", source="assumption"),
    _p("notice_weeks", 12, 1, 104,
       doc="Mean weeks for posts cut by a budget cut or a switch to empty (consultation and notice: staff keep "
           "working and are paid meanwhile; leavers are not replaced).",
       source="assumption; UK statutory notice up to 12 weeks and 30-45 days' collective consultation "
              "(Employment Rights Act 1996; TULRCA 1992)"),
    _p("redeploy_share", 0.5, 0.0, 1.0,
       doc="When neighbourhoods switch to local teams: share of the staff whose NPM posts go who move into the new "
           "teams (at once, as novices in the new practice) instead of leaving over the notice period.",
       source="assumption; 0 = every new post recruited and every old post made redundant, 1 = as many as the "
              "new posts take are redeployed"),
    _p("redundancy_weeks", 12.0, 0.0, 104.0,
       doc="Weeks of pay per FTE whose post is cut (0 = everyone redeployed at no cost).",
       source="assumption; UK statutory redundancy pay is up to 30 weeks (Employment Rights Act 1996), "
              "public-sector schemes often pay more; redeployment pays none"),
    _p("ramp_up_weeks", 26, 1, 260, doc="Weeks for a new staff member to become fully effective.",
       source="assumption"),
    _p("base_turnover", 0.0035, 0.0, 0.2, doc="Weekly chance a staff member leaves when not stressed.",
       source="about 17% a year; assumption near UK social-work turnover (DfE workforce statistics)"),
    _p("stress_turnover", 0.006, 0.0, 0.5, doc="Extra weekly leaving chance at full stress.",
       source="Munro 2011; Lane, Munro & Husemann 2016: workload-turnover reinforcing loop"),
    _p("stress_sickness", 0.15, 0.0, 1.0, doc="Share of hours lost to sickness at full stress.",
       source="assumption; Munro 2011"),
    # --- NPM design ------------------------------------------------------------------------------
    _p("eligibility_threshold", 0.5, 0.0, 1.0,
       doc="Need a silo requires before it accepts a case (NPM).",
       source="S004 and PSSRU on eligibility thresholds (FACS bands)"),
    _p("episode_weeks", 12, 1, 104, doc="Length of an NPM episode of support before the case is closed.",
       source="assumption; time-limited episodes (S000/S002)"),
    _p("handoff_loss", 0.2, 0.0, 1.0,
       doc="Share of referrals lost at a hand-off between silos for a person of average trust (fewer if they trust services more).",
       source="assumption; S001/S004 on people lost between services"),
    _p("target_pressure", 0.3, 0.0, 1.0,
       doc="Pressure to meet targets (weeks to close, cases closed): drives gaming.",
       source="Hood 2006; Bevan & Hood 2006 (ratchet, threshold, output distortion); Goodhart"),
    _p("target_weeks", 16, 1, 104, doc="Target weeks from referral to closure (the reported KPI).",
       source="assumption; cf. NHS 18-week referral-to-treatment target"),
    _p("max_wait_weeks", 26, 1, 520,
       doc="Weeks after which a waiting-list entry is taken off the list unseen (a failure that comes back).",
       source="assumption; waiting-list validation practice"),
    _p("specialist_edge", 0.0, 0.0, 2.0,
       doc="How much more a specialist silo achieves per hour on its own domain than a generalist (0.25 = 25% more).",
       source="assumption: the case for specialisation; S000/S002 grant NPM works for simple, transactional demand"),
    _p("done_to_erosion", 0.002, 0.0, 0.1,
       doc="Weekly loss of resilience while 'done to' by a deficit-based service.",
       source="S000/S001: 'power over' vs 'power with'; assumption for the size"),
    # --- local team design -----------------------------------------------------------------------
    _p("local_team_share", 0.0, 0.0, 1.0,
       doc="Share of neighbourhoods served by local teams at the start (the rest by NPM).",
       source="derived from system; pilot and transition scenarios"),
    _p("local_threshold", 0.25, 0.0, 1.0, doc="Need at which a local team takes someone on (low threshold).",
       source="S000/S001: prevention and low thresholds"),
    _p("team_max_staff", 12, 1, 50, doc="Most staff in one self-managing local team.",
       source="Buurtzorg: teams of at most 12 nurses (Monsen & de Blok 2013)"),
    _p("outreach_share", 0.1, 0.0, 1.0,
       doc="Share of a local team's hours it may spend finding people at risk (proactive outreach).",
       source="assumption; S001 on prevention"),
    _p("relationship_hours", 0.75, 0.0, 20.0,
       doc="Hours a week a local team spends on the relationship and the person's network, per client.",
       source="Buurtzorg onion model: time for relationship and informal network (Monsen & de Blok 2013); size assumed"),
    _p("trust_gain", 0.08, 0.0, 1.0, doc="Weekly growth of trust with a continuing worker.",
       source="S001 on relationships; Haggerty et al. 2003 on relational continuity"),
    _p("strengths_gain", 0.004, 0.0, 0.1, doc="Weekly gain of resilience from strengths-based support.",
       source="S000/S001: strength-based working"),
    _p("stable_level", 0.2, 0.0, 1.0, doc="Need below which a local team considers a domain stable.",
       source="assumption"),
    _p("learning_rate", 0.05, 0.0, 1.0, doc="How fast a local team adapts its practice to the outcomes it sees.",
       source="S001: Human Learning Systems learning loops"),
    _p("connect_rate", 0.1, 0.0, 1.0,
       doc="Weekly chance a local team connects an isolated client to a neighbour.", source="S000/S001"),
    # --- levers and events -----------------------------------------------------------------------
    _p("money_shock_multiplier", 1.0, 0.0, 10.0, doc="Multiplier on money shocks (recession > 1).",
       source="lever"),
    _p("transition_start", -1, -1, 10_000, doc="Week to start switching neighbourhoods to local teams (-1: never).",
       source="lever"),
    _p("transition_weeks", 52, 1, 1040, doc="Weeks over which the switch to local teams is rolled out.",
       source="assumption"),
    _p("transition_target", 1.0, 0.0, 1.0, doc="Share of neighbourhoods under local teams when the switch is complete.",
       source="lever"),
    _p("warmup_weeks", 104, 0, 2000,
       doc="Weeks the population lives under the NPM status quo before week 0 (not recorded), so that "
           "both twin worlds start from the same established state.",
       source="modelling practice (burn-in); NPM is the status quo in S000/S002"),
    _p("record_events", False, doc="Record every citizen's journey (events and needs) for the journey view.",
       source="option"),
]

#: All model parameters by name.
PARAMS: dict[str, Param] = {p.name: p for p in _SPECS}

#: Named scenario presets: overrides of the defaults.
SCENARIOS: dict[str, dict[str, Any]] = {
    "npm": {"system": "npm"},
    "local_teams": {"system": "local_teams"},
    "npm_cuts": {"system": "npm", "budget_factor": 0.8},
    "npm_high_threshold": {"system": "npm", "eligibility_threshold": 0.65},
    "npm_targets": {"system": "npm", "target_pressure": 0.8},
    "pilot": {"system": "npm", "local_team_share": 0.25},
    "transition": {"system": "npm", "transition_start": 52, "transition_weeks": 52},
    "simple_needs": {"system": "npm", "complex_share": 0.0},
}

SCENARIO_DOCS: dict[str, str] = {
    "npm": "New Public Management: one specialist silo per domain, thresholds, episodes, hand-offs, targets.",
    "local_teams": "Buurtzorg-style self-managing neighbourhood teams working with the whole person.",
    "npm_cuts": "NPM with a 20% budget cut from the start.",
    "npm_high_threshold": "NPM with eligibility raised from 0.5 to 0.65.",
    "npm_targets": "NPM under heavy target pressure (gaming).",
    "pilot": "NPM with a quarter of neighbourhoods (at least one) piloting local teams.",
    "transition": "NPM for a year, then every neighbourhood switches to local teams over the next year.",
    "simple_needs": "NPM in a population with only simple single needs.",
}


def validate_params(scenario: str = "npm", **overrides: Any) -> dict[str, Any]:
    """Return the full, validated parameter dict for ``scenario`` with ``overrides``.

    Raises ParameterError naming the field and its allowed range for any bad
    value, and for any unknown name (no silent typos).
    """
    if scenario not in SCENARIOS:
        raise ParameterError(f"scenario={scenario!r} is unknown: expected one of {', '.join(SCENARIOS)}")
    unknown = sorted(set(overrides) - set(PARAMS))
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, PARAMS, n=1)
            hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
        raise ParameterError(f"unknown parameter(s): {', '.join(hints)}; 'hls-abm scenarios --params' lists them all")
    merged = {name: spec.default for name, spec in PARAMS.items()}
    merged.update(SCENARIOS[scenario])
    merged.update(overrides)
    if "local_team_share" not in overrides and "local_team_share" not in SCENARIOS[scenario]:
        merged["local_team_share"] = 1.0 if merged["system"] == "local_teams" else 0.0
    return {name: PARAMS[name].check(value) for name, value in merged.items()}


def load_params_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file of parameters: an optional ``scenario = "..."`` and parameter values.

    Values may sit at the top level or under a ``[params]`` table. Returns the
    validated dict (including ``scenario``) ready for ``HLSModel(**d)``.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"parameter file {path} does not exist") from None
    except IsADirectoryError:
        raise ParameterError(f"parameter file {path} is a folder, not a TOML file") from None
    except UnicodeDecodeError:
        raise ParameterError(f"parameter file {path} is not UTF-8 text (TOML files are)") from None
    except OSError as err:
        raise ParameterError(f"parameter file {path} cannot be read: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ParameterError(f"parameter file {path} is not valid TOML: {err}") from None
    scenario = data.pop("scenario", "npm")
    if not isinstance(scenario, str):
        raise ParameterError(f"parameter file {path}: scenario={scenario!r} is unknown: expected one of "
                             + ", ".join(SCENARIOS))
    table = data.pop("params", {})
    if not isinstance(table, dict):
        raise ParameterError(f"parameter file {path}: [params] must be a table of name = value, got {table!r}")
    values = dict(table)
    values.update(data)
    validated = validate_params(scenario, **values)
    return {"scenario": scenario, **{k: validated[k] for k in values}}


def parameter_table() -> str:
    """Markdown table of every parameter with default, range and source (for the docs)."""
    rows = ["| parameter | default | range | meaning | source |", "|---|---|---|---|---|"]
    for p in PARAMS.values():
        rng = p.allowed().replace("a number in ", "").replace("an integer in ", "")
        rows.append(f"| `{p.name}` | {p.default} | {rng} | {p.doc} | {p.source} |")
    return "\n".join(rows)
