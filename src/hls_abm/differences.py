"""Every difference between the two service systems, declared once, with its evidence tier.

A sceptic should be able to list every thumb on the scale from one table. Two kinds:

* **structural**: how the work is organised (silos vs one team, separate assessments vs
  one conversation, referrals and hand-offs, closing at the end of an episode vs when the
  person is stable, continuity with a need vs with the person, split vs pooled capacity).
  These are the model's two ways of working; they are coded in ``services.npm`` and
  ``services.local_teams`` and stay in every assumption set.
* **effects**: sizes that differ between the systems. Each has the parameter(s) that set
  it, an evidence tier, a source, a *neutral* value (the same in both systems: the
  midpoint where both systems have the effect, off where only one has it) and the size
  the HLS/Buurtzorg literature *claims*.

Assumption sets (``HLSModel(assumptions=...)``):

* ``structural``: every effect of tier ``direction`` or ``assumption`` takes its neutral
  value; only the structure and the published (``evidence``-tier) numbers differ;
* ``evidence`` (the default): published sizes, and the defaults (fitted to published
  figures where the calibration has run: docs/calibration.md);
* ``claims``: the sizes the HLS/Buurtzorg literature claims, with its sources.

``hls-abm assumptions`` prints the table; docs/ODD.md carries the same table, generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .parameter import TIERS

CLAIMS = "Buurtzorg and HLS claims (Monsen & de Blok 2013; Lowe & Plimmer 2019; Lowe et al. 2021)"


@dataclass(frozen=True)
class Difference:
    """One way the two systems differ: the parameter(s) that set it, and its neutral and claimed values."""

    effect: str
    doc: str
    npm: tuple[str, ...] = ()  # parameters that set it in NPM
    local: tuple[str, ...] = ()  # parameters that set it in local teams
    tier: str = "assumption"
    source: str = "assumption"
    structural: bool = False
    neutral: dict = field(default_factory=dict)  # parameter -> value in the 'structural' set
    claims: dict = field(default_factory=dict)  # parameter -> value in the 'claims' set

    def __post_init__(self):
        if self.tier not in TIERS:
            raise ValueError(f"{self.effect}: tier={self.tier!r} is not one of {', '.join(TIERS)}")
        if not self.structural and self.tier != "evidence" and not self.neutral:
            raise ValueError(f"{self.effect}: a non-structural effect of tier {self.tier} needs a neutral value")


D = Difference
#: Every difference between the systems. tests/test_differences.py checks that every parameter a
#: system module reads is either here or shared by both systems.
DIFFERENCES: tuple[Difference, ...] = (
    # --- structural: how the work is organised --------------------------------------------------
    D("silos vs one team", "NPM: one city-wide silo per life domain, each with its own budget share and queue; "
      "local teams: one team per neighbourhood holding every need of a person, with pooled hours.",
      npm=("budget_follow_weeks",), local=("self_management_share",),
      structural=True, source="S000, S002, S004 (NPM); S000, S001, Monsen & de Blok 2013 (Buurtzorg); "
      "silo budgets follow queues with a lag (S004); self-managing teams spend hours managing themselves "
      "(Kreitzer et al. 2015)"),
    D("assessments", "NPM: each silo assesses separately and hears of other needs only when they are pressing; "
      "local teams: one whole-life conversation.", npm=("silo_mention_share",), structural=True,
      source="S001/S004: people tell their story again to each service"),
    D("referrals and hand-offs", "NPM refers other needs to other silos: admin time, a new queue and a new "
      "assessment, and a chance of being lost on the way (more so for people who distrust services).",
      npm=("referral_hours", "handoff_loss", "handoff_trust", "trust_lost"), structural=True, tier="direction",
      source="S001/S004 on people lost between services; size assumed"),
    D("turned away", "NPM silos turn away needs below their threshold at the door: the person loses trust and "
      "comes back (failure demand); local teams take on every disclosed need above their low threshold.",
      npm=("trust_rejected",), structural=True, source="S004; Seddon 2003 (failure demand)"),
    D("closing", "NPM closes at the end of an episode (or when the need settles); local teams close when the "
      "person is stable by their own learned standard.", npm=("episode_weeks",), local=("stable_level",),
      structural=True, source="S000/S002 (time-limited episodes); S001 (stay until stable)"),
    D("continuity", "NPM: the relationship is with a silo on one need; local teams: with the person, across needs.",
      structural=True, source="Haggerty et al. 2003 (relational continuity); Monsen & de Blok 2013"),
    D("one-off requests", "A one-off transactional request (a blue badge, a benefit claim, a repair): NPM resolves it "
      "by the silo's standard process, which asks nothing else and fails requests that vary from it; a local team "
      "resolves it in its whole-person way: on a visit, with the whole-life conversation for a person it does not "
      "know, taking on every disclosed need above its threshold.", structural=True,
      source="S000/S002 (standardised transactional services 'like renewing a passport'); S004 L284 (processes "
      "intolerant of variance); S001 (the whole-life conversation)"),
    # --- effects with published sizes -------------------------------------------------------------
    D("cost per hour", "All-in cost of a staff hour (pay plus the overhead it carries).", npm=("npm_cost_per_hour",),
      local=("local_cost_per_hour",), tier="evidence", source="KPMG 2015: EUR 48.74 (average) vs 54.47 (Buurtzorg)"),
    D("overhead share", "Management, performance monitoring and commissioning as a share of cost.",
      npm=("npm_overhead_share",), local=("local_overhead_share",), tier="evidence",
      source="Monsen & de Blok 2013: Buurtzorg ~8% vs ~25% in comparable organisations (Buurtzorg's own figures)"),
    D("team size cap", "A self-managing team has at most this many staff; a neighbourhood with more funded "
      "staff has more teams.", local=("team_max_staff",), tier="evidence",
      source="Buurtzorg: teams of at most 12 nurses (Monsen & de Blok 2013)"),
    # --- effects whose sign a source gives --------------------------------------------------------
    D("gatekeeping", "A silo tightens its threshold as its backlog grows.", npm=("gatekeeping",), tier="direction",
      source="PSSRU; Fernandez, Snell & Wistow 2013; S004", neutral={"gatekeeping": 0.0}),
    D("local intake", "A local team with a backlog closes its books to lower needs (size fitted by the "
      "calibration with the budget; 0 = local teams take everyone above their threshold however long the wait).",
      local=("local_gatekeeping",),
      tier="assumption", source="assumption (Monsen & de Blok 2013; Gray et al. 2015: teams decide their own caseload)",
      neutral={"local_gatekeeping": 0.0}),
    D("overhead ratchet", "Missed targets bring more management and monitoring, paid for out of NPM's front-line "
      "posts (set once a year).", npm=("overhead_ratchet",), tier="direction",
      source="S004 (Markets, Managers, Metrics)", neutral={"overhead_ratchet": 0.0}),
    D("thresholds", "Need at which a system takes a case on.", npm=("eligibility_threshold",),
      local=("local_threshold",), tier="direction", source="S004, PSSRU (FACS bands); S000/S001 (low thresholds)",
      neutral={"eligibility_threshold": 0.375, "local_threshold": 0.375}),
    D("disclosure", "Chance that a person tells a service about another need, at zero trust.",
      npm=("npm_disclosure",), local=("local_disclosure",), tier="direction", source="S001/S004",
      neutral={"npm_disclosure": 0.25, "local_disclosure": 0.25}, claims={"local_disclosure": 0.7}),
    D("done-to erosion", "Deficit-based services erode the resilience of the people in them.",
      npm=("done_to_erosion",), tier="direction", source="S000/S001: 'power over' vs 'power with'",
      neutral={"done_to_erosion": 0.0}, claims={"done_to_erosion": 0.004}),
    D("strengths", "Strengths-based support builds resilience.", local=("strengths_gain",), tier="direction",
      source="S000/S001: strength-based working", neutral={"strengths_gain": 0.0}, claims={"strengths_gain": 0.008}),
    D("outreach", "Teams with hours to spare look for people at risk who have not asked; looking costs "
      "outreach_search_hours for each person found.", local=("outreach_share", "outreach_search_hours"), tier="direction", source="S001 on prevention",
      neutral={"outreach_share": 0.0}, claims={"outreach_share": 0.15}),
    D("connecting", "Teams introduce isolated clients to neighbours.", local=("connect_rate",), tier="direction",
      source="S000/S001; Buurtzorg onion model", neutral={"connect_rate": 0.0}, claims={"connect_rate": 0.2}),
    D("learning", "Teams adapt when to close and how much to reach out from the outcomes they see.",
      local=("learning_rate",), tier="direction", source="S001: Human Learning Systems learning loops",
      neutral={"learning_rate": 0.0}, claims={"learning_rate": 0.1}),
    D("relationship time", "Hours a week a local team gives each client for the relationship and their network.",
      local=("relationship_hours",), tier="direction", source="Buurtzorg onion model (Monsen & de Blok 2013)",
      neutral={"relationship_hours": 0.0}),
    D("specialist edge", "How much more a silo achieves per hour in its own domain than a generalist.",
      npm=("specialist_edge",), tier="direction",
      source="S000/S002 grant that standardised specialist services work for transactional demand",
      neutral={"specialist_edge": 0.0}, claims={"specialist_edge": 0.0}),
    D("process misfit", "A silo's standard process fails a one-off request of a person whose other needs make it "
      "vary from the process; the request comes back (failure demand).", npm=("process_misfit",), tier="direction",
      source="S004 L284-286 (Seddon: calls back because 'the enquiry varied from the tightly prescribed process')",
      neutral={"process_misfit": 0.0}),
    D("targets", "Pressure to meet targets: it adds stress and invites gaming.", npm=("target_pressure",),
      tier="direction", source="Hood 2006; Bevan & Hood 2006; Munro 2011", neutral={"target_pressure": 0.0}),
    D("gaming", "Under target pressure silos reject at the door, close early and take easy cases first.",
      npm=("threshold_gaming", "early_closure", "cream_skimming"), tier="direction",
      source="Hood 2006; Bevan & Hood 2006 (threshold effects, output distortion); Seddon 2003",
      neutral={"threshold_gaming": 0.0, "early_closure": 0.0, "cream_skimming": 0.0}),
    # --- assumptions ------------------------------------------------------------------------------
    D("assessment time", "A new person's assessment, as a multiple of assessment_hours.",
      npm=("npm_assessment_factor",), local=("local_assessment_factor",),
      neutral={"npm_assessment_factor": 1.25, "local_assessment_factor": 1.25}),
    D("request handling time", "Hours for a one-off request, as a multiple of transaction_hours: a silo's standard "
      "process vs a generalist without one.", npm=("npm_transaction_factor",), local=("local_transaction_factor",),
      source="assumption: a standard process is what specialisation buys (S000/S002); size assumed",
      neutral={"npm_transaction_factor": 1.5, "local_transaction_factor": 1.5}),
    D("queue priority", "Weeks of queue priority per unit of a person's most urgent need.",
      npm=("npm_urgency_priority",), local=("local_urgency_priority",),
      neutral={"npm_urgency_priority": 5.0, "local_urgency_priority": 5.0}),
)
del D

#: The assumption sets and what each does to the parameters.
ASSUMPTION_SETS: dict[str, str] = {
    "structural": "only how the work is organised differs (and published numbers); every other effect is neutral",
    "evidence": "published sizes, and the defaults elsewhere (fitted to published figures where calibrated)",
    "claims": f"the sizes the HLS/Buurtzorg literature claims ({CLAIMS})",
}


def assumption_overrides(name: str) -> dict:
    """The parameter values an assumption set imposes (before a run's own overrides)."""
    out: dict = {}
    for d in DIFFERENCES:
        if name == "structural" and not d.structural and d.tier != "evidence":
            out.update(d.neutral)
        elif name == "claims":
            out.update(d.claims)
    return out


def system_parameters() -> set[str]:
    """Every parameter that sets a difference between the systems."""
    return {name for d in DIFFERENCES for name in (*d.npm, *d.local)}


def _values(names: tuple[str, ...], values: dict) -> str:
    return ", ".join(f"{n}={values[n]:g}" if isinstance(values[n], float) else f"{n}={values[n]}" for n in names) or "—"


def assumptions_table(assumptions: str = "evidence") -> str:
    """Markdown table of every difference between the systems: NPM and local values in the set
    ``assumptions``, tier, source, and the values the other sets give (generated from the code)."""
    from .params import validate_params  # params builds on this module

    chosen = validate_params("npm", assumptions=assumptions)
    rows = [f"| effect | NPM ({assumptions}) | local teams ({assumptions}) | tier | kind | structural set | "
            "claims set | source |", "|---|---|---|---|---|---|---|---|"]
    for d in DIFFERENCES:
        kind = "structure" if d.structural else "effect"
        neutral = "same as evidence" if d.structural or d.tier == "evidence" else _values(tuple(d.neutral), d.neutral)
        claims = _values(tuple(d.claims), d.claims) if d.claims else "same as evidence"
        rows.append(f"| {d.effect} | {_values(d.npm, chosen)} | {_values(d.local, chosen)} | {d.tier} | {kind} | "
                    f"{neutral} | {claims} | {d.source} |")
    return "\n".join(rows)
