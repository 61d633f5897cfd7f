"""The runs whose outputs are pinned bit for bit in ``tests/data/reference_hashes.json``.

Every scenario, every lever (applied mid-run in both systems), twin worlds and a
recorded journey. ``test_reference_hashes.py`` compares each run against the stored
hash; a refactor must leave every hash unchanged. When behaviour changes on purpose,
regenerate with ``./dev python tests/reference_runs.py --write`` and say why in the
commit message.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HASHES = Path(__file__).parent / "data" / "reference_hashes.json"
N, WARMUP, WEEKS, LEVER_WEEK = 1200, 30, 40, 10


def frame_hash(df: pd.DataFrame) -> str:
    """SHA-256 of a DataFrame's columns, index and exact float bits."""
    h = hashlib.sha256()
    h.update(repr(list(df.columns)).encode())
    h.update(np.asarray(df.index).tobytes())
    for col in df.columns:
        values = df[col].to_numpy()
        h.update(values.astype(np.float64).tobytes() if values.dtype.kind in "fiub" else repr(list(values)).encode())
    return h.hexdigest()


def _run(scenario: str, lever: tuple[str, dict] | None = None, seed: int = 3, **overrides):
    from hls_abm import HLSModel

    m = HLSModel(scenario, n_citizens=N, rng=seed, warmup_weeks=WARMUP, **overrides)
    for week in range(1, WEEKS + 1):
        if lever is not None and week == LEVER_WEEK:
            m.apply_lever(lever[0], **lever[1])
        m.step()
    return m


def reference_runs() -> dict[str, callable]:
    """Name -> a function returning the DataFrame to hash."""
    from hls_abm import LEVERS, SCENARIOS, twin_worlds

    runs = {}
    for sc in SCENARIOS:
        extra = {"transition_start": 5, "transition_weeks": 20} if sc == "transition" else {}
        runs[f"scenario:{sc}"] = lambda sc=sc, extra=extra: _run(sc, **extra).metrics()
    for name, lever in LEVERS.items():
        for system in ("npm", "local_teams"):
            arg = {lever.arg: lever.default}
            runs[f"lever:{name}:{system}"] = lambda s=system, n=name, a=arg: _run(s, (n, a)).metrics()

    def twins():
        npm, local = twin_worlds(n_citizens=N, rng=11, warmup_weeks=WARMUP)
        npm.run_for(WEEKS)
        local.run_for(WEEKS)
        return pd.concat([npm.metrics(), local.metrics()], keys=["npm", "local"]).reset_index(drop=True)

    runs["twin_worlds"] = twins

    def journeys():
        frames = []
        for system in ("npm", "local_teams"):
            m = _run(system, ("budget_cut", {"percent": 20}), record_events=True)
            for c in (0, 17, 401, 999):
                j = m.journey(c).reset_index(drop=True)
                frames.append(j.astype(str))
                frames.append(m.needs_history(c).reset_index(drop=True))
        return pd.concat(frames, axis=1, ignore_index=True)

    runs["journeys"] = journeys
    runs["pilot_seed_as_text"] = lambda: _run("pilot", seed="5").metrics()
    return runs


def compute() -> dict[str, str]:
    return {name: frame_hash(f()) for name, f in reference_runs().items()}


if __name__ == "__main__":
    hashes = compute()
    if "--write" in sys.argv:
        HASHES.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
        print(f"wrote {len(hashes)} hashes to {HASHES}")
    else:
        print(json.dumps(hashes, indent=1, sort_keys=True))
