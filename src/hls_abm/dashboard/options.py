"""Checking what people type or put in the address: one message per bad value, defaults kept.

Pure functions, no Solara. Every bad value gives a one-line message naming the
option and what it accepts; the value falls back to the default, so the page
always opens.

* :func:`parse_options` - the page address (``/?n=4000&speed=0&tab=journey``)
* :func:`check_seed` - the seed box (and ``?seed=``)
* :func:`check_amount` - the "custom amount" of an intervention
* :func:`check_citizen` - the journey tab's "citizen number" box
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs

from hls_abm.params import ParameterError
from hls_abm.seeds import ALLOWED as SEED_ALLOWED
from hls_abm.seeds import parse_seed

from .presets import ARG_TITLES, LEVER_TITLES, lever_defaults, preset_names
from .settings import CITIZENS_RANGE, DEFAULT_SEED, RENDER_EVERY_RANGE, SPEED_RANGE

#: Tabs of the main area, in order.
TABS = ("overview", "goodhart", "community", "journey", "explain")

#: Options the address may carry, and what they set.
KNOWN = ("n", "seed", "scenario", "speed", "render_every", "present", "tab", "smooth")
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _number(text: str, option: str, lo: float, hi: float, whole: bool, allowed: str) -> tuple[Any, str | None]:
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not math.isfinite(v) or (whole and not v.is_integer()) or not lo <= v <= hi:
        return None, f"{option}={text!r} is not allowed: expected {allowed}"
    return (int(v) if whole else v), None


def check_seed(text: Any, option: str = "seed") -> tuple[str | None, str | None]:
    """(seed text to use, problem): an empty box means the default seed."""
    s = "" if text is None else str(text).strip()
    if not s:
        return str(DEFAULT_SEED), None
    try:
        parse_seed(s, option)
    except ParameterError:
        return None, f"{option}={s!r} is not allowed: expected {SEED_ALLOWED} (empty means {DEFAULT_SEED})"
    return s, None


def _flag(q: dict, key: str) -> tuple[bool | None, str | None]:
    v = q[key].strip().lower()
    if v in _YES:
        return True, None
    if v in _NO:
        return False, None
    return None, f"{key}={q[key]!r} is not allowed: expected 1 or 0"


def parse_options(search: str | None) -> tuple[dict[str, Any], list[str]]:
    """(options to start with, messages for the room) from the page address."""
    out: dict[str, Any] = {}
    problems: list[str] = []
    if not search:
        return out, problems
    q = {k: v[-1] for k, v in parse_qs(search.lstrip("?"), keep_blank_values=True).items() if v}
    lo, hi = CITIZENS_RANGE
    checks = (
        ("n", "n_citizens", lambda t: _number(t, "n", lo, hi, True, f"a whole number of citizens from {lo:,} to {hi:,}")),
        ("speed", "speed", lambda t: _number(t, "speed", *SPEED_RANGE, False,
                                             f"weeks per second from {SPEED_RANGE[0]:g} to {SPEED_RANGE[1]:g} "
                                             "(0 = as fast as possible)")),
        ("render_every", "render_every", lambda t: _number(t, "render_every", *RENDER_EVERY_RANGE, True,
                                                           f"a whole number of weeks from {RENDER_EVERY_RANGE[0]} "
                                                           f"to {RENDER_EVERY_RANGE[1]}")),
        ("seed", "seed", check_seed),
        ("scenario", "scenario", lambda t: (t, None) if t in preset_names() else
         (None, f"scenario={t!r} is not allowed: expected one of {', '.join(preset_names())}")),
        ("tab", "tab", lambda t: (t, None) if t in TABS else (None, f"tab={t!r} is not allowed: expected one of {', '.join(TABS)}")),
        ("present", "presentation", lambda t: _flag(q, "present")),
        ("smooth", "smooth", lambda t: _flag(q, "smooth")),
    )
    for key, name, check in checks:
        if key in q:
            value, problem = check(q[key])
            if problem:
                problems.append(problem + "; starting with the default")
            else:
                out[name] = value
    unknown = [k for k in q if k not in KNOWN]
    if unknown:
        problems.append(f"{', '.join(unknown)}: not an option of this page (it knows {', '.join(KNOWN)})")
    return out, problems


def check_amount(lever: str, value: Any) -> tuple[float | None, str | None]:
    """(amount, problem) for a custom intervention amount."""
    levers = lever_defaults()
    if lever not in levers:
        return None, f"intervention {lever!r} is not allowed: expected one of {', '.join(LEVER_TITLES[k] for k in levers)}"
    arg, _default, lo, hi, _doc = levers[lever]
    field = f"{LEVER_TITLES.get(lever, lever)}: {ARG_TITLES.get(arg, arg)}"
    return _number(str(value).strip(), field, lo, hi, False, f"a number from {lo:g} to {hi:g}")


def check_citizen(text: Any, n: int) -> tuple[int | None, str | None]:
    """(citizen index, problem) for the journey tab's number box."""
    s = "" if text is None else str(text).strip()
    return _number(s, "citizen number", 0, n - 1, True, f"a whole number from 0 to {n - 1:,}")
