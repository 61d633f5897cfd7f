"""Results on disk: Parquet chunks, resume and provenance.

Layout of a results directory::

    DIR/
      spec.toml          the spec as written by the user
      provenance.json    spec hash, package version, git commit, library versions,
                         parameter defaults and scenarios, design problem, and a log
                         of every invocation (backend, workers, runs done/failed)
      plan.parquet       every planned run: run_id, point_id, sample, scenario, seed,
                         steps, the factor values, parameter overrides and levers (JSON)
      runs/part-*.parquet    one row per finished run: run_id, status ("ok"/"failed"),
                         error, elapsed_s, worker, finished_at, then "<column>.<stat>"
      series/part-*.parquet  per-week series: run_id, week, one column per output

Each chunk is written to a temporary name and renamed, so a chunk is either
complete or absent, even after SIGKILL. A run counts as stored once its row is
in ``runs/``; series rows of runs without a ``runs/`` row are ignored on load.
At the end of a sweep the chunks are merged (newest copy of a run wins).
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .base import SpecError
from .objects import Spec

__all__ = ["ResultStore", "load_results", "load_series", "load_plan", "load_provenance", "package_info"]

_RUN_META = [
    ("run_id", pa.string()),
    ("status", pa.string()),
    ("error", pa.string()),
    ("elapsed_s", pa.float64()),
    ("worker", pa.string()),
    ("finished_at", pa.float64()),
]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _atomic_write_table(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _git_info(path: Path) -> dict:
    """Commit and dirty flag of the git checkout holding ``path``, if any."""
    try:
        top = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5)
        if top.returncode != 0:
            return {"git_commit": None}
        dirty = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
        return {"git_commit": top.stdout.strip(), "git_dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": None}


def package_info() -> dict:
    """Version of hls_abm and of the libraries that decide the numbers, plus git commit."""
    from importlib import metadata

    import hls_abm

    info = {"hls_abm": getattr(hls_abm, "__version__", None)}
    for dist in ("hls-abm", "mesa", "numpy", "pandas", "pyarrow", "SALib", "dask", "distributed", "networkx"):
        try:
            info[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            info[dist] = None
    if not info["hls_abm"]:
        info["hls_abm"] = info.get("hls-abm")
    info.update(_git_info(Path(hls_abm.__file__).resolve().parent))
    info["python"] = sys.version.split()[0]
    info["platform"] = platform.platform()
    return info


def _model_defaults() -> dict:
    """The model's parameter defaults and scenario overrides, as provenance.json stores them."""
    from hls_abm import PARAMS, SCENARIOS

    return json.loads(json.dumps({"parameter_defaults": {k: p.default for k, p in PARAMS.items()},
                                  "scenario_overrides": SCENARIOS}, default=str))


def _changed_defaults(prov: dict, shown: int = 3) -> str:
    """What differs between the defaults a store's runs were made with and the model's now ("" if nothing,
    or if the store predates the record). The spec's identity covers what the spec sets; a recalibration
    changes what it leaves to the defaults, and the stored runs would then mix two models."""
    now = _model_defaults()
    diffs = []
    for key in ("parameter_defaults", "scenario_overrides"):
        if key not in prov:
            continue
        old, new = prov[key], now[key]
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                diffs.append(f"{name} {old.get(name, '(none)')} -> {new.get(name, '(none)')}")
    if not diffs:
        return ""
    more = f", and {len(diffs) - shown} more" if len(diffs) > shown else ""
    return ", ".join(diffs[:shown]) + more


