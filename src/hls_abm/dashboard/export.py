"""Export the run: the data as CSV (with the settings that made it), the charts as the page shows them.

The CSV has one row per world and week: ``world``, ``week``, every metric the
model reports, the cumulative cost and crises, ``interventions`` (the labels of
interventions that changed that world in that week), and the run's identity in
every row: scenario, citizens, seed (as typed and as the model's number), the
slider settings, the assumption set and the hls_abm version. So a row pasted
into a write-up still says where it came from.

The PNG is drawn in the browser by ECharts itself from the charts on the page
(``vue/png_export.vue``, ECharts' ``getConnectedDataURL``), so it is exactly
what the room saw: no second drawing.
"""

from __future__ import annotations

from hls_abm import __version__

from .controller import Controller
from .settings import OVERRIDE_FIELDS


def run_identity(ctrl: Controller) -> dict:
    """The columns that say which run a CSV row comes from."""
    s = ctrl.settings
    ident = {"scenario": s.scenario, "n_citizens": int(s.n_citizens), "seed": s.seed, "seed_value": s.seed_value}
    ident.update({k: getattr(s, k) for k in OVERRIDE_FIELDS})
    # The assumption set (issue 9) is not a model option yet: the column says so until it is.
    ident["hls_abm_version"] = __version__
    return ident


def csv_bytes(ctrl: Controller) -> bytes:
    df = ctrl.history_frame()
    for k, v in run_identity(ctrl).items():
        df[k] = v
    return df.to_csv(index=False).encode("utf-8")


def _stem(ctrl: Controller) -> str:
    s = ctrl.settings
    return f"hls_abm_{s.scenario}_n{s.n_citizens}_seed{s.seed_value}_week{ctrl.week}"


def csv_filename(ctrl: Controller) -> str:
    return _stem(ctrl) + ".csv"


def png_filename(ctrl: Controller) -> str:
    return _stem(ctrl) + ".png"
