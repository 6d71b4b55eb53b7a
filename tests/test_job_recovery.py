"""Tests for marking training jobs as Failed when their monitor process died.

A job's monitor is the process that called ``Estimator.fit``: it reads the job's output and
records the final status. Opening a store in a new process checks every running job of this
host and marks those whose monitor is gone as Failed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_experiments.jobs import Estimator
from jupyter_experiments.jobs.host import is_process_alive
from jupyter_experiments.jobs.recovery import LOCAL_JOB_SOURCE, recover_orphaned_jobs
from jupyter_experiments.sdk._store import get_store, reset_stores
from jupyter_experiments.sdk.trial_component import TrialComponent
from jupyter_experiments.store import TrackingStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="jobs use POSIX process groups")

# Starts the job given on the command line without waiting, then blocks like a busy kernel.
DRIVER_SCRIPT = """
    import sys, time
    from jupyter_experiments.jobs import Estimator

    Estimator(sys.argv[1]).fit(job_name=sys.argv[2], wait=False, logs=False)
    time.sleep(600)
"""

TRAINING_SCRIPT = """
    import time

    print("started", flush=True)
    while True:
        time.sleep(0.1)
"""

GATED_SCRIPT = """
    import os, time

    print("started", flush=True)
    while not os.path.exists("go"):
        time.sleep(0.02)
"""


def write_script(folder: Path, body: str, name: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def reopen(store: TrackingStore) -> TrackingStore:
    """Forget the shared stores and open ``store``'s URL again, as a new process would."""
    reset_stores()
    return get_store(store.url)


def dead_process() -> tuple[int, float]:
    """Return the pid and create time of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    create_time = psutil.Process(child.pid).create_time()
    child.kill()
    child.wait()
    return child.pid, create_time


def record_job(
    store: TrackingStore,
    name: str,
    monitor_pid: int,
    monitor_create_time: float,
    host: str | None = None,
    status: str = "InProgress",
    source_type: str = LOCAL_JOB_SOURCE,
) -> None:
    """Store a job's trial component with the job settings that recovery reads."""
    settings: dict[str, Any] = {
        "job_name": name,
        "status": status,
        "host": host or socket.gethostname(),
        "monitor_process_id": monitor_pid,
        "monitor_process_create_time": monitor_create_time,
    }
    store.create_component(
        name,
        status=status,
        start_time=time.time(),
        source_type=source_type,
        job_settings=settings,
    )


def test_killed_driver_marks_job_failed(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, TRAINING_SCRIPT, "train.py")
    driver_script = write_script(tmp_path, DRIVER_SCRIPT, "driver.py")
    name = "orphan-training-job"
    driver = subprocess.Popen([sys.executable, str(driver_script), str(script), "orphan"])

    def job_started() -> bool:
        return (
            store.component_exists(name)
            and "process_id" in store.get_component(name)["job_settings"]
        )

    try:
        started = wait_until(job_started, timeout_s=30)
    finally:
        driver.kill()
        driver.wait()
    job_pid = store.get_component(name)["job_settings"]["process_id"] if started else None
    if job_pid is not None:
        # The job runs in its own session, so killing the driver leaves it running.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job_pid, signal.SIGKILL)
    status_before = store.get_component(name)["status"]

    reset_stores()
    component = TrialComponent.load(name)

    assert started
    assert status_before == "InProgress"
    assert component.status == "Failed"
    assert component.status_message is not None
    assert f"process {driver.pid} " in component.status_message
    assert component.end_time is not None
    assert component.job_settings["status"] == "Failed"


def test_dead_monitor_marks_job_failed(store: TrackingStore) -> None:
    pid, create_time = dead_process()
    record_job(store, "dead-monitor", pid, create_time)

    reopened = reopen(store)
    component = reopened.get_component("dead-monitor")

    assert component["status"] == "Failed"
    assert f"process {pid} " in component["status_message"]
    assert component["end_time"] is not None


