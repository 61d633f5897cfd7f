"""Ship a calibration's chosen draw as hls_abm's defaults.

    ./dev python experiments/calibration/ship_defaults.py results/calibration

Copies ``<dir>/defaults.toml`` (written by ``hls-abm calibrate``: the reported draw nearest their
median) to ``experiments/calibration/defaults.toml``, rewrites the default of every fitted parameter
in ``src/hls_abm/param_specs.py`` and the ``CALIBRATED`` list there (the parameter table marks those
sizes as calibrated). ``tests/test_calibration.py`` checks that the two agree. Regenerate the ODD's
tables afterwards (``python -m hls_abm.docs_tables``) and the reference hashes
(``python tests/reference_runs.py --write``), and say why in the commit.
"""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "src" / "hls_abm" / "param_specs.py"
SHIPPED = REPO / "experiments" / "calibration" / "defaults.toml"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: ship_defaults.py CALIBRATION_DIR", file=sys.stderr)
        return 2
    src = Path(argv[0]) / "defaults.toml"
    if not src.exists():
        print(f"ship_defaults.py: {src} does not exist (run hls-abm calibrate first)", file=sys.stderr)
        return 2
    values = tomllib.loads(src.read_text())["parameters"]
    text = SPECS.read_text()
    for name, value in values.items():
        pattern = re.compile(rf'(_p\("{re.escape(name)}", )([^,]+)(,)')
        if not pattern.search(text):
            print(f"ship_defaults.py: {name} is not declared in {SPECS}", file=sys.stderr)
            return 2
        text = pattern.sub(lambda m, v=value: f"{m.group(1)}{v!r}{m.group(3)}", text, count=1)
    listing = "CALIBRATED = (\n" + "".join(f'    "{n}",\n' for n in values) + ")\n"
    block = re.compile(r"CALIBRATED = \(\n.*?\)\n", re.S)
    text = block.sub(listing, text) if block.search(text) else text.rstrip() + "\n\n" + \
        "#: Parameters whose default size was fitted by the calibration (experiments/calibration/defaults.toml).\n" + \
        listing
    SPECS.write_text(text)
    shutil.copyfile(src, SHIPPED)
    print(f"shipped {len(values)} calibrated defaults from {src}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
