"""Designs: which parameter combinations a sweep runs.

* ``grid``: the full factorial product of every factor's values.
* ``lhs``: a Latin hypercube over the range factors (SALib ``latin``).
* ``sobol``: Saltelli's extension of the Sobol sequence (SALib ``sobol`` sampler),
  N * (D + 2) points (N * (2D + 2) with second-order indices), for Sobol indices.
* ``morris``: Morris elementary-effect trajectories (SALib ``morris``), for screening.

In sampled designs, list-valued factors are not allowed (see spec validation);
integer factors are rounded after sampling. Every point carries ``_sample``,
its row in the sample matrix, so the analysis can line results up with SALib.
The samplers are seeded from ``design.seed``: the same spec gives the same points.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["design_points", "sample_matrix"]


def sample_matrix(spec) -> np.ndarray:
    """The raw sample matrix (rows = points, columns = the range factors) of a sampled design."""
    d = spec.design
    problem = spec.problem()
    if d.method == "lhs":
        from SALib.sample import latin

        return np.asarray(latin.sample(problem, d.samples, seed=d.seed))
    if d.method == "sobol":
        from SALib.sample import sobol

        return np.asarray(sobol.sample(problem, d.samples, calc_second_order=d.second_order, seed=d.seed))
    if d.method == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, d.trajectories, num_levels=d.levels, seed=d.seed))
    raise ValueError(f"design method {d.method!r} has no sample matrix")


def design_points(spec) -> list[dict]:
    """The points of the design: a list of {factor name: value, '_sample': row}."""
    factors = list(spec.factors)
    if spec.design.method == "grid":
        if not factors:
            return [{"_sample": 0}]
        grids = [f.grid_values() for f in factors]
        return [
            {"_sample": i, **{f.name: _py(v) for f, v in zip(factors, combo)}}
            for i, combo in enumerate(itertools.product(*grids))
        ]
    rng_factors = [f for f in factors if f.is_range]
    fixed_factors = [f for f in factors if not f.is_range]  # (rejected by validation; kept for safety)
    if fixed_factors:
        raise ValueError("sampled designs take ranges only")
    x = sample_matrix(spec)
    points = []
    for i, row in enumerate(x):
        p = {"_sample": i}
        for f, v in zip(rng_factors, row):
            v = float(v)
            if f.kind == "int":
                v = int(round(v))
            p[f.name] = v
        points.append(p)
    return points


def _py(v):
    if isinstance(v, np.generic):
        return v.item()
    return v
