"""Stop a running local training job from a process other than its monitor, such as the server.

A job's monitor is the process that called ``Estimator.fit``: it reads the training process's
output and records the final status when that process exits. ``stop_job`` sets the status
``Stopping`` and signals the training process; the monitor, seeing ``Stopping``, records
``Stopped``. If the monitor is gone, a background thread of the caller records ``Stopped``.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError
from .host import is_process_alive
from .process import DEFAULT_GRACE_PERIOD_S
from .recovery import LOCAL_JOB_SOURCE, recover_orphaned_jobs
from .termination import kill_after_grace_period, signal_job_process

if TYPE_CHECKING:
    from ..store import TrackingStore

log = logging.getLogger("jupyter_experiments.jobs")

#: Status message of a job stopped on request, as the monitor records it too.
STOPPED_MESSAGE = "Stopped on request."


@dataclass(frozen=True)
class JobProcesses:
    """The recorded identities of a job's training process and of its monitor."""

    pid: int
    create_time: float
    monitor_pid: int | None
    monitor_create_time: float | None

    def monitor_alive(self) -> bool:
        """Return whether the monitor that records the job's final status still runs."""
        if self.monitor_pid is None or self.monitor_create_time is None:
            return False
        return is_process_alive(self.monitor_pid, self.monitor_create_time)


def stop_job(
    store: TrackingStore, name: str, grace_period_s: float = DEFAULT_GRACE_PERIOD_S
) -> dict[str, Any]:
    """Stop the running local job of trial component ``name``; return the component, Stopping.

    Sends SIGTERM to the job's process group and returns. A daemon thread then sends SIGKILL
    if the process still runs ``grace_period_s`` seconds later and, when the job's monitor is
    gone, records the status ``Stopped``.

    Raises
    ------
    NotFoundError
        If the trial component does not exist.
    ConflictError
        If it is not a running local job of this host, or its process cannot be identified.
    """
    component = store.get_component(name)
    processes = _job_processes(component)

    if not is_process_alive(processes.pid, processes.create_time):
        if not processes.monitor_alive():
            recover_orphaned_jobs(store)
        raise ConflictError(
            f"Job {name!r} is not running: its training process {processes.pid} has exited. "
            "Its final status is recorded by the process that started it, or was recorded as "
            "Failed if that process is gone. Reload the trial component."
        )

    previous = store.set_job_status(name, "Stopping", expected=("InProgress",))
    if previous != "InProgress":
        raise ConflictError(_not_running_message(name, previous))

    # Read before the signal: a process that exits at once may be recorded Stopped by its
    # monitor before a later read, and the reply is the component as it is when stopping.
    stopping = store.get_component(name)
    log.info("Stopping job %s: sending SIGTERM to process %d.", name, processes.pid)
    signal_job_process(processes.pid, processes.create_time, signal.SIGTERM)

    finisher = threading.Thread(
        target=_finish_stop,
        args=(store, name, processes, grace_period_s),
        name=f"stop-{name}",
        daemon=True,
    )
    finisher.start()
    return stopping


def _job_processes(component: dict[str, Any]) -> JobProcesses:
    """Return the process identities of a running local job of this host, or raise ConflictError."""
    name = component["name"]
    if component.get("source_type") != LOCAL_JOB_SOURCE:
        raise ConflictError(
            f"Trial component {name!r} is not a local job (its source type is "
            f"{component.get('source_type')!r}): only jobs started with Estimator.fit can be "
            "stopped."
        )
    if component.get("status") != "InProgress":
        raise ConflictError(_not_running_message(name, component.get("status")))

    settings = component.get("job_settings") or {}
    host = socket.gethostname()
    if settings.get("host") != host:
        raise ConflictError(
            f"Job {name!r} runs on host {settings.get('host')!r}, not on this server's host "
            f"{host!r}: stop it on {settings.get('host')!r}, for example with "
            "TrainingJob.stop() in the notebook that started it."
        )

    pid = settings.get("process_id")
    create_time = settings.get("process_create_time")
    if not isinstance(pid, int) or not isinstance(create_time, (int, float)):
        raise ConflictError(
            f"Job {name!r} has no recorded process_id and process_create_time (it is still "
            "starting, or an older version started it), so its process cannot be identified. "
            "Try again in a moment, or stop it with TrainingJob.stop() where it was started."
        )
    monitor_pid = settings.get("monitor_process_id")
    monitor_create_time = settings.get("monitor_process_create_time")
    return JobProcesses(
        pid=pid,
        create_time=float(create_time),
        monitor_pid=monitor_pid if isinstance(monitor_pid, int) else None,
        monitor_create_time=(
            float(monitor_create_time) if isinstance(monitor_create_time, (int, float)) else None
        ),
    )


def _not_running_message(name: str, status: str | None) -> str:
    if status == "Stopping":
        return f"Job {name!r} is already stopping."
    return (
        f"Job {name!r} is not running: its status is {status}. Only a job with status "
        "InProgress can be stopped."
    )


def _finish_stop(
    store: TrackingStore, name: str, processes: JobProcesses, grace_period_s: float
) -> None:
    """Make sure the stopped job's process ends, and record Stopped if its monitor is gone.

    Runs on a daemon thread, after ``stop_job`` has sent SIGTERM.
    """
    try:
        exited = kill_after_grace_period(processes.pid, processes.create_time, grace_period_s)
        if not exited:
            log.error(
                "Job %s: process %d still runs after SIGKILL; it is left in status Stopping.",
                name,
                processes.pid,
            )
            return
        if processes.monitor_alive():
            # The monitor reaps the process and records Stopped itself.
            return

        previous = store.set_job_status(
            name,
            "Stopped",
            expected=("Stopping",),
            status_message=STOPPED_MESSAGE,
            end_time=time.time(),
        )
        if previous == "Stopping":
            log.info("Job %s stopped; its monitor is gone, so recorded Stopped here.", name)
    except Exception:
        log.exception("Failed to finish stopping job %s (process %d).", name, processes.pid)
