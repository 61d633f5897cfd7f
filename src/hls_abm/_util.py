"""Small numeric helpers shared by the modules."""

from __future__ import annotations

import numpy as np


def bincount(idx, weights=None, minlength: int = 0) -> np.ndarray:
    """``np.bincount`` that always returns floats (numpy returns ints for empty weights)."""
    return np.bincount(idx, weights, minlength).astype(float, copy=False)
