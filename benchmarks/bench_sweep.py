"""Benchmark of the sweep runner: runs per second on the serial, process-pool and Dask
backends, parallel efficiency, the runner's overhead per run over calling the model
directly, and the driver's peak memory as the number of runs grows.

    python benchmarks/bench_sweep.py                      # 200 runs of 1,000 citizens x 260 weeks
    python benchmarks/bench_sweep.py --runs 400 --backends pool,dask
    python benchmarks/bench_sweep.py --quick              # 40 small runs: a smoke test

What is measured:

* direct: the same runs as a plain loop, ``HLSModel(...)``, 260 x ``step()``, and
  ``get_model_vars_dataframe()``, in this process: the baseline.
* serial / pool / dask: ``run_sweep`` end to end (planning, task batching, summaries
  on the worker, Parquet chunks, provenance, final merge), wall-clock time. The pool
  and Dask times include starting their worker processes.
* parallel efficiency = (runs/s with W workers) / (W x runs/s serial).
* overhead per run = (serial sweep time - direct loop time) / runs, also as a share
  of the direct time per run (the target is under 5%). "bookkeeping" is the part of
  the serial sweep not spent inside the run function (sweep time - sum of per-run
  times), which does not depend on how fast the model happened to be.
* driver peak memory: the sweep driver's peak RSS (pool backend; its workers are
  separate processes) for sweeps of increasing size, each in a fresh process.

The machine's load average is printed: other processes on a shared machine slow
every figure down, the parallel ones most.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def spec_text(runs: int, citizens: int, weeks: int, series: bool = False, extra: str = "", seeds=None) -> str:
    reps = max(1, runs // 2)
    seeds = list(seeds) if seeds is not None else list(range(1000, 1000 + reps))
    s = f"""
[experiment]
name = "bench"
scenarios = ["npm", "local_teams"]
steps = {weeks}
seeds = {seeds}

[parameters]
n_citizens = {citizens}
{extra}

[outputs]
{'series = ["total_cost", "mean_wellbeing", "unmet_need"]' if series else ''}

