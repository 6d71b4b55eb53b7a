"""Tests for stopping a running local job from outside its monitor (``jobs.control.stop_job``).

The jobs here run real training scripts as child processes of the test process, which is their
monitor; orphans are made by recording a monitor process that has exited.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from jupyter_experiments.errors import ConflictError, NotFoundError
from jupyter_experiments.jobs import Estimator, TrainingJob
from jupyter_experiments.jobs.control import STOPPED_MESSAGE, stop_job
from jupyter_experiments.jobs.host import is_process_alive
from jupyter_experiments.jobs.recovery import LOCAL_JOB_SOURCE
from jupyter_experiments.store import TrackingStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="jobs use POSIX process groups")

# Prints one metric line, then sleeps until it is stopped.
SLEEPING_SCRIPT = """
    import time

    print("loss=0.5", flush=True)
    time.sleep(600)
"""

# Ignores SIGTERM, so only SIGKILL ends it.
STUBBORN_SCRIPT = """
    import signal, time

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("loss=0.5", flush=True)
    time.sleep(600)
"""

METRICS = [{"Name": "loss", "Regex": r"loss=([0-9.]+)"}]


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def start_job(folder: Path, body: str, job_name: str) -> TrainingJob:
    """Start a job running ``body`` and wait until it has printed its metric line."""
    script = folder / "train.py"
    script.write_text(textwrap.dedent(body), encoding="utf-8")
    job = Estimator(script, metric_definitions=METRICS).fit(
        job_name=job_name, wait=False, logs=False
    )
    assert wait_until(lambda: "loss=0.5" in job.logs(), timeout_s=20)
    return job


@pytest.fixture
def jobs() -> Iterator[list[TrainingJob]]:
    """Jobs a test starts; any still running at the end are stopped."""
    started: list[TrainingJob] = []
    yield started
    for job in started:
        job.stop()


def test_stop_running_job(store: TrackingStore, tmp_path: Path, jobs: list[TrainingJob]) -> None:
    job = start_job(tmp_path, SLEEPING_SCRIPT, "sleeper")
    jobs.append(job)
    settings = store.get_component(job.trial_component_name)["job_settings"]
    pid, create_time = settings["process_id"], settings["process_create_time"]

    returned = stop_job(store, job.trial_component_name)
    final_status = job.wait(timeout=20)
    component = store.get_component(job.trial_component_name)

    assert returned["status"] == "Stopping"
    assert final_status == "Stopped"
    assert component["status_message"] == STOPPED_MESSAGE
    assert component["job_settings"]["status"] == "Stopped"
    assert component["end_time"] is not None
    assert not is_process_alive(pid, create_time)


def test_stop_records_create_time(
    store: TrackingStore, tmp_path: Path, jobs: list[TrainingJob]
) -> None:
    job = start_job(tmp_path, SLEEPING_SCRIPT, "timed")
    jobs.append(job)
    settings = store.get_component(job.trial_component_name)["job_settings"]

    created = psutil.Process(settings["process_id"]).create_time()

    assert abs(settings["process_create_time"] - created) < 1.0


def test_stop_kills_after_grace(
    store: TrackingStore, tmp_path: Path, jobs: list[TrainingJob]
) -> None:
    job = start_job(tmp_path, STUBBORN_SCRIPT, "stubborn")
    jobs.append(job)

    stop_job(store, job.trial_component_name, grace_period_s=0.5)
    final_status = job.wait(timeout=20)

    assert final_status == "Stopped"
    assert job.exit_code == -9


def test_stop_completed_job(store: TrackingStore, tmp_path: Path) -> None:
    script = tmp_path / "done.py"
    script.write_text("print('done')\n", encoding="utf-8")
    job = Estimator(script).fit(job_name="done", logs=False)

    with pytest.raises(ConflictError, match="its status is Completed"):
        stop_job(store, job.trial_component_name)


def test_stop_twice(store: TrackingStore, tmp_path: Path, jobs: list[TrainingJob]) -> None:
    job = start_job(tmp_path, STUBBORN_SCRIPT, "twice")
    jobs.append(job)
    stop_job(store, job.trial_component_name, grace_period_s=2.0)

    with pytest.raises(ConflictError, match="already stopping"):
        stop_job(store, job.trial_component_name)


def test_stop_unknown_component(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError):
        stop_job(store, "no-such-job")


def test_stop_not_a_job(store: TrackingStore) -> None:
    store.create_component("notebook-run", status="InProgress", source_type="notebook")

    with pytest.raises(ConflictError, match="not a local job"):
        stop_job(store, "notebook-run")


def test_stop_other_host(store: TrackingStore) -> None:
    store.create_component(
        "remote-job",
        status="InProgress",
        source_type=LOCAL_JOB_SOURCE,
        job_settings={"host": "another-host.invalid", "process_id": 1, "process_create_time": 1.0},
    )

    with pytest.raises(ConflictError, match=r"stop it on 'another-host\.invalid'"):
        stop_job(store, "remote-job")


def test_stop_without_create_time(store: TrackingStore) -> None:
    store.create_component(
        "old-job",
        status="InProgress",
        source_type=LOCAL_JOB_SOURCE,
        job_settings={"host": socket.gethostname(), "process_id": 1},
    )

    with pytest.raises(ConflictError, match="no recorded process_id and process_create_time"):
        stop_job(store, "old-job")


def test_stop_orphan_records_stopped(store: TrackingStore) -> None:
    # Given: a running process whose recorded monitor has exited
    monitor = subprocess.Popen([sys.executable, "-c", "pass"])
    monitor_create_time = psutil.Process(monitor.pid).create_time()
    monitor.wait()
    training = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
    )
    store.create_component(
        "orphan",
        status="InProgress",
        source_type=LOCAL_JOB_SOURCE,
        job_settings={
            "host": socket.gethostname(),
            "process_id": training.pid,
            "process_create_time": psutil.Process(training.pid).create_time(),
            "monitor_process_id": monitor.pid,
            "monitor_process_create_time": monitor_create_time,
        },
    )

    # When
    try:
        returned = stop_job(store, "orphan")
        exit_code = training.wait(timeout=20)
        stopped = wait_until(lambda: store.get_component("orphan")["status"] == "Stopped", 20)
    finally:
        training.kill()
        training.wait()

    # Then
    assert returned["status"] == "Stopping"
    assert exit_code == -15
    assert stopped
    assert store.get_component("orphan")["status_message"] == STOPPED_MESSAGE
