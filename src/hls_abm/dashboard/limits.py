"""Limits for a dashboard server that several people share, and freeing a closed tab's worlds.

Each browser tab gets its own twin worlds. On a shared server (a workshop laptop
on the room's network, a machine on a cluster) three things keep it healthy:

* ``HLS_DASHBOARD_MAX_SESSIONS`` (default 10): connected tabs with their own worlds
  at once. One more tab gets a page that says the server is full, and nothing else
  runs. A tab that vanished does not count (its worlds go at the cull timeout).
* ``HLS_DASHBOARD_MAX_CITIZENS`` (default 10000): citizens per world. A bigger
  world (``?n=...`` in the address) is refused with a message on the page.
* ``SOLARA_KERNEL_CULL_TIMEOUT`` (default here ``2m``; Solara's own is 24 hours):
  how long the worlds of a tab that went away without closing (laptop lid shut,
  browser killed, network lost) wait for it to reconnect before they are freed.
  A tab that is closed or reloaded frees its worlds at once.

When a tab's session ends (:func:`release`), its run is stopped, its worlds are
dropped and the garbage collector runs, so the server's memory comes back.
"""

from __future__ import annotations

import ctypes
import gc
import os
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable

from hls_abm.params import ParameterError

MAX_SESSIONS_ENV = "HLS_DASHBOARD_MAX_SESSIONS"
MAX_CITIZENS_ENV = "HLS_DASHBOARD_MAX_CITIZENS"
CULL_TIMEOUT_ENV = "SOLARA_KERNEL_CULL_TIMEOUT"
DEFAULT_MAX_SESSIONS = 10
DEFAULT_MAX_CITIZENS = 10_000
DEFAULT_CULL_TIMEOUT = "2m"


def _env_limit(name: str, default: int) -> int:
    """A positive whole number from the environment; a bad value is an error naming the variable."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ParameterError(f"{name}={text!r} is not allowed: expected a whole number >= 1")
    return value


def max_sessions() -> int:
    return _env_limit(MAX_SESSIONS_ENV, DEFAULT_MAX_SESSIONS)


def max_citizens() -> int:
    return _env_limit(MAX_CITIZENS_ENV, DEFAULT_MAX_CITIZENS)


def configure_cull_timeout() -> str:
    """Free the worlds of a vanished tab after a few minutes, not Solara's 24 hours
    (unless ``SOLARA_KERNEL_CULL_TIMEOUT`` says otherwise). Returns the timeout in use."""
    import solara.server.settings as solara_settings

    if not os.environ.get(CULL_TIMEOUT_ENV):
        solara_settings.kernel.cull_timeout = DEFAULT_CULL_TIMEOUT
    return solara_settings.kernel.cull_timeout


def check_citizens(n_citizens: Any) -> None:
    """Raise ParameterError if a world of ``n_citizens`` is bigger than this server allows."""
    limit = max_citizens()
    if int(n_citizens) > limit:
        raise ParameterError(
            f"n_citizens={int(n_citizens)} is more than this shared server allows: expected at most {limit} "
            f"citizens per world (set by {MAX_CITIZENS_ENV})"
        )


def limited_factory(settings) -> tuple[Any, Any]:
    """The dashboard's world factory, refusing worlds over the citizen limit before building anything."""
    from .controller import default_factory

    check_citizens(settings.n_citizens)
    worlds = default_factory(settings)
    SESSIONS.track(worlds)
    return worlds


@dataclass(frozen=True)
class Refused:
    """What a tab shows instead of its own worlds when the server is full."""

    message: str


class Sessions:
    """The tabs that have worlds on this server right now (thread-safe).

    A tab counts against the limit while its page is connected: one that vanished
    (its worlds wait for the cull timeout) does not keep a new tab out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, tuple[Any, Callable[[], bool]]] = {}  # id -> (state, is it connected?)
        self._worlds: list[weakref.ref] = []  # every world built here, to check they are freed

    def count(self) -> int:
        """Sessions that count against the limit: admitted or being built, with a connected page."""
        with self._lock:
            entries = list(self._open.values())
        return sum(1 for _, connected in entries if connected())

    def worlds_alive(self) -> int:
        """Worlds built for tabs that the garbage collector has not freed yet."""
        with self._lock:
            self._worlds = [w for w in self._worlds if w() is not None]
            return len(self._worlds)

    def admit(self, make: Callable[[], Any], limit: int | None = None,
              connected: Callable[[], bool] = lambda: True) -> Any:
        """``make()`` a tab's state if there is room, else a :class:`Refused` saying why."""
        limit = max_sessions() if limit is None else limit
        slot = object()
        with self._lock:  # hold a place while the worlds are built (that takes seconds)
            n_open = sum(1 for _, conn in self._open.values() if conn())
            if n_open >= limit:
                return Refused(
                    f"This dashboard server is full: {n_open} sessions are open, the most it allows "
                    f"at once ({MAX_SESSIONS_ENV}={limit}). Close another tab, or try again in a few minutes."
                )
            self._open[id(slot)] = (slot, lambda: True)
        try:
            state = make()
        except BaseException:
            with self._lock:
                del self._open[id(slot)]
            raise
        with self._lock:
            del self._open[id(slot)]
            self._open[id(state)] = (state, connected)
        return state

    def track(self, models) -> None:
        """Watch worlds built for a tab, so that :meth:`worlds_alive` can tell whether they were freed."""
        with self._lock:
            self._worlds = [w for w in self._worlds if w() is not None]  # forget freed ones
            self._worlds.extend(weakref.ref(m) for m in models)

    def release(self, state: Any) -> None:
        """The tab's session ended: stop its run, drop its worlds, give the memory back."""
        with self._lock:
            if self._open.pop(id(state), None) is None:
                return
        close = getattr(state, "close", None)
        if close is not None:  # the tab's own close: stops its run and its background towns, drops its worlds
            close()
        collect()


SESSIONS = Sessions()


def collect() -> None:
    """Run the garbage collector and hand freed heap pages back to the system (glibc)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by this process instead
        pass


def open_session(make: Callable[[], Any]) -> Any:
    """For the page: admit a tab's state and free it when Solara closes the tab's session.

    Returns the state, or a :class:`Refused` when the server is full.
    """
    from solara.server import kernel_context

    configure_cull_timeout()
    context = weakref.ref(kernel_context.get_current_context())

    def connected() -> bool:  # no page yet (still starting) counts as connected; a closed session does not
        ctx = context()
        if ctx is None or ctx.closed_event.is_set():
            return False
        status = list(ctx.page_status.values())
        return not status or kernel_context.PageStatus.CONNECTED in status

    state = SESSIONS.admit(make, connected=connected)
    if not isinstance(state, Refused):
        try:
            kernel_context.get_current_context().on_close(lambda: SESSIONS.release(state))
        except BaseException:
            SESSIONS.release(state)
            raise
    return state


__all__ = [
    "MAX_SESSIONS_ENV",
    "MAX_CITIZENS_ENV",
    "CULL_TIMEOUT_ENV",
    "Refused",
    "Sessions",
    "SESSIONS",
    "check_citizens",
    "collect",
    "configure_cull_timeout",
    "limited_factory",
    "max_citizens",
    "max_sessions",
    "open_session",
]