class ResultStore:
    """Writer side of a results directory (one sweep driver at a time, enforced by a lock)."""

    def __init__(self, root: Path, spec: Spec, summary_columns: list[str], series_columns: list[str]):
        self.root = root
        self.spec = spec
        self.runs_dir = root / "runs"
        self.series_dir = root / "series"
        self.run_schema = pa.schema(_RUN_META + [(c, pa.float64()) for c in summary_columns])
        self.series_schema = pa.schema([("run_id", pa.string()), ("week", pa.int32())]
                                       + [(c, pa.float64()) for c in series_columns])
        self._summary_columns = summary_columns
        self._series_columns = series_columns
        self._lock_fh = None
        self._seq = 0
        self._invocation: dict | None = None

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open_for_sweep(cls, out, spec: Spec, plan: list[dict]) -> "ResultStore":
        """Check ``out`` can hold this spec's results (before writing anything), then set it up."""
        root = Path(out)
        prov_path = root / "provenance.json"
        if root.exists() and not root.is_dir():
            raise SpecError(f"--out {root}: exists and is not a directory")
        if root.exists() and any(root.iterdir()) and not prov_path.exists():
            raise SpecError(f"--out {root}: the directory is not empty and holds no sweep results;"
                            " choose a new or empty directory")
        prov = None
        if prov_path.exists():
            prov = json.loads(prov_path.read_text())
            old = prov.get("spec", {}).get("identity_hash")
            if old != spec.identity_hash():
                raise SpecError(
                    f"--out {root}: holds results of a different spec ({prov.get('spec', {}).get('name')!r},"
                    " changed scenarios, parameters, design, seeds, steps, levers or outputs);"
                    " use a new --out directory to run a changed spec"
                )
            changed = _changed_defaults(prov)
            if changed:
                raise SpecError(
                    f"--out {root}: holds runs made with other model defaults ({changed}); resuming would mix"
                    " runs of two models in one table; use a new --out directory"
                )
            stored = prov.get("spec", {}).get("outputs_hash")
            if stored is not None and stored != spec.outputs_hash():
                raise SpecError(
                    f"--out {root}: holds results with other summary columns than this spec now gives"
                    " (the model's output columns changed since, and the spec has no [outputs.summaries]);"
                    " use a new --out directory, or list the stored summaries under [outputs.summaries]"
                )
        store = cls(root, spec, spec.outputs.summary_columns(), list(spec.outputs.series))
        root.mkdir(parents=True, exist_ok=True)
        store._acquire_lock()
        store.runs_dir.mkdir(exist_ok=True)
        if spec.outputs.series:
            store.series_dir.mkdir(exist_ok=True)
        for d in (root, store.runs_dir, store.series_dir):  # leftovers of a killed writer
            if d.is_dir():
                for tmp in d.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
        if prov is None:
            (root / "spec.toml").write_text(spec.source_text)
            store._write_plan(plan)
            prov = store._new_provenance(plan)
            store._write_provenance(prov)
        else:
            if not (root / "plan.parquet").exists():
                store._write_plan(plan)
            if prov["spec"].get("text") != spec.source_text:  # same runs; new [analysis] hints or comments
                prov["spec"].update(text=spec.source_text, parsed=spec.raw, description=spec.description)
                (root / "spec.toml").write_text(spec.source_text)
                store._write_provenance(prov)
        store.prov = prov
        return store

    def _acquire_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; one driver per directory is on the user
            return
        fh = open(self.root / ".lock", "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise SpecError(f"--out {self.root}: another sweep is writing to this directory right now") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{socket.gethostname()} {os.getpid()}\n")
        fh.flush()
        self._lock_fh = fh

    def close(self) -> None:
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    def _write_plan(self, plan: list[dict]) -> None:
        import pandas as pd

        rows = []
        for r in plan:
            row = {"run_id": r["run_id"], "point_id": r["point_id"], "sample": r["sample"],
                   "scenario": r["scenario"], "seed": r["seed"], "steps": r["steps"]}
            row.update(r["factors"])
            row["params_json"] = json.dumps(r["params"], sort_keys=True)
            row["levers_json"] = json.dumps(r["levers"])
            rows.append(row)
        df = pd.DataFrame(rows)
        _atomic_write_table(pa.Table.from_pandas(df, preserve_index=False), self.root / "plan.parquet")

    def _new_provenance(self, plan: list[dict]) -> dict:
        from hls_abm import PARAMS, SCENARIOS

        spec = self.spec
        return {
            "format": 1,
            "created_at": _now(),
            "spec": {
                "name": spec.name,
                "description": spec.description,
                "path": spec.source_path,
                "identity_hash": spec.identity_hash(),
                "outputs_hash": spec.outputs_hash(),
                "text": spec.source_text,
                "parsed": spec.raw,
            },
            "package": package_info(),
            "model": spec.model,
            "design": {
                "method": spec.design.method,
                "samples": spec.design.samples,
                "trajectories": spec.design.trajectories,
                "levels": spec.design.levels,
                "second_order": spec.design.second_order,
                "seed": spec.design.seed,
                "problem": spec.problem(),
                "factors": [f.name for f in spec.factors],
                "seeds": list(spec.seeds),
                "scenarios": list(spec.scenarios),
                "steps": spec.steps,
                "n_points": len({r["point_id"] for r in plan}),
                "n_runs": len({r["run_id"] for r in plan}),
                "n_plan_rows": len(plan),
            },
            "outputs": spec.outputs.as_dict(),
            "parameter_defaults": {k: p.default for k, p in PARAMS.items()},
            "scenario_overrides": SCENARIOS,
            "invocations": [],
        }

    def _write_provenance(self, prov: dict) -> None:
        _atomic_write_bytes(self.root / "provenance.json", json.dumps(prov, indent=1, default=str).encode())

    # -- invocations -------------------------------------------------------------------------
    def begin(self, **info) -> None:
        inv = {"started_at": _now(), "host": socket.gethostname(), "pid": os.getpid(),
               "argv": sys.argv, "package": package_info(), **info}
        self.prov.setdefault("invocations", []).append(inv)
        self._invocation = inv
        self._write_provenance(self.prov)

    def note_backend(self, desc: dict) -> None:
        if self._invocation is not None:
            self._invocation["backend_detail"] = desc
            self._write_provenance(self.prov)

    def end(self, **info) -> None:
        if self._invocation is not None:
            self._invocation.update(finished_at=_now(), **info)
            self._write_provenance(self.prov)

    # -- runs --------------------------------------------------------------------------------
    def done_run_ids(self, include_failed: bool = True) -> set:
        """run_ids already stored (``ok``; also ``failed`` unless retrying failures)."""
        done: set = set()
        for f in sorted(self.runs_dir.glob("part-*.parquet")):
            t = pq.read_table(f, columns=["run_id", "status"])
            ids = t.column("run_id").to_pylist()
            st = t.column("status").to_pylist()
            for i, s in zip(ids, st):
                if s == "ok" or include_failed:
                    done.add(i)
                else:
                    done.discard(i)
        return done

    def _part_name(self) -> str:
        self._seq += 1
        return f"part-{time.time_ns():020d}-{os.getpid()}-{self._seq:06d}.parquet"

    def write(self, results: list[dict]) -> None:
        """Store a batch of run results: series chunk first, then the runs chunk (the commit)."""
        if not results:
            return
        name = self._part_name()
        if self._series_columns:
            cols: dict = {c: [] for c in self.series_schema.names}
            import numpy as np

            for r in results:
                s = r.get("series")
                if r["status"] != "ok" or not s:
                    continue
                n = len(s["week"])
                cols["run_id"].append(np.full(n, r["run_id"], dtype=object))
                for c in self.series_schema.names[1:]:
                    cols[c].append(np.asarray(s[c]))
            if cols["run_id"]:
                arrays = [pa.array(np.concatenate(cols[c]), type=self.series_schema.field(c).type)
                          for c in self.series_schema.names]
                _atomic_write_table(pa.Table.from_arrays(arrays, schema=self.series_schema),
                                    self.series_dir / name)
        cols = {c: [] for c in self.run_schema.names}
        for r in results:
            for c, _ in _RUN_META:
                cols[c].append(r.get(c))
            summ = r.get("summary") or {}
            for c in self._summary_columns:
                cols[c].append(summ.get(c))
        table = pa.Table.from_pydict(cols, schema=self.run_schema)
        _atomic_write_table(table, self.runs_dir / name)

    def compact(self) -> None:
        """Merge the chunks of runs/ and series/ into one file each (newest copy of a run wins)."""
        runs_files = sorted(self.runs_dir.glob("part-*.parquet"))
        if len(runs_files) > 1:
            keep = _compact_dir(self.runs_dir, runs_files, self.run_schema)
        else:
            keep = None
        if self._series_columns and self.series_dir.is_dir():
            sfiles = sorted(self.series_dir.glob("part-*.parquet"))
            if len(sfiles) > 1:
                ok_ids = keep if keep is not None else _ok_ids(runs_files)
                _compact_dir(self.series_dir, sfiles, self.series_schema, only_ids=ok_ids)