[outputs.summaries]
total_cost = ["sum", "mean_last_52"] 
mean_wellbeing = ["mean", "final"]
crisis_events = ["sum"]
unmet_need = ["mean"]
"""
    if weeks < 52:
        s = s.replace('"mean_last_52"', f'"mean_last_{weeks}"')
    return s


def direct(runs: list[dict]) -> tuple[float, float]:
    """The baseline: the same runs as a plain loop over the model. Returns (wall s, CPU s)."""
    from hls_abm import HLSModel

    t0, c0 = time.perf_counter(), time.process_time()
    for r in runs:
        m = HLSModel(r["scenario"], rng=r["seed"], **r["params"])
        for _ in range(r["steps"]):
            m.step()
        m.datacollector.get_model_vars_dataframe()
    return time.perf_counter() - t0, time.process_time() - c0


def timed_sweep(spec: str, out: Path, backend: str, workers: int | None) -> tuple[float, float, float]:
    """run_sweep end to end. Returns (wall s, driver CPU s, sum of per-run times s)."""
    from hls_abm.sweep import run_sweep

    t0, c0 = time.perf_counter(), time.process_time()
    df = run_sweep(spec, out=out, backend=backend, workers=workers,
                   dask_local=workers if backend == "dask" else None, progress=False, quiet=True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    runs = df.drop_duplicates("run_id")
    assert (runs["status"] == "ok").all(), runs[runs["status"] != "ok"]["error"].iloc[0]
    return wall, cpu, float(runs["elapsed_s"].sum())


def serial_vs_direct(args, tmp: Path, rounds: int = 4) -> dict:
    """Direct loop and serial sweep over the same runs, interleaved in rounds (ABBA) so that
    changing load on the machine hits both alike. Each round is a separate sweep, so the
    sweep's fixed costs (planning, provenance, merging) are counted once per round."""
    from hls_abm.sweep import parse_spec, plan_runs

    reps = max(1, args.runs // 2)
    seeds = list(range(1000, 1000 + reps))
    rounds = max(1, min(rounds, reps))
    chunks = [seeds[i::rounds] for i in range(rounds)]
    tot = {"direct_wall": 0.0, "direct_cpu": 0.0, "sweep_wall": 0.0, "sweep_cpu": 0.0, "inside": 0.0, "runs": 0}
    direct(plan_runs(parse_spec(spec_text(2, args.citizens, args.weeks, seeds=[1])))[:1])  # warm up
    for i, chunk in enumerate(chunks):
        spec = spec_text(0, args.citizens, args.weeks, seeds=chunk)
        plan = plan_runs(parse_spec(spec))
        order = ("direct", "sweep") if i % 2 == 0 else ("sweep", "direct")
        for what in order:
            if what == "direct":
                w, c = direct(plan)
                tot["direct_wall"] += w
                tot["direct_cpu"] += c
            else:
                w, c, inside = timed_sweep(spec, tmp / f"serial{i}", "serial", None)
                tot["sweep_wall"] += w
                tot["sweep_cpu"] += c
                tot["inside"] += inside
        tot["runs"] += len(plan)
    return tot


def _rss_mb() -> float:
    """Current resident set size of this process in MB (Linux /proc; else the peak so far)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_probe(n_runs: int, workdir: str) -> None:
    """(In a fresh process.) Run a sweep of ``n_runs`` tiny runs; print the driver's RSS before and its peak during."""
    import threading

    from hls_abm.sweep import run_sweep

    spec = spec_text(n_runs, 50, 20, series=True, extra="warmup_weeks = 0")
    before = _rss_mb()
    peak = [before]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_mb())
            time.sleep(0.005)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    run_sweep(spec, out=Path(workdir) / f"mem{n_runs}", backend="pool", progress=False, quiet=True, load=False)
    stop.set()
    th.join()
    peak[0] = max(peak[0], _rss_mb())
    print(json.dumps({"runs": n_runs, "peak_rss_mb": peak[0], "rss_before_sweep_mb": before}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--citizens", type=int, default=1000)
    ap.add_argument("--weeks", type=int, default=260)
    ap.add_argument("--workers", type=int, default=None, help="pool/dask workers (default: all cores)")
    ap.add_argument("--backends", default="serial,pool,dask")
    ap.add_argument("--memory-sizes", default="250,1000,4000", help="sweep sizes for the memory check ('' to skip)")
    ap.add_argument("--quick", action="store_true", help="40 runs of 300 citizens x 52 weeks; memory 100,400")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--_memory-probe", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--_workdir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._memory_probe:
        memory_probe(args._memory_probe, args._workdir)
        return 0
    if args.quick:
        args.runs, args.citizens, args.weeks, args.memory_sizes = 40, 300, 52, "100,400"

    import hls_abm
    from hls_abm.sweep.backends import available_cores
    from hls_abm.sweep import parse_spec, plan_runs

    workers = args.workers or available_cores()
    backends = [b for b in args.backends.split(",") if b]
    spec = spec_text(args.runs, args.citizens, args.weeks)
    plan = plan_runs(parse_spec(spec))
    n = len(plan)
    results: dict = {"runs": n, "citizens": args.citizens, "weeks": args.weeks, "workers": workers,
                     "cores": available_cores(), "hls_abm": hls_abm.__version__, "python": sys.version.split()[0],
                     "load_before": os.getloadavg()}
    print(f"hls_abm {hls_abm.__version__}, Python {results['python']}, {results['cores']} cores; "
          f"load average {results['load_before'][0]:.2f}")
    print(f"{n} runs of {args.citizens} citizens x {args.weeks} weeks (scenarios npm + local_teams), "
          f"{workers} workers for pool/dask\n")

    with tempfile.TemporaryDirectory(prefix="hls-bench-") as tmp:
        tmp = Path(tmp)
        if "serial" in backends:
            t = serial_vs_direct(args, tmp)
            n_s = t["runs"]
            per_direct = t["direct_wall"] / n_s
            results["direct"] = {"seconds": t["direct_wall"], "cpu_seconds": t["direct_cpu"],
                                 "runs_per_s": n_s / t["direct_wall"]}
            results["serial"] = {
                "seconds": t["sweep_wall"], "cpu_seconds": t["sweep_cpu"], "runs_per_s": n_s / t["sweep_wall"],
                "workers": 1, "sum_run_seconds": t["inside"],
                "bookkeeping_ms_per_run": 1000 * (t["sweep_wall"] - t["inside"]) / n_s,
                "bookkeeping_pct": 100 * (t["sweep_wall"] - t["inside"]) / t["inside"],
                "overhead_wall_ms_per_run": 1000 * (t["sweep_wall"] - t["direct_wall"]) / n_s,
                "overhead_wall_pct": 100 * (t["sweep_wall"] - t["direct_wall"]) / t["direct_wall"],
                "overhead_cpu_ms_per_run": 1000 * (t["sweep_cpu"] - t["direct_cpu"]) / n_s,
                "overhead_cpu_pct": 100 * (t["sweep_cpu"] - t["direct_cpu"]) / t["direct_cpu"],
            }
            r = results["serial"]
            print(f"{'direct model calls':<22} {t['direct_wall']:8.1f} s  {n_s / t['direct_wall']:7.2f} runs/s"
                  f"  ({1000 * per_direct:.0f} ms/run; CPU {t['direct_cpu']:.1f} s)")
            print(f"{'serial':<22} {t['sweep_wall']:8.1f} s  {r['runs_per_s']:7.2f} runs/s"
                  f"  (CPU {t['sweep_cpu']:.1f} s; interleaved with the direct calls in 4 rounds)")
            print(f"{'':<22} runner overhead per run over direct calls: CPU {r['overhead_cpu_ms_per_run']:+.1f} ms"
                  f" ({r['overhead_cpu_pct']:+.2f}%), wall {r['overhead_wall_ms_per_run']:+.1f} ms"
                  f" ({r['overhead_wall_pct']:+.2f}%); bookkeeping outside the runs"
                  f" {r['bookkeeping_ms_per_run']:.1f} ms ({r['bookkeeping_pct']:.2f}%)")
        for b in backends:
            if b == "serial":
                continue
            w = workers
            wall, _, inside = timed_sweep(spec, tmp / b, b, w)
            rate = n / wall
            r = {"seconds": wall, "runs_per_s": rate, "workers": w, "sum_run_seconds": inside}
            line = f"{b + f' ({w} workers)':<22} {wall:8.1f} s  {rate:7.2f} runs/s"
            if "serial" in results:
                r["efficiency"] = rate / (w * results["serial"]["runs_per_s"])
                r["speedup"] = rate / results["serial"]["runs_per_s"]
                line += f"  speed-up x{r['speedup']:.2f}, parallel efficiency {100 * r['efficiency']:.0f}%"
            results[b] = r
            print(line)

        sizes = [int(x) for x in args.memory_sizes.split(",") if x]
        if sizes:
            print("\ndriver peak memory (pool backend, 50 citizens x 20 weeks per run, 3 series kept):")
            mem = []
            for size in sizes:
                out = subprocess.run([sys.executable, __file__, "--_memory-probe", str(size), "--_workdir", str(tmp)],
                                     capture_output=True, text=True, check=True)
                m = json.loads(out.stdout.strip().splitlines()[-1])
                mem.append(m)
                m["growth_mb"] = m["peak_rss_mb"] - m["rss_before_sweep_mb"]
                print(f"  {size:>6} runs: peak RSS {m['peak_rss_mb']:6.1f} MB "
                      f"({m['growth_mb']:+.1f} MB over the {m['rss_before_sweep_mb']:.1f} MB before the sweep)")
            results["memory"] = mem
            grow = mem[-1]["growth_mb"] - mem[0]["growth_mb"]
            print(f"  growth from {sizes[0]} to {sizes[-1]} runs: {grow:+.1f} MB "
                  f"({grow * 1024 / (sizes[-1] - sizes[0]):.2f} kB per extra run)")
    results["load_after"] = os.getloadavg()
    print(f"\nload average after: {results['load_after'][0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
