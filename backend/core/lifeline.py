"""Child processes that end with their parent, even when the parent is killed outright (SIGKILL).

A process that the platform starts (a signing process of a server, a server or the anchoring worker of the
supervisor) calls :func:`bind_to_parent` first. Two mechanisms, the first immediate, the second a fallback:

1. Linux ``prctl(PR_SET_PDEATHSIG)``: the kernel signals the child when its parent *thread* ends. A server spawns its
   signing processes from whichever request thread needs them first, and that thread may end long before the
   process does, so the signal is not fatal by itself: its handler ends the child only when the child has been
   handed to another parent (``os.getppid()`` changed), that is when the parent *process* is gone.
2. A watchdog thread that compares ``os.getppid()`` with the parent's pid every ``poll_seconds`` (other systems, or
   a child whose main thread is stuck in C code and cannot run the handler).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time
from types import FrameType

__all__ = ["ORPHAN_EXIT_CODE", "bind_to_parent", "name_process"]

#: Exit status of a child that ends because its parent died.
ORPHAN_EXIT_CODE = 70
_PR_SET_NAME = 15
_PR_SET_PDEATHSIG = 1
_SIGNAL = signal.SIGUSR2

log = logging.getLogger(__name__)


def _end_if_orphaned(parent_pid: int) -> None:
    if os.getppid() != parent_pid:
        os._exit(ORPHAN_EXIT_CODE)


def _prctl(option: int, argument: int | bytes) -> bool:
    """``prctl(option, argument)`` on Linux; whether it succeeded (elsewhere: False)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(option, argument, 0, 0, 0) == 0)
    except (OSError, AttributeError):  # no libc or no prctl
        return False


def name_process(name: str) -> None:
    """Name this process as ``ps -o comm``, ``top`` and ``/proc/PID/comm`` show it (Linux, 15 bytes at most)."""
    _prctl(_PR_SET_NAME, name.encode()[:15])


def bind_to_parent(parent_pid: int, *, poll_seconds: float = 0.5) -> None:
    """End this process (exit status :data:`ORPHAN_EXIT_CODE`) as soon as ``parent_pid`` is no longer its parent.

    Call it first thing in the child, from its main thread (the signal handler needs it; elsewhere only the
    watchdog is set up). It ends the process at once if the parent is already gone.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        _end_if_orphaned(parent_pid)

    if threading.current_thread() is threading.main_thread():
        signal.signal(_SIGNAL, handler)  # before prctl: the signal's default action would end the process
        _prctl(_PR_SET_PDEATHSIG, int(_SIGNAL))  # without prctl (not Linux): the watchdog alone

    def watchdog() -> None:
        while True:
            time.sleep(poll_seconds)
            _end_if_orphaned(parent_pid)

    threading.Thread(target=watchdog, name="lifeline", daemon=True).start()
    _end_if_orphaned(parent_pid)  # the parent may have died before the signal was asked for
