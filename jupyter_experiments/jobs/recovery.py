"""Find training jobs whose process died without recording a final status."""

from __future__ import annotations

import logging
import socket
import time
from typing import TYPE_CHECKING

from .host import is_process_alive

if TYPE_CHECKING:
    from ..store import TrackingStore

log = logging.getLogger("jupyter_experiments.jobs")

#: source_type of trial components made by local training jobs.
LOCAL_JOB_SOURCE = "local-job"


def recover_orphaned_jobs(store: TrackingStore) -> list[str]:
    """Mark this host's running jobs whose process is gone as ``Failed``; return their names.

    Jobs of other hosts are left alone: their processes cannot be checked from here.
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
        # NOTE: the training process is not stopped here: its start time is not recorded, so it
        # cannot be told apart from a process that reused its pid.
        recovered.append(component["name"])
    return recovered
