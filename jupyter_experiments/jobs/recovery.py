"""Find training jobs whose monitor died without recording a final status, and end them."""

from __future__ import annotations

import logging
import socket
import time
from typing import TYPE_CHECKING, Any

from .host import is_process_alive
from .termination import terminate_job_process

if TYPE_CHECKING:
    from ..store import TrackingStore

log = logging.getLogger("jupyter_experiments.jobs")

#: source_type of trial components made by local training jobs.
LOCAL_JOB_SOURCE = "local-job"

#: Seconds an orphaned training process gets after SIGTERM before SIGKILL. Recovery runs when
#: a store is opened, which waits this long only for a process that ignores SIGTERM.
ORPHAN_GRACE_PERIOD_S = 3.0


def recover_orphaned_jobs(store: TrackingStore) -> list[str]:
    """Mark this host's running jobs whose monitor is gone as ``Failed``; return their names.

    The training process of such a job, if it still runs, is ended as well (SIGTERM, then
    SIGKILL after ``ORPHAN_GRACE_PERIOD_S``), once its pid and create time match the recorded
    ones. Jobs of other hosts are left alone: their processes cannot be checked from here.
    """
    host = socket.gethostname()
    recovered = []
    for component in store.running_components(LOCAL_JOB_SOURCE):
        settings = component["job_settings"]
        if settings.get("host") != host:
            continue
        # The monitor is the process that reads the job's output and records its final status;
        # once it is gone nobody will, even if the training process itself still runs.
        pid = settings.get("monitor_process_id")
        create_time = settings.get("monitor_process_create_time")
        if not isinstance(pid, int) or not isinstance(create_time, (int, float)):
            continue
        if is_process_alive(pid, float(create_time)):
            continue
        reason = (
            f"The process {pid} on {host} that ran the job ended without recording a final "
            "status (killed, or the machine restarted)."
        )
        store.update_component(
            component["name"],
            status="Failed",
            status_message=reason,
            end_time=time.time(),
            job_settings={"status": "Failed"},
        )
        log.warning("Marked job %s as Failed: %s", component["name"], reason)
        _end_orphan(component["name"], settings)
        recovered.append(component["name"])
    return recovered


def _end_orphan(name: str, settings: dict[str, Any]) -> None:
    """End the training process of a job whose monitor is gone, if it still runs."""
    pid = settings.get("process_id")
    create_time = settings.get("process_create_time")
    if not isinstance(pid, int):
        return
    if not isinstance(create_time, (int, float)):
        # Jobs started by older versions recorded no create time, so a process that reused the
        # pid could not be distinguished from theirs.
        log.warning(
            "Job %s: its training process %s is not ended, because no create time is recorded.",
            name,
            pid,
        )
        return
    if not is_process_alive(pid, float(create_time)):
        return

    log.warning("Job %s: ending its orphaned training process %d.", name, pid)
    if not terminate_job_process(pid, float(create_time), ORPHAN_GRACE_PERIOD_S):
        log.error("Job %s: its orphaned training process %d still runs after SIGKILL.", name, pid)