def _ok_ids(files) -> set:
    ids: set = set()
    for f in files:
        t = pq.read_table(f, columns=["run_id", "status"])
        for i, s in zip(t.column("run_id").to_pylist(), t.column("status").to_pylist()):
            if s == "ok":
                ids.add(i)
    return ids


def _compact_dir(d: Path, files: list[Path], schema: pa.Schema, only_ids: set | None = None) -> set:
    """Stream ``files`` (oldest first) into one file, newest copy of each run_id winning.

    Returns the run_ids with status ``ok`` that were kept (for runs/)."""
    seen: set = set()
    ok: set = set()
    out_name = f"part-{time.time_ns():020d}-{os.getpid()}-compact.parquet"
    tmp = d / f".{out_name}.tmp"
    writer = pq.ParquetWriter(tmp, schema, compression="zstd")
    try:
        for f in reversed(files):
            t = pq.read_table(f).select(schema.names).cast(schema)
            ids = t.column("run_id").to_pylist()
            mask = [i not in seen and (only_ids is None or i in only_ids) for i in ids]
            new = set(ids)
            if not all(mask):
                t = t.filter(pa.array(mask))
            if "status" in schema.names:
                st = t.column("status").to_pylist()
                ok.update(i for i, s in zip(t.column("run_id").to_pylist(), st) if s == "ok")
            if t.num_rows:
                writer.write_table(t)
            seen |= new
    finally:
        writer.close()
    os.replace(tmp, d / out_name)
    for f in files:
        f.unlink(missing_ok=True)
    return ok


