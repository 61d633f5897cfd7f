"""The calibration loop: Optuna asks for parameter draws, the sweep backends run them, Optuna is told.

Each draw runs twin worlds on every seed of the targets file; its score is the sum over targets
of the squared distance of the seed-mean observable from the target's band (in band widths): 0
when every target is in its band. A draw with score 0 is *accepted*; the accepted draws are the
ABC-rejection set over which the report gives bands.

Determinism: draws are asked in batches of fixed size (``[search] batch``); the sampler of batch
``b`` is a TPE sampler seeded from ``(seed, b)``, and a batch is told in trial order only once all
of it has run. So the draws and their scores depend on the seed and the targets file, never on the
backend, the number of workers or the order in which evaluations finish.

Resume: the study is an Optuna journal file (``study.journal``) and every finished evaluation (one
draw on one seed) is appended to ``evaluations.jsonl`` as it arrives. A resumed calibration reuses
both: draws asked but not told are run for their missing seeds and told; a batch that was being
asked when the calibration stopped is asked again from its seeded sampler (same draws).
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from .observables import OBSERVABLES, observables
from .targets import Targets

__all__ = ["CalibrationError", "Interrupted", "Calibration", "calibrate", "evaluate_batch", "rescore", "target_value"]

JOURNEY_OBSERVABLES = ("rereferral_12m", "crisis_rate_complex")
STUDY = "study.journal"
EVALS = "evaluations.jsonl"
META = "meta.json"
_STOP = threading.Event()


class CalibrationError(RuntimeError):
    """A calibration that cannot start (bad directory, mismatched resume)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM: what was computed is kept; resume with ``resume=True``."""


# --------------------------------------------------------------------------------------------
# one evaluation (worker side: plain data in, plain data out)


def _needs(targets: Targets) -> dict:
    """Observables each world must report."""
    need: dict = {"npm": set(), "local_teams": set()}
    for t in targets.observed:
        for system in (("npm", "local_teams") if t.system == "ratio" else (t.system,)):
            need[system].add(t.key)
    return {k: sorted(v) for k, v in need.items()}


def _evaluate(task: dict) -> dict:
    from hls_abm import twin_worlds  # noqa: PLC0415

    t0 = time.perf_counter()
    s = task["settings"]
    out = {"trial": task["trial"], "seed": task["seed"]}
    try:
        journeys = any(o in JOURNEY_OBSERVABLES for names in task["needs"].values() for o in names)
        worlds = twin_worlds(n_citizens=s["n_citizens"], rng=task["seed"], record_events=journeys,
                             **s["fixed"], **task["params"])
        for system, model in zip(("npm", "local_teams"), worlds):
            model.run_for(s["weeks"])
            out[system] = observables(model, task["needs"][system], s["rereferral_window"])
        out["error"] = None
    except Exception as err:  # noqa: BLE001 - a failing draw is data, not a crash
        if _STOP.is_set():
            raise KeyboardInterrupt from err
        out["error"] = f"{type(err).__name__}: {err}"
    out["elapsed_s"] = time.perf_counter() - t0
    return out


def _tasks(targets: Targets, draws: dict, seeds) -> list[dict]:
    """One evaluation task per draw (trial number -> parameters) and seed: what a worker runs."""
    needs, settings = _needs(targets), targets.run_settings()
    return [{"trial": t, "seed": s, "params": dict(p), "settings": settings, "needs": needs}
            for t, p in draws.items() for s in seeds]


def evaluate_batch(tasks: list[dict]) -> list[dict]:
    """The backend task: evaluate each (draw, seed) of a batch."""
    return [_evaluate(t) for t in tasks]


def target_value(target, result: dict) -> float:
    """A target's value in one evaluation: one world's observable, or local teams' over NPM's."""
    if result.get("error"):
        return math.nan
    if target.system == "ratio":
        den = result["npm"][target.key]
        return result["local_teams"][target.key] / den if den else math.nan
    return result[target.system][target.key]


# --------------------------------------------------------------------------------------------
# the driver


@dataclass
class Calibration:
    """What a calibration found: its directory, the study, every evaluation and the session's time."""

    out: Path
    targets: Targets
    study: object
    evaluations: dict  # (trial, seed) -> result
    wall_s: float
    complete: bool


def _on_signal(signum, frame):
    _STOP.set()
    raise Interrupted


def _install_handlers() -> dict:
    old = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            old[sig] = signal.signal(sig, _on_signal)
    return old


def _restore_handlers(old: dict) -> None:
    for sig, handler in old.items():
        signal.signal(sig, handler)


def _check_dir(out: Path, targets: Targets, resume: bool) -> dict | None:
    """Check the directory without writing anything; the metadata of the calibration to resume."""
    meta_path = out / META
    if resume:
        if not meta_path.exists():
            raise CalibrationError(f"--resume: {out} holds no calibration to resume (no {META})")
        meta = json.loads(meta_path.read_text())
        if meta.get("targets_digest") != targets.digest:
            raise CalibrationError(f"--resume: {out} was calibrated with another targets file "
                                   f"({meta.get('targets_path')}); use the same file or another --out")
        return meta
    if out.exists() and any(out.iterdir()):
        raise CalibrationError(f"--out {out}: not empty; pass --resume to continue it, or choose another directory")
    return None


