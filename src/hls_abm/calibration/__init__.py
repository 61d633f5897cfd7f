"""Calibration of the model's assumed effect sizes to published figures.

    >>> from hls_abm.calibration import load_targets, calibrate, write_report
    >>> targets = load_targets("experiments/calibration/targets.toml")
    >>> cal = calibrate(targets, "results/calibration", backend="pool")
    >>> write_report(cal, "python ...")

``observables(model)`` gives a finished run's calibrated observables by name. See ``docs/calibration.md``.
"""

from .cli import add_calibrate_command
from .observables import OBSERVABLES, observables
from .report import write_report
from .search import CalibrationError, Interrupted, calibrate, open_calibration, rescore
from .targets import Target, Targets, TargetsError, load_targets, parse_targets

__all__ = [
    "observables",
    "OBSERVABLES",
    "load_targets",
    "parse_targets",
    "Target",
    "Targets",
    "TargetsError",
    "calibrate",
    "open_calibration",
    "rescore",
    "CalibrationError",
    "Interrupted",
    "write_report",
    "add_calibrate_command",
]
