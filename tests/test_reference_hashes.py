"""Same seed, same DataFrame, bit for bit, across refactors: every scenario, lever, twin worlds, journeys.

The hashes were made from the code before the house refactor (issue 8). A change that
alters any of them changes behaviour; if that is intended, regenerate them
(``./dev python tests/reference_runs.py --write``) and say why in the commit.
"""

import json

import pytest

from reference_runs import HASHES, reference_runs, frame_hash

STORED = json.loads(HASHES.read_text())
RUNS = reference_runs()


def test_every_reference_run_has_a_stored_hash():
    assert set(RUNS) == set(STORED)


@pytest.mark.parametrize("name", sorted(STORED))
def test_run_matches_its_reference_hash(name):
    assert frame_hash(RUNS[name]()) == STORED[name], f"{name} no longer gives the same DataFrame bit for bit"