def _start_dir(out: Path, targets: Targets) -> dict:
    """A new calibration's directory: the targets file and the metadata."""
    meta_path = out / META
    out.mkdir(parents=True, exist_ok=True)
    (out / "targets.toml").write_text(targets.text)
    meta = {"targets_digest": targets.digest, "targets_path": targets.path, "sessions": []}
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta


def _load_evaluations(path: Path) -> dict:
    found = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a kill: run it again
                continue
            found[(r["trial"], r["seed"])] = r
    return found


def _distributions(targets: Targets) -> dict:
    from optuna.distributions import FloatDistribution, IntDistribution  # noqa: PLC0415

    return {n: IntDistribution(int(lo), int(hi)) if kind == "int" else FloatDistribution(lo, hi)
            for n, (lo, hi, kind) in targets.parameters.items()}


def _batch_trials(study, targets: Targets, b: int, size: int, evals: dict) -> list:
    """Batch ``b``'s trials: those already asked, or ``size`` new ones from its seeded sampler."""
    import optuna  # noqa: PLC0415
    from optuna.trial import TrialState  # noqa: PLC0415

    # A trial told FAIL is either a draw that failed (its evaluations are stored: it belongs to the
    # batch) or one dropped below because its batch was only partly asked (never run, nothing stored).
    ran = {trial for trial, _seed in evals}
    mine = [t for t in study.get_trials(deepcopy=False)
            if t.user_attrs.get("batch") == b and (t.state != TrialState.FAIL or t.number in ran)]
    if len(mine) == size:
        return sorted(mine, key=lambda t: t.number)
    for t in mine:  # asked only in part when the calibration stopped: ask the batch again
        if t.state == TrialState.RUNNING:
            study.tell(t.number, state=TrialState.FAIL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.sampler = optuna.samplers.TPESampler(seed=targets.seed * 1_000_003 + b, multivariate=True,
                                                   n_startup_trials=targets.startup, constant_liar=True)
    dists = _distributions(targets)
    for slot in range(size):
        trial = study.ask(fixed_distributions=dists)
        trial.set_user_attr("batch", b)
        trial.set_user_attr("slot", slot)
    return sorted((t for t in study.get_trials(deepcopy=False)
                   if t.user_attrs.get("batch") == b and t.state == TrialState.RUNNING), key=lambda t: t.number)


def score(targets: Targets, results: list[dict]) -> tuple[float, dict]:
    """A draw's score (0 = every target in its band) and its seed-mean value per target."""
    means = {}
    total = 0.0
    for t in targets.targets:
        vals = [target_value(t, r) for r in results]
        mean = math.fsum(vals) / len(vals) if vals and all(v == v for v in vals) else math.nan
        means[t.name] = mean
        total += t.distance(mean) ** 2
    return total, means


def rescore(targets: Targets, draws: dict[int, dict], seeds, backend: str = "serial",
            workers: int | None = None) -> dict[int, tuple[float, dict]]:
    """Each draw's score and target means on ``seeds`` (e.g. seeds the search never saw), run as the
    search runs a draw: ``draws`` maps a trial number to its parameters. With no draw accepted the
    search ships its best-scoring draw, and a best of hundreds of draws on two seeds can owe its rank
    to those seeds; the same draws on other seeds show whether it does."""
    from hls_abm.sweep.backends import make_backend  # noqa: PLC0415

    results: dict = {t: [] for t in draws}
    with make_backend(backend, workers=workers) as be:
        for batch, res in be.imap(evaluate_batch, [[task] for task in _tasks(targets, draws, seeds)]):
            res = [_lost(task, res) for task in batch] if isinstance(res, BaseException) else res
            for r in res:
                results[r["trial"]].append(r)
    return {t: (math.nan, {}) if any(r.get("error") for r in rs) else score(targets, rs) for t, rs in results.items()}


def _lost(task: dict, err: BaseException) -> dict:
    """A failed evaluation for a task the backend gave up on, as the sweep records a failed run.

    A worker lost while it ran a task is not a failure: Dask reruns the task on another worker and
    the pool reruns it alone in a fresh pool. The backend gives up only when the task itself looks
    like the cause (Dask's KilledWorker: every worker that ran it died; the pool: its worker died
    while it ran alone). Like a draw whose model raises, the draw is told as failed and the
    calibration goes on; the evaluation is stored, so a resume does not run it again."""
    return {"trial": task["trial"], "seed": task["seed"], "error": f"lost by the backend: {type(err).__name__}: {err}",
            "elapsed_s": math.nan}


def _run_batch(study, targets, trials, evals, backend, fh, bar) -> None:
    from optuna.trial import TrialState  # noqa: PLC0415

    pending = [t for t in trials if t.state == TrialState.RUNNING]
    tasks = [task for task in _tasks(targets, {t.number: t.params for t in pending}, targets.seeds)
             if (task["trial"], task["seed"]) not in evals]
    bar.update(len(pending) * len(targets.seeds) - len(tasks))
    for batch, res in backend.imap(evaluate_batch, [[task] for task in tasks]):
        if isinstance(res, BaseException):  # the backend gave up on the task (see _lost)
            if _STOP.is_set():  # e.g. SIGTERM to the process group killed the workers: resume runs it
                raise KeyboardInterrupt from res
            res = [_lost(task, res) for task in batch]
        for r in res:
            evals[(r["trial"], r["seed"])] = r
            fh.write(json.dumps(r) + "\n")
            fh.flush()
            bar.update(1)
    for t in sorted(pending, key=lambda t: t.number):
        results = [evals[(t.number, s)] for s in targets.seeds]
        if any(r.get("error") for r in results):
            study.tell(t.number, state=TrialState.FAIL)
        else:
            study.tell(t.number, score(targets, results)[0])


def calibrate(targets: Targets, out, backend: str = "serial", workers: int | None = None,
              budget: int | None = None, resume: bool = False, progress: bool = True,
              scheduler: str | None = None, dask_local: int | None = None) -> Calibration:
    """Run (or resume) a calibration into ``out``; returns what it found. Raises Interrupted on
    Ctrl-C/SIGTERM (everything finished so far is kept) and CalibrationError if it cannot start.
    ``backend="dask"`` joins ``scheduler="tcp://host:8786"`` or starts a LocalCluster of ``dask_local``
    (default: ``workers``, else all cores) worker processes, as the sweep does."""
    from hls_abm.sweep.backends import make_backend  # noqa: PLC0415

    out = Path(out)
    budget = budget or targets.budget
    if (scheduler or dask_local) and backend != "dask":
        raise CalibrationError(f"scheduler/dask_local need backend 'dask', not {backend!r}")
    meta = _check_dir(out, targets, resume)
    t0 = time.perf_counter()  # the session's wall time includes joining or starting the workers
    # Join the workers before writing anything: an unreachable scheduler leaves no directory behind
    # that the next attempt would have to --resume.
    with make_backend(backend, workers=workers, scheduler=scheduler, dask_local=dask_local) as be:
        meta = meta or _start_dir(out, targets)
        return _search(targets, out, meta, be, budget, progress, t0, backend, workers, scheduler, dask_local)


def _search(targets, out, meta, be, budget, progress, t0, backend, workers, scheduler, dask_local) -> Calibration:
    """The search loop on an open backend (see :func:`calibrate`)."""
    import optuna  # noqa: PLC0415
    from optuna.storages import JournalStorage  # noqa: PLC0415
    from optuna.storages.journal import JournalFileBackend  # noqa: PLC0415
    from tqdm.auto import tqdm  # noqa: PLC0415

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(out / STUDY)))
    study = optuna.create_study(storage=storage, study_name="calibration", direction="minimize", load_if_exists=True)
    evals = _load_evaluations(out / EVALS)
    n_batches = math.ceil(budget / targets.batch)
    _STOP.clear()
    old = _install_handlers()
    complete = False
    bar = tqdm(total=budget * len(targets.seeds), unit="eval", desc="calibrate", disable=not progress)
    try:
        with open(out / EVALS, "a") as fh:
            for b in range(n_batches):
                size = min(targets.batch, budget - b * targets.batch)
                trials = _batch_trials(study, targets, b, size, evals)
                _run_batch(study, targets, trials, evals, be, fh, bar)
        complete = True
    except KeyboardInterrupt as err:
        raise Interrupted from err
    finally:
        bar.close()
        _restore_handlers(old)
        wall = time.perf_counter() - t0
        where = {"scheduler": scheduler} if scheduler else {"dask_local": dask_local} if dask_local else {}
        meta["sessions"].append({"backend": backend, "workers": workers, **where, "budget": budget,
                                 "wall_s": round(wall, 2),
                                 "complete": complete, "finished_at": time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                                                                    time.gmtime())})
        (out / META).write_text(json.dumps(meta, indent=1))
    return Calibration(out, targets, study, evals, wall, complete)


def open_calibration(out, targets: Targets) -> Calibration:
    """What a calibration directory holds so far (to report an interrupted calibration)."""
    import optuna  # noqa: PLC0415
    from optuna.storages import JournalStorage  # noqa: PLC0415
    from optuna.storages.journal import JournalFileBackend  # noqa: PLC0415

    out = Path(out)
    storage = JournalStorage(JournalFileBackend(str(out / STUDY)))
    study = optuna.load_study(study_name="calibration", storage=storage)
    return Calibration(out, targets, study, _load_evaluations(out / EVALS), 0.0, False)


assert set(JOURNEY_OBSERVABLES) <= set(OBSERVABLES)
