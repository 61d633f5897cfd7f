"""One seed parser for the model, the command line and the dashboard.

A seed names a run: the same seed gives the same people, network, life events and
DataFrame, bit for bit, whichever door it came in by. People type seeds into forms
and shells, so a seed may be:

* a whole number >= 0 (``42``, ``"42"``, ``" 42 "``, ``"42.0"``, ``"1e3"``);
* a word or phrase (``"workshop-3"``): it stands for a stable number derived from
  the text (CRC-32 of its UTF-8 bytes), so the same words always give the same run;
* a numpy ``Generator`` (a number is drawn from it) or ``None`` (a fresh seed).

Anything else (a negative or fractional number, ``True``, NaN, empty text) is a
``ParameterError`` naming the field and what it accepts.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

from .params import ParameterError

MAX_SEED = 2**63 - 1
ALLOWED = f"a whole number in [0, {MAX_SEED}] or a word"


def parse_seed(value: Any, field: str = "seed") -> int:
    """Return the model seed for ``value`` (see the module docstring), or raise ParameterError."""
    if value is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(value, np.random.Generator):
        return int(value.integers(2**63))
    bad = ParameterError(f"{field}={value!r} is not allowed: expected {ALLOWED}")
    if isinstance(value, bool):
        raise bad
    if isinstance(value, (int, np.integer)):
        number = int(value)
    elif isinstance(value, (float, np.floating)):
        if not math.isfinite(value) or not float(value).is_integer():
            raise bad
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise bad
        number = _number(text, bad)
        if number is None:
            return zlib.crc32(text.encode("utf-8"))
    else:
        raise bad
    if not 0 <= number <= MAX_SEED:
        raise bad
    return number


def _number(text: str, bad: ParameterError) -> int | None:
    """The whole number ``text`` spells (``"42"``, ``"42.0"``, ``"1e3"``), None for a word;
    ``bad`` for text that is a number but not a whole one (``"3.5"``, ``"nan"``)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        v = float(text)
    except ValueError:
        return None
    if not math.isfinite(v) or not v.is_integer():
        raise bad
    return int(v)
