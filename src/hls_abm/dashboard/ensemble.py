""""How sure are we?": the same run in other towns (seeds), in the background.

An :class:`Ensemble` builds :data:`EXTRA_SEEDS` more pairs of twin worlds with
the shown run's settings but other seeds, and replays the shown run's
interventions on them at the same weeks. It runs in one background thread
that never gets ahead of the shown run and rests as long as it works
(:data:`DUTY`), so it uses at most about half of one core and never holds up
the page's own play loop (it takes no lock the play loop takes). The page
shades the range of total cost so far over all towns; the ensemble is freed
with the tab (or when switched off).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

import numpy as np

from .theme import WORLDS

log = logging.getLogger(__name__)

#: How many other towns (seeds) run beside the shown pair.
EXTRA_SEEDS = 8
#: Share of one core the background runs may use (work, then rest as long again).
DUTY = 0.5
THREAD = "hls-abm-sure"


class _Town:
    def __init__(self, models: dict[str, Any]):
        self.models = models
        self.cost: dict[str, list[float]] = {w: [] for w in WORLDS}
        self.applied = 0  # interventions of the shown run replayed so far
        self.record()

    @property
    def week(self) -> int:
        return int(self.models["npm"].week)

    def record(self) -> None:
        for w, m in self.models.items():
            prev = self.cost[w][-1] if self.cost[w] else 0.0
            self.cost[w].append(prev + float(m.latest_metrics()["total_cost"]))


class Ensemble:
    """Extra towns for the controller ``ctrl``'s current settings; call :meth:`stop` to free them."""

    def __init__(self, ctrl: Any, towns: int = EXTRA_SEEDS, duty: float = DUTY):
        self.ctrl = ctrl
        self.n_towns = int(towns)
        self.duty = float(duty)
        self.towns: list[_Town] = []
        self.error: str | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, args=(ctrl.settings,), name=THREAD, daemon=True)
        self._thread.start()

    def _rest(self, worked_s: float) -> None:
        self._stop.wait(worked_s * (1.0 - self.duty) / self.duty)

    def _seeds(self, settings) -> list[str]:
        base = settings.seed_value
        return [str((base + 7919 * (k + 1)) % (2**63)) for k in range(self.n_towns)]

    def _run(self, settings) -> None:
        try:
            for seed in self._seeds(settings):
                if self._stop.is_set():
                    return
                t0 = time.perf_counter()
                npm, local = self.ctrl.factory(replace(settings, seed=seed))
                town = _Town({"npm": npm, "local_teams": local})
                with self._lock:
                    self.towns.append(town)
                self._rest(time.perf_counter() - t0)
            while not self._stop.is_set():
                t0 = time.perf_counter()
                if not self._advance():
                    self._stop.wait(0.2)  # caught up with the shown run
                    continue
                self._rest(time.perf_counter() - t0)
        except Exception as exc:  # the shown run carries on without the band
            log.exception("background towns failed")
            self.error = f"The other towns stopped: {exc.__class__.__name__}"

    def _replay(self, town: _Town) -> None:
        ivs = list(self.ctrl.interventions)
        while town.applied < len(ivs) and ivs[town.applied].week <= town.week:
            iv = ivs[town.applied]
            if iv.source == "user" and iv.week == town.week:
                for w in (WORLDS if iv.target == "both" else (iv.target,)):
                    town.models[w].apply_lever(iv.lever, **iv.kwargs)
            town.applied += 1

    def _advance(self) -> bool:
        """One week for the town furthest behind the shown run; False when all have caught up."""
        target = self.ctrl.week
        behind = [t for t in self.towns if t.week < target]
        for t in self.towns:
            self._replay(t)
        if not behind:
            return False
        town = min(behind, key=lambda t: t.week)
        self._replay(town)
        for m in town.models.values():
            m.step()
        with self._lock:
            town.record()
        return True

    def progress(self) -> dict[str, int]:
        with self._lock:
            return {"towns": len(self.towns), "week": min((t.week for t in self.towns), default=0)}

    def band(self) -> tuple[dict[str, dict[str, np.ndarray]], int]:
        """Per world, the lowest and highest total cost so far over every town and the shown run,
        for the weeks all towns have reached; and how many runs that is."""
        with self._lock:
            if not self.towns:
                return {}, 0
            k = min(len(t.cost["npm"]) for t in self.towns)
            runs = {w: [np.asarray(t.cost[w][:k]) for t in self.towns] for w in WORLDS}
        out = {}
        for w in WORLDS:
            shown = np.cumsum(np.nan_to_num(np.asarray(self.ctrl.history[w].get("total_cost", [])[:k], dtype=float)))
            stack = np.vstack(runs[w] + ([shown] if len(shown) == k else []))
            out[w] = {"lo": stack.min(axis=0), "hi": stack.max(axis=0)}
        return out, len(self.towns) + 1

    def stop(self) -> None:
        """Stop the background thread and free the towns."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(10.0)
        with self._lock:
            self.towns = []