# --------------------------------------------------------------------------------------------
# reading


def load_provenance(root) -> dict:
    p = Path(root) / "provenance.json"
    if not p.exists():
        raise FileNotFoundError(f"{root} is not a sweep results directory (no provenance.json)")
    return json.loads(p.read_text())


def load_plan(root):
    """Every planned run (run_id, point_id, sample, scenario, seed, steps, factors, params_json, levers_json)."""
    return pq.read_table(Path(root) / "plan.parquet").to_pandas()


def _read_parts(d: Path, columns=None, filters=None):
    import pandas as pd

    files = sorted(d.glob("part-*.parquet"))
    frames = []
    for i, f in enumerate(files):
        t = pq.read_table(f, columns=columns, filters=filters)
        df = t.to_pandas()
        df["_part"] = i
        frames.append(df)
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)


def load_results(root, status: str = "all", with_plan: bool = True):
    """Per-run results of a sweep directory as a pandas DataFrame.

    One row per stored run (the newest copy if a run was retried): the plan
    columns (scenario, seed, point_id, sample, factor values), then status,
    error, elapsed_s, worker and the summary columns ``<output>.<stat>``.
    ``status`` = "all" | "ok" | "failed".
    """
    import pandas as pd

    root = Path(root)
    load_provenance(root)
    runs = _read_parts(root / "runs")
    plan = load_plan(root) if with_plan else None
    if runs is None:
        cols = list(plan.columns) if plan is not None else []
        empty = pd.DataFrame(columns=cols + [c for c, _ in _RUN_META if c != "run_id"])
        _tag(empty, root)
        return empty
    runs = runs.sort_values("_part", kind="stable").drop_duplicates("run_id", keep="last")
    runs = runs.drop(columns="_part")
    if status != "all":
        runs = runs[runs["status"] == status]
    if plan is not None:
        plan = plan.drop(columns=["params_json", "levers_json"], errors="ignore")
        runs = plan.merge(runs, on="run_id", how="inner")
    runs = runs.reset_index(drop=True)
    _tag(runs, root)
    return runs


def _tag(df, root) -> None:
    """Remember which columns are factors and which are summary outputs (used by the analysis)."""
    prov = load_provenance(root)
    df.attrs["factors"] = list(prov.get("design", {}).get("factors", []))
    summ = prov.get("outputs", {}).get("summaries", {})
    df.attrs["outputs"] = [f"{c}.{st}" for c, stats in summ.items() for st in stats]


def load_series(root, columns=None, run_ids=None, with_plan: bool = True):
    """Per-week series of the successful runs, long format: run_id, week, outputs (+ plan columns)."""
    root = Path(root)
    sd = root / "series"
    cols = None if columns is None else ["run_id", "week", *columns]
    filters = [("run_id", "in", list(run_ids))] if run_ids is not None else None
    s = _read_parts(sd, columns=cols, filters=filters) if sd.is_dir() else None
    if s is None:
        raise FileNotFoundError(f"{root} has no series: list columns under [outputs] series = [...] in the spec")
    ok = load_results(root, status="ok", with_plan=with_plan)
    # newest copy of a run's series wins; drop orphans (series written, run row not)
    last_part = s.groupby("run_id")["_part"].transform("max")
    s = s[s["_part"] == last_part].drop(columns="_part")
    s = s[s["run_id"].isin(set(ok["run_id"]))]
    if with_plan:
        meta_cols = [c for c in ok.columns if c in ("run_id", "point_id", "sample", "scenario", "seed")
                     or c in _factor_columns(root)]
        s = s.merge(ok[meta_cols], on="run_id", how="left")
    return s.sort_values(["run_id", "week"]).reset_index(drop=True)


def _factor_columns(root) -> list:
    return load_provenance(root).get("design", {}).get("factors", [])
