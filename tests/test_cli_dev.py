"""``./dev``: the Chromium install says in one line what it installs and puts apt's output in a log."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "test-artifacts" / "apt-chromium.log"


def fake_bin(tmp_path: Path, apt_rc: int) -> Path:
    """A PATH folder with a chatty apt-get (exit ``apt_rc``) and an ``id`` that says root."""
    b = tmp_path / "bin"
    b.mkdir()
    (b / "apt-get").write_text(
        "#!/bin/sh\nfor i in 1 2 3 4 5 6 7 8 9 10; do echo \"Get:$i http://deb.debian.org $*\"; "
        f"echo \"W: noise $i\" >&2; done\nexit {apt_rc}\n")
    (b / "id").write_text("#!/bin/sh\necho 0\n")
    for f in b.iterdir():
        f.chmod(0o755)
    return b


def run_dev(tmp_path: Path, apt_rc: int) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{fake_bin(tmp_path, apt_rc)}:{os.environ['PATH']}",
               HLS_CHROMIUM=str(tmp_path / "no-chromium"))
    return subprocess.run([str(ROOT / "dev"), "chromium"], capture_output=True, text=True, env=env, timeout=60)


def test_chromium_install_is_one_line_and_apt_output_goes_to_the_log(tmp_path):
    r = run_dev(tmp_path, apt_rc=0)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert "installing Debian's chromium package" in lines[0] and str(LOG) in lines[0]
    log = LOG.read_text()
    assert "Get:10 http://deb.debian.org install -y chromium" in log and "W: noise 3" in log


@pytest.mark.parametrize("apt_rc", [1, 100])
def test_a_failed_install_says_so_and_where_to_look(tmp_path, apt_rc):
    r = run_dev(tmp_path, apt_rc=apt_rc)
    assert r.returncode == 0  # the tests then fail with their own message; ./dev test still runs them
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and lines[1].startswith("warning: could not install chromium") and str(LOG) in lines[1]
    assert "Get:1" in LOG.read_text() and "Get:1" not in r.stderr
