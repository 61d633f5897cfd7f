"""The docs stay true to the code: every parameter in the ODD, every metric in the README."""

from pathlib import Path

from hls_abm import PARAMS
from hls_abm.metrics import MODEL_REPORTERS

ROOT = Path(__file__).resolve().parents[1]


def test_every_parameter_is_in_the_odd_table_with_its_current_default():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    for p in PARAMS.values():
        assert f"| `{p.name}` | {p.default} |" in odd, f"{p.name} missing or stale in docs/ODD.md"


def test_every_metric_column_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in MODEL_REPORTERS:
        assert f"`{name}`" in readme, name


def test_the_odds_generated_tables_are_current():
    from hls_abm.docs_tables import render

    odd = (ROOT / "docs" / "ODD.md").read_text()
    assert render(odd) == odd, "run: python -m hls_abm.docs_tables"