def test_reused_pid_marks_job_failed(store: TrackingStore) -> None:
    # The pid is live (this process), but its create time shows it is another process.
    real_create_time = psutil.Process().create_time()
    record_job(store, "reused-pid", os.getpid(), real_create_time - 3600)

    reopened = reopen(store)
    component = reopened.get_component("reused-pid")

    assert component["status"] == "Failed"
    assert f"process {os.getpid()} " in component["status_message"]


def test_live_monitor_left_running(store: TrackingStore) -> None:
    record_job(store, "live-monitor", os.getpid(), psutil.Process().create_time())

    reopened = reopen(store)
    component = reopened.get_component("live-monitor")

    assert component["status"] == "InProgress"
    assert component["status_message"] is None
    assert component["end_time"] is None


def test_own_running_job_left_running(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, GATED_SCRIPT, "train.py")
    job = Estimator(script).fit(job_name="own-job", wait=False, logs=False)
    try:
        assert wait_until(lambda: "started" in job.logs(), timeout_s=10)
        reopened = reopen(store)
        status_after_reopen = reopened.get_component(job.trial_component_name)["status"]
    finally:
        (tmp_path / "go").touch()
        final_status = job.wait(timeout=20)
    # The job wrote its outcome through the store opened before reopen(), which the shared
    # stores no longer hold, so close its connections here.
    store.dispose()

    assert status_after_reopen == "InProgress"
    assert final_status == "Completed"


def test_other_host_left_alone(store: TrackingStore) -> None:
    pid, create_time = dead_process()
    record_job(store, "other-host", pid, create_time, host="another-host.invalid")

    reopened = reopen(store)

    assert reopened.get_component("other-host")["status"] == "InProgress"


def test_stopping_job_marked_failed(store: TrackingStore) -> None:
    pid, create_time = dead_process()
    record_job(store, "dead-while-stopping", pid, create_time, status="Stopping")

    reopened = reopen(store)

    assert reopened.get_component("dead-while-stopping")["status"] == "Failed"


def test_finished_job_left_alone(store: TrackingStore) -> None:
    pid, create_time = dead_process()
    record_job(store, "finished", pid, create_time, status="Completed")

    reopened = reopen(store)
    component = reopened.get_component("finished")

    assert component["status"] == "Completed"
    assert component["status_message"] is None


def test_other_source_left_alone(store: TrackingStore) -> None:
    pid, create_time = dead_process()
    record_job(store, "not-a-job", pid, create_time, source_type="notebook")

    reopened = reopen(store)

    assert reopened.get_component("not-a-job")["status"] == "InProgress"


def test_recovery_returns_names(store: TrackingStore) -> None:
    pid, create_time = dead_process()
    record_job(store, "orphan-a", pid, create_time)
    record_job(store, "orphan-b", pid, create_time)
    record_job(store, "alive", os.getpid(), psutil.Process().create_time())

    assert sorted(recover_orphaned_jobs(store)) == ["orphan-a", "orphan-b"]
    assert recover_orphaned_jobs(store) == []


def test_recovery_ends_orphan_process(store: TrackingStore, tmp_path: Path) -> None:
    # Given: a job started by a driver process, which is then killed alone
    script = write_script(tmp_path, TRAINING_SCRIPT, "train.py")
    driver_script = write_script(tmp_path, DRIVER_SCRIPT, "driver.py")
    name = "orphan-process-training-job"
    driver = subprocess.Popen([sys.executable, str(driver_script), str(script), "orphan-process"])

    def job_started() -> bool:
        return (
            store.component_exists(name)
            and "process_create_time" in store.get_component(name)["job_settings"]
        )

    try:
        started = wait_until(job_started, timeout_s=30)
    finally:
        driver.kill()
        driver.wait()
    settings = store.get_component(name)["job_settings"] if started else {}
    pid, create_time = settings.get("process_id", 0), settings.get("process_create_time", 0.0)
    alive_before = is_process_alive(pid, create_time)

    # When: a new process opens the store
    try:
        reopened = reopen(store)
        alive_after = is_process_alive(pid, create_time)
    finally:
        if alive_before:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)

    # Then
    assert started
    assert alive_before
    assert reopened.get_component(name)["status"] == "Failed"
    assert not alive_after
