"""The ``hls-abm`` command line: run a scenario, compare twin worlds, list presets, run sweeps.

    hls-abm run --scenario npm --steps 520 --citizens 10000 --out run.parquet
    hls-abm compare npm local_teams --steps 520
    hls-abm scenarios

Every user error (argparse's own included) is one line on stderr and exit code 2,
given before any simulation runs: output paths are checked first (the folder must
exist; it is never created), and a file is only replaced once the new one is
completely written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from .differences import assumptions_table
from .params import (
    ASSUMPTION_SETS,
    PARAMS,
    TIERS,
    SCENARIO_DOCS,
    SCENARIOS,
    ParameterError,
    load_params_toml,
    validate_params,
)


class CLIError(Exception):
    """A user error: printed as one line, exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line (no usage block) and raise CLIError.

    Sub-parsers made with ``add_subparsers().add_parser`` are of the same class, so the
    sweep commands registered from :mod:`hls_abm.sweep_cli` share this error path.
    """

    def error(self, message):
        raise CLIError(f"{message} (see '{self.prog} --help')")


def _seed(text: str) -> int:
    """``--seed``: the one seed parser (whole numbers >= 0 or a word), as on the page."""
    from .seeds import ALLOWED, parse_seed

    try:
        return parse_seed(text)
    except ParameterError:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: expected {ALLOWED}") from None


OUT_SUFFIXES = (".parquet", ".csv")


def check_output_path(text: str | None, flag: str = "--out") -> Path | None:
    """Check before any work that ``text`` names a file this process can write.

    The folder must already exist (it is not created, so a mistyped folder is an
    error, not a new folder); the name must end in .parquet or .csv; an existing
    file is left untouched. Raises CLIError naming the flag.
    """
    if text is None:
        return None
    out = Path(text)
    if out.suffix.lower() not in OUT_SUFFIXES:
        raise CLIError(f"{flag} must end in {' or '.join(OUT_SUFFIXES)}, got {text!r}")
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise CLIError(f"{flag} {text!r} is a folder: give a file name ending in .parquet or .csv")
    if parent.exists() and not parent.is_dir():
        raise CLIError(f"{flag} {text!r}: {str(parent)!r} is a file, not a folder")
    if not parent.is_dir():
        raise CLIError(f"{flag} {text!r}: folder {str(parent)!r} does not exist; create it first (mkdir -p {parent})")
    try:  # a real probe: permission bits say little for root or for /proc, read-only mounts etc.
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".hls-abm-probe-", delete=True):
            pass
        if out.exists():
            with open(out, "ab"):
                pass
    except OSError as err:
        raise CLIError(f"{flag} {text!r} cannot be written in folder {str(parent)!r} ({err.strerror or err})") from None
    return out


def write_table(df: pd.DataFrame, out: Path, flag: str = "--out") -> None:
    """Write ``df`` to ``out`` (by its suffix) via a temporary file, so an old file is never half-replaced."""
    fd, tmp = tempfile.mkstemp(dir=out.parent if str(out.parent) else ".", prefix=f".{out.name}.", suffix=out.suffix)
    os.close(fd)
    try:
        if out.suffix.lower() == ".parquet":
            df.to_parquet(tmp)
        else:
            df.to_csv(tmp)
        os.replace(tmp, out)
    except OSError as err:
        raise CLIError(f"{flag} {str(out)!r} could not be written: {err.strerror or err}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _positive_int(name, low=1, high=10_000_000):
    def parse(text):
        bad = argparse.ArgumentTypeError(f"{text!r} is not allowed: expected a whole number in [{low}, {high}]")
        try:
            v = int(text)
        except ValueError:
            raise bad from None
        if not low <= v <= high:
            raise bad
        return v

    parse.__name__ = name
    return parse


def _set_pairs(pairs: list[str]) -> dict:
    """Parse ``--set name=value`` overrides (validated later by the model's parameter gate)."""
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise CLIError(f"--set expects name=value, got {pair!r}")
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _build_kwargs(args) -> tuple[str, dict]:
    scenario, overrides = args.scenario, {}
    if getattr(args, "params", None):
        loaded = load_params_toml(args.params)
        scenario = loaded.pop("scenario", scenario)
        overrides.update(loaded)
    overrides.update(_set_pairs(getattr(args, "set", None)))
    if args.citizens is not None:
        overrides["n_citizens"] = args.citizens
    validate_params(scenario, **overrides)  # fail before any work
    return scenario, overrides


def _run(scenario: str, overrides: dict, steps: int, seed: int, desc: str, progress: bool = True):
    from tqdm import tqdm

    from .model import HLSModel

    model = HLSModel(scenario, rng=seed, **overrides)
    for _ in tqdm(range(steps), desc=desc, unit="wk", disable=not progress, leave=False):
        model.step()
    return model


def cmd_run(args) -> int:
    scenario, overrides = _build_kwargs(args)
    out = check_output_path(args.out)
    model = _run(scenario, overrides, args.steps, args.seed, f"{scenario}", not args.quiet)
    df = model.metrics()
    print(summary_table({scenario: df}).to_string())
    if out is not None:
        write_table(df, out)
        print(f"wrote {len(df)} weeks x {df.shape[1]} columns to {out}")
    return 0


#: The figures a newcomer reads first, with how to summarise them over a period.
SUMMARY_ROWS = [
    ("contacts per week", "contacts", "mean"),
    ("failure demand share", None, "fd_share"),
    ("hand-offs per person", "handoffs_per_person", "mean"),
    ("waiting list", "waiting_list", "mean"),
    ("crisis events per week", "crisis_events", "mean"),
    ("service cost per week (staff+support+overhead)", None, "service"),
    ("crisis cost per week", "cost_crisis", "mean"),
    ("total cost per week", "total_cost", "mean"),
    ("mean wellbeing", "mean_wellbeing", "mean"),
    ("10th percentile wellbeing", "p10_wellbeing", "mean"),
    ("staff stress", "staff_stress", "mean"),
    ("staff hours per client per year", "staff_hours_per_client", "mean"),
    ("cost per staff hour", "cost_per_staff_hour", "mean"),
    ("reported KPI (closed within target)", "reported_kpi", "mean"),
    ("real outcome (still resolved 13 weeks on)", "real_outcome", "mean"),
]


def summarise(df: pd.DataFrame) -> dict[str, float]:
    """Summary of one run's table over its weeks."""
    out = {}
    for label, col, how in SUMMARY_ROWS:
        if how == "fd_share":
            out[label] = df.failure_demand.sum() / max(df.contacts.sum(), 1)
        elif how == "service":
            out[label] = (df.cost_staff + df.cost_support + df.cost_overhead).mean()
        else:
            out[label] = df[col].mean()
    return out


def summary_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Side-by-side summary: first year and last year of each run."""
    cols = {}
    for name, df in frames.items():
        first, last = df.iloc[: min(52, len(df))], df.iloc[-min(52, len(df)):]
        cols[f"{name} yr 1"] = summarise(first)
        cols[f"{name} last yr"] = summarise(last)
    table = pd.DataFrame(cols)
    return table.round(3)


def cmd_compare(args) -> int:
    frames = {}
    for scenario in args.scenarios:
        if scenario not in SCENARIOS:
            raise CLIError(f"scenario {scenario!r} is unknown: expected one of {', '.join(SCENARIOS)}")
    overrides = _set_pairs(args.set)
    if args.citizens is not None:
        overrides["n_citizens"] = args.citizens
    sets = list(ASSUMPTION_SETS) if args.assumptions == "all" else [args.assumptions]
    for scenario in args.scenarios:
        for a in sets:
            validate_params(scenario, **{**overrides, "assumptions": a})
    out = check_output_path(args.out)
    print(f"Twin worlds: same seed ({args.seed}), same people, same life events; {args.steps} weeks.")
    tables = {}
    for a in sets:
        frames = {sc: _run(sc, {**overrides, "assumptions": a}, args.steps, args.seed, f"{sc} ({a})",
                           not args.quiet).metrics() for sc in args.scenarios}
        print(f"\nassumptions = {a}: {ASSUMPTION_SETS[a]}\n")
        print(summary_table(frames).to_string())
        tables[a] = pd.concat(frames, names=["scenario"])
    if out is not None:
        write_table(pd.concat(tables, names=["assumptions"]), out)
        print(f"\nwrote {out}")
    return 0


def cmd_assumptions(args) -> int:
    """Every difference between the systems, from the code (hls_abm.differences)."""
    print(f"What differs between NPM and local teams, under assumptions = {args.assumptions}:\n")
    print(assumptions_table(args.assumptions))
    print("\nTiers: " + "; ".join(f"{k}: {v}" for k, v in TIERS.items()))
    return 0


def cmd_scenarios(args) -> int:
    for name, over in SCENARIOS.items():
        print(f"{name}: {SCENARIO_DOCS.get(name, '')}")
        for k, v in over.items():
            print(f"    {k} = {v!r}")
    if args.params:
        print("\nparameters (name, default, allowed, meaning):")
        for p in PARAMS.values():
            print(f"  {p.name} = {p.default!r}  [{p.allowed()}]  {p.doc}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="hls-abm", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--steps", type=_positive_int("--steps", 1, 100_000), default=520, help="weeks to simulate")
        p.add_argument("--citizens", type=_positive_int("--citizens", 20, 2_000_000), default=None)
        p.add_argument("--seed", type=_seed, default=42, help="a whole number >= 0 or a word (as on the page)")
        p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter (repeatable)")
        p.add_argument("--quiet", action="store_true", help="no progress bar")

    r = sub.add_parser("run", help="run one scenario and write its weekly table")
    r.add_argument("--scenario", default="npm")
    r.add_argument("--params", help="TOML file of parameters")
    r.add_argument("--out", help="output file (.parquet or .csv)")
    common(r)
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("compare", help="run twin worlds side by side and print a summary table")
    c.add_argument("scenarios", nargs="+")
    c.add_argument("--out", help="optional .csv/.parquet of both weekly tables")
    c.add_argument("--assumptions", choices=(*ASSUMPTION_SETS, "all"), default="evidence",
                   help="which sizes the differences between the systems take; 'all' runs each set")
    common(c)

    a = sub.add_parser("assumptions", help="print every difference between the systems, with its evidence tier")
    a.add_argument("--assumptions", choices=tuple(ASSUMPTION_SETS), default="evidence")
    a.set_defaults(func=cmd_assumptions)
    c.set_defaults(func=cmd_compare)

    s = sub.add_parser("scenarios", help="list presets and their parameters")
    s.add_argument("--params", action="store_true", help="also list every parameter")
    s.set_defaults(func=cmd_scenarios)

    try:
        from .sweep_cli import add_sweep_commands
    except ImportError:  # the sweep extras are optional
        add_sweep_commands = None
    if add_sweep_commands is not None:
        add_sweep_commands(sub)
    try:
        from .calibration import add_calibrate_command
    except ImportError:  # the calibration extras are optional
        add_calibrate_command = None
    if add_calibrate_command is not None:
        add_calibrate_command(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    try:
        args = ap.parse_args(argv)
        return args.func(args) or 0
    except (ParameterError, CLIError) as err:
        print("hls-abm: error: " + " ".join(str(err).split()), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hls-abm: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
