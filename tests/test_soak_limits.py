"""The shared-server limits of the dashboard, without a browser (tests/test_soak.py drives the real server)."""

from __future__ import annotations

import gc

import pytest

from hls_abm import ParameterError
from hls_abm.dashboard import limits
from hls_abm.dashboard.controller import Settings
from hls_abm.dashboard.state import DashboardState


def small_state(n: int = 60) -> DashboardState:
    return DashboardState({"n_citizens": n, "speed": 0}, factory=limits.limited_factory)


def test_sessions_past_the_limit_are_refused_with_a_message_and_released_ones_make_room():
    reg = limits.Sessions()
    a = reg.admit(lambda: object(), limit=2)
    b = reg.admit(lambda: object(), limit=2)
    c = reg.admit(lambda: object(), limit=2)
    assert isinstance(c, limits.Refused) and not isinstance(a, limits.Refused)
    assert "full" in c.message and "HLS_DASHBOARD_MAX_SESSIONS=2" in c.message
    assert reg.count() == 2
    reg.release(a)
    reg.release(a)  # twice is harmless
    assert reg.count() == 1
    assert not isinstance(reg.admit(lambda: object(), limit=2), limits.Refused)
    reg.release(b)


def test_a_vanished_tab_does_not_keep_a_new_one_out():
    reg = limits.Sessions()
    link = {"up": True}
    a = reg.admit(lambda: object(), limit=1, connected=lambda: link["up"])
    assert isinstance(reg.admit(lambda: object(), limit=1), limits.Refused)
    link["up"] = False  # its page disconnected; its worlds wait for the cull timeout
    b = reg.admit(lambda: object(), limit=1)
    assert not isinstance(b, limits.Refused)
    link["up"] = True  # it came back: both are in, and the next one waits
    assert reg.count() == 2 and isinstance(reg.admit(lambda: object(), limit=2), limits.Refused)
    reg.release(a)
    reg.release(b)
    assert reg.count() == 0


def test_a_failing_build_gives_its_place_back():
    reg = limits.Sessions()

    def boom():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        reg.admit(boom, limit=1)
    assert reg.count() == 0


def test_a_released_session_frees_its_worlds(monkeypatch):
    monkeypatch.setattr(limits, "SESSIONS", limits.Sessions())
    state = limits.SESSIONS.admit(small_state)
    state.ctrl.step(3)
    state.reset()  # the worlds of the first build must go too
    gc.collect()
    assert limits.SESSIONS.worlds_alive() == 2  # the current twin worlds
    limits.SESSIONS.release(state)
    gc.collect()
    assert limits.SESSIONS.worlds_alive() == 0
    assert limits.SESSIONS.count() == 0
    assert not state.ctrl.ready and not state.ctrl.playing


def test_a_world_over_the_citizen_limit_is_refused_before_it_is_built(monkeypatch):
    monkeypatch.setenv(limits.MAX_CITIZENS_ENV, "500")
    with pytest.raises(ParameterError, match=r"n_citizens=501 .*at most 500 .*HLS_DASHBOARD_MAX_CITIZENS"):
        limits.limited_factory(Settings(n_citizens=501))
    state = DashboardState({"n_citizens": 501}, factory=limits.limited_factory)
    assert not state.ctrl.ready
    assert "at most 500" in state.ctrl.error
    limits.check_citizens(500)


@pytest.mark.parametrize("text", ["0", "-3", "lots", "2.5"])
def test_a_bad_limit_in_the_environment_names_the_variable(monkeypatch, text):
    monkeypatch.setenv(limits.MAX_SESSIONS_ENV, text)
    with pytest.raises(ParameterError, match=r"HLS_DASHBOARD_MAX_SESSIONS=.*whole number >= 1"):
        limits.max_sessions()


def test_defaults_and_the_cull_timeout(monkeypatch):
    import solara.server.settings as ss

    monkeypatch.delenv(limits.MAX_SESSIONS_ENV, raising=False)
    monkeypatch.delenv(limits.MAX_CITIZENS_ENV, raising=False)
    assert limits.max_sessions() == limits.DEFAULT_MAX_SESSIONS
    assert limits.max_citizens() == limits.DEFAULT_MAX_CITIZENS
    monkeypatch.setattr(ss.kernel, "cull_timeout", "24h")
    monkeypatch.delenv(limits.CULL_TIMEOUT_ENV, raising=False)
    assert limits.configure_cull_timeout() == "2m"  # not Solara's 24 hours
    monkeypatch.setattr(ss.kernel, "cull_timeout", "30s")
    monkeypatch.setenv(limits.CULL_TIMEOUT_ENV, "30s")
    assert limits.configure_cull_timeout() == "30s"  # the operator's choice stands
