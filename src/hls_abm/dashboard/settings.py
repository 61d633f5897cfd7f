"""What the page's settings panel holds, with defaults read from the model's own table.

Every default here comes from :data:`hls_abm.PARAMS`, so the page starts with the
model's defaults (not a copy that can drift). Only the page's own choices live
here: the default world size (big enough for the levers the page offers), the
ranges of the page's controls and the speed options.

This module imports nothing else from the dashboard, so presets, the controller
and the page can all import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from hls_abm import PARAMS
from hls_abm.seeds import parse_seed

#: The model overrides the sliders map to (everything but scenario, size and seed).
OVERRIDE_FIELDS = (
    "complex_share",
    "budget_factor",
    "eligibility_threshold",
    "target_pressure",
    "community_strength",
    "assumptions",
)

#: Settings a facilitator can change; they take effect at the next Reset.
SETTING_FIELDS = ("scenario", "n_citizens", *OVERRIDE_FIELDS, "seed")

#: The page's default world: 4,000 citizens in neighbourhoods of the model's default
#: size (500) gives 8 neighbourhoods, so "Switch 25% to local teams" switches a quarter.
DEFAULT_CITIZENS = 4000
#: Citizens per world the page accepts (slider and ``?n=``): the low end still has a
#: neighbourhood, the high end keeps a week fast enough for a live room.
CITIZENS_RANGE = (500, 20000)
CITIZENS_STEP = 500

#: Weeks per second (0 = as fast as possible) and weeks per redraw.
DEFAULT_SPEED = 5.0
SPEED_RANGE = (0.0, 30.0)
DEFAULT_RENDER_EVERY = 4
RENDER_EVERY_RANGE = (1, 26)

DEFAULT_SEED = 42

# --- The assumption set (issue 9) ------------------------------------------------------
#: Which sizes the differences between the systems take (hls_abm.differences); the room sees
#: which one it is looking at, and the facilitator can switch it (same seed, at Reset).
ASSUMPTION_SETS: tuple[str, ...] = tuple(PARAMS["assumptions"].choices)


def model_default(name: str) -> Any:
    """The model's default for parameter ``name`` (from hls_abm.PARAMS)."""
    return PARAMS[name].default


def slider_ranges() -> dict[str, tuple[float, float]]:
    """Allowed (low, high) per slider, from the model's parameter table."""
    return {k: (float(PARAMS[k].low), float(PARAMS[k].high)) for k in OVERRIDE_FIELDS if PARAMS[k].kind == "float"}


def neighbourhoods(n_citizens: int) -> int:
    """How many neighbourhoods a world of ``n_citizens`` has at the model's neighbourhood size."""
    size = int(model_default("neighbourhood_size"))
    return max(1, -(-int(n_citizens) // size))


def _default(name: str):
    return field(default_factory=lambda: model_default(name))


@dataclass(frozen=True)
class Settings:
    """What the controls panel holds. Changing them needs a Reset."""

    scenario: str = "npm"
    n_citizens: int = DEFAULT_CITIZENS
    complex_share: float = _default("complex_share")
    budget_factor: float = _default("budget_factor")
    eligibility_threshold: float = _default("eligibility_threshold")
    target_pressure: float = _default("target_pressure")
    community_strength: float = _default("community_strength")
    assumptions: str = _default("assumptions")
    seed: str = str(DEFAULT_SEED)

    def overrides(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in OVERRIDE_FIELDS}

    @property
    def seed_value(self) -> int:
        """The model seed; an empty box means the default seed (raises ParameterError when bad)."""
        return parse_seed(self.seed if str(self.seed).strip() else DEFAULT_SEED)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
