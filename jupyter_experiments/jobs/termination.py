"""Signal a job's training process group from any process of its host, after checking identity.

A job's training process leads its own session (see ``JobProcess``), so its pid is also the id
of the process group that contains every process the script started. A recorded pid may have been
reused since, so each signal is sent only if the process with that pid still has the recorded
create time.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

from .host import is_process_alive

log = logging.getLogger("jupyter_experiments.jobs")

#: Seconds between checks while waiting for a job's process to exit.
EXIT_POLL_INTERVAL_S = 0.05

#: Seconds to wait for the process to exit after SIGKILL, which it cannot ignore.
KILL_WAIT_S = 5.0


def signal_job_process(pid: int, create_time: float, signal_number: int) -> bool:
    """Send ``signal_number`` to the process group of the job process ``pid``.

    Returns False, without sending anything, if no process with this pid and create time runs.
    """
    if not is_process_alive(pid, create_time):
        return False

    try:
        if sys.platform == "win32":
            # NOTE: never run by the tests. On Windows only the process itself gets the signal.
            os.kill(pid, signal_number)
        else:
            os.killpg(pid, signal_number)
    except ProcessLookupError:
        return False
    return True


def wait_for_exit(pid: int, create_time: float, timeout_s: float) -> bool:
    """Wait up to ``timeout_s`` seconds for the job process to exit; return whether it did."""
    deadline = time.monotonic() + timeout_s
    while is_process_alive(pid, create_time):
        if time.monotonic() >= deadline:
            return False
        time.sleep(EXIT_POLL_INTERVAL_S)
    return True


def terminate_job_process(pid: int, create_time: float, grace_period_s: float) -> bool:
    """End the job process ``pid``: SIGTERM, then SIGKILL if it still runs after the grace period.

    Returns whether the process is gone; True as well when it was not running.
    """
    if not signal_job_process(pid, create_time, signal.SIGTERM):
        return True
    log.info("Sent SIGTERM to the process group of job process %d.", pid)
    return kill_after_grace_period(pid, create_time, grace_period_s)


def kill_after_grace_period(pid: int, create_time: float, grace_period_s: float) -> bool:
    """Wait for a job process sent SIGTERM to exit; send SIGKILL if it outlives the grace period.

    Blocks until the process has exited, or until ``KILL_WAIT_S`` after SIGKILL. Returns
    whether the process is gone.
    """
    if wait_for_exit(pid, create_time, grace_period_s):
        return True

    log.warning(
        "Job process %d still runs %.1f s after SIGTERM, so sending SIGKILL.", pid, grace_period_s
    )
    kill_signal = signal.SIGTERM if sys.platform == "win32" else signal.SIGKILL
    signal_job_process(pid, create_time, kill_signal)
    return wait_for_exit(pid, create_time, KILL_WAIT_S)
