"""Scenario presets for the twin worlds, read from the core model's SCENARIOS.

Both worlds always get the same settings; only the service system differs. A
preset therefore sets the sliders (budget, threshold, target pressure, ...) and
any extra settings (such as a transition schedule) for both worlds. Presets that
only choose the system ("local_teams") or a mixed system ("pilot") make no sense
for twin worlds and are left out; use the "Switch neighbourhoods to local teams"
intervention instead.
"""

from __future__ import annotations

from typing import Any

from hls_abm import LEVERS, SCENARIOS
from hls_abm.params import SCENARIO_DOCS

from .settings import OVERRIDE_FIELDS, Settings, model_default

_SKIP = {"local_teams", "pilot"}
_DROP = {"system", "local_team_share"}

#: Friendly names shown in the preset menu.
_NAMES = {
    "npm": "Default (today's settings)",
    "npm_cuts": "Budget 20% lower from the start",
    "npm_high_threshold": "Higher eligibility threshold",
    "npm_targets": "Heavy target pressure",
    "transition": "Switch NPM to local teams in year 2",
    "simple_needs": "Only simple needs (no complex lives)",
}


#: What the "custom amount" menu shows for each lever and its amount.
LEVER_TITLES = {
    "budget_cut": "Cut the budget",
    "raise_threshold": "Raise (or lower) eligibility thresholds",
    "target_pressure": "Set target pressure",
    "recession": "Recession",
    "switch_to_local_teams": "Switch neighbourhoods to local teams",
    "community_investment": "Invest in the community",
}
ARG_TITLES = {
    "percent": "Cut (% of budget)",
    "delta": "Change in threshold",
    "value": "Target pressure",
    "severity": "Severity",
    "share": "Share of all neighbourhoods",
    "amount": "Investment (strength added)",
}

def _scenarios() -> dict[str, dict[str, Any]]:
    return {k: v for k, v in SCENARIOS.items() if k not in _SKIP}


def preset_names() -> dict[str, str]:
    """Preset key -> menu label, in the model's order."""
    return {k: _NAMES.get(k, k.replace("_", " ")) for k in _scenarios()}


def preset_doc(key: str) -> str:
    if key == "transition":
        return ("The NPM world switches its neighbourhoods to local teams during its second year "
                "(the local teams world is local from the start).")
    return SCENARIO_DOCS.get(key, "")


def slider_defaults() -> dict[str, float]:
    """The model's own defaults for the slider parameters."""
    return {k: model_default(k) for k in OVERRIDE_FIELDS}


def scenario_overrides(key: str) -> dict[str, Any]:
    """Extra settings of a preset that have no slider (e.g. a transition schedule)."""
    sc = _scenarios().get(key, {})
    return {k: v for k, v in sc.items() if k not in _DROP and k not in OVERRIDE_FIELDS}


def settings_for(key: str, base: Settings | None = None) -> Settings:
    """``base`` with the sliders set to preset ``key``'s values (size and seed kept)."""
    base = base or Settings()
    values = slider_defaults()
    values.update({k: v for k, v in _scenarios().get(key, {}).items() if k in OVERRIDE_FIELDS})
    return Settings(
        scenario=key,
        n_citizens=base.n_citizens,
        seed=base.seed,
        **{k: values.get(k, getattr(base, k)) for k in OVERRIDE_FIELDS},
    )


def lever_defaults() -> dict[str, tuple[str, float, float, float, str]]:
    """Lever name -> (argument, default, low, high, description) from hls_abm.LEVERS."""
    return {name: (lv.arg, float(lv.default), float(lv.low), float(lv.high), lv.doc) for name, lv in LEVERS.items()}
