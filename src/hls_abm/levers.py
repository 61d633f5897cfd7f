"""Policy levers and events that can be applied to a running model at any week.

Each lever changes parameters or the world through the same mechanisms the
model always runs; nothing here writes an outcome. Every application is
recorded with its week in ``model.levers_applied``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .params import ParameterError


@dataclass(frozen=True)
class Lever:
    """A named lever: what it does, its keyword argument and that argument's range."""

    name: str
    doc: str
    arg: str
    default: float
    low: float
    high: float
    apply: Callable

    def check(self, value) -> float:
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = float("nan")
        if not (self.low <= v <= self.high):
            raise ParameterError(f"{self.name}: {self.arg}={value!r} is not allowed: expected a number in [{self.low}, {self.high}]")
        return v


def _budget_cut(model, percent: float) -> str:
    model.set_policy(budget_factor=max(0.1, model.p["budget_factor"] * (1 - percent / 100.0)))
    model.refresh_establishment()
    return f"budget cut {percent:g}%"


def _raise_threshold(model, delta: float) -> str:
    model.set_policy(eligibility_threshold=float(np.clip(model.p["eligibility_threshold"] + delta, 0.0, 1.0)))
    return f"threshold {'+' if delta >= 0 else ''}{delta:g}"


def _target_pressure(model, value: float) -> str:
    model.set_policy(target_pressure=value)
    return f"target pressure {value:g}"


def _recession(model, severity: float) -> str:
    model.set_policy(money_shock_multiplier=1.0 + severity)
    return f"recession x{1 + severity:g} money shocks"


def _switch(model, share: float) -> str:
    switched = model.switch_to_local_teams(share)
    return f"{switched} neighbourhood(s) to local teams"


def _invest(model, amount: float) -> str:
    model.set_policy(community_strength=min(1.0, model.p["community_strength"] + amount))
    model.community.invest(amount)
    model.book_investment(amount * 250.0 * model.population.n)
    return f"community investment +{amount:g}"


#: Levers by name: the dashboard, the sweeps and the CLI call these.
LEVERS: dict[str, Lever] = {
    lv.name: lv
    for lv in (
        Lever("budget_cut", "Cut the service budget by a percentage (posts above the new establishment empty over "
              "the notice period, with redundancy pay).", "percent", 20.0, 0.0, 90.0, _budget_cut),
        Lever("raise_threshold", "Raise (or lower) the NPM eligibility threshold.", "delta", 0.1, -1.0, 1.0,
              _raise_threshold),
        Lever("target_pressure", "Set the pressure to meet targets (0-1).", "value", 0.8, 0.0, 1.0, _target_pressure),
        Lever("recession", "A recession: money shocks become (1 + severity) times as frequent.", "severity", 1.0,
              0.0, 9.0, _recession),
        Lever("switch_to_local_teams", "Switch a share of all neighbourhoods from NPM to local teams (at least one).",
              "share", 0.25, 0.0, 1.0, _switch),
        Lever("community_investment",
              "Invest in the community: ties and community strength grow; costs EUR 250 per citizen per unit, once (assumption).",
              "amount", 0.2, 0.0, 1.0, _invest),
    )
}


def apply_lever(model, name: str, source: str = "user", **kwargs) -> dict:
    """Apply lever ``name`` to ``model`` now; return and record what was done."""
    if name not in LEVERS:
        raise ParameterError(f"lever {name!r} is unknown: expected one of {', '.join(LEVERS)}")
    lever = LEVERS[name]
    extra = set(kwargs) - {lever.arg}
    if extra:
        raise ParameterError(f"lever {name} takes only {lever.arg}=; got {', '.join(sorted(extra))}")
    value = lever.check(kwargs.get(lever.arg, lever.default))
    label = lever.apply(model, value)
    record = {"week": model.week, "lever": name, lever.arg: value, "label": label, "source": source}
    model.levers_applied.append(record)
    return record
