"""Validated parameters, scenario presets and TOML loading.

Every parameter has a range, a one-line meaning and a provenance: a seed
document (``S000``..``S004``, see ``docs/sources.md``), a published figure, or
"assumption". ``validate_params`` is the single gate every model, sweep, CLI
call and dashboard value goes through.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from .differences import ASSUMPTION_SETS, assumption_overrides
from .param_specs import _SPECS, CALIBRATED
from .parameter import TIERS, Param, ParameterError

__all__ = [
    "DOMAINS",
    "PARAMS",
    "SCENARIOS",
    "ParameterError",
    "Param",
    "validate_params",
    "load_params_toml",
    "parameter_table",
    "TIERS",
    "ASSUMPTION_SETS",
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
    # The assumption set first, then the scenario's and the caller's own choices on top.
    chosen = PARAMS["assumptions"].check(overrides.get("assumptions", SCENARIOS[scenario].get("assumptions", "evidence")))
    merged.update(assumption_overrides(chosen))
    merged["assumptions"] = chosen
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
    rows = ["| parameter | default | range | meaning | source | tier |", "|---|---|---|---|---|---|"]
    for p in PARAMS.values():
        rng = p.allowed().replace("a number in ", "").replace("an integer in ", "")
        source = f"{p.source}; **size calibrated** (docs/calibration.md)" if p.name in CALIBRATED else p.source
        rows.append(f"| `{p.name}` | {p.default} | {rng} | {p.doc} | {source} | {p.tier} |")
    return "\n".join(rows)
