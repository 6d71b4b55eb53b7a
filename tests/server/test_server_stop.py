"""Stopping a running local job through ``POST trial-components/{name}/stop``.

The jobs run real training scripts, started with ``Estimator`` in the test process, which is
their monitor and records the final status once the server has stopped the process.
"""

from __future__ import annotations

import socket
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from server_helpers import Request, payload

from jupyter_experiments.jobs import Estimator, TrainingJob
from jupyter_experiments.jobs.host import is_process_alive
from jupyter_experiments.jobs.recovery import LOCAL_JOB_SOURCE
from jupyter_experiments.store import TrackingStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="jobs use POSIX process groups")

SLEEPING_SCRIPT = """
    import time

    print("loss=0.5", flush=True)
    time.sleep(600)
"""


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def running_job(tracking: TrackingStore, tmp_path: Path) -> Iterator[TrainingJob]:
    """A job that has printed its metric line and sleeps; stopped at the end if still running."""
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SLEEPING_SCRIPT), encoding="utf-8")
    job = Estimator(
        script, metric_definitions=[{"Name": "loss", "Regex": r"loss=([0-9.]+)"}], store=tracking
    ).fit(job_name="sleeper", wait=False, logs=False)
    assert wait_until(lambda: "loss=0.5" in job.logs(), timeout_s=20)
    yield job
    job.stop()


async def test_stop_job(api: Request, tracking: TrackingStore, running_job: TrainingJob) -> None:
    name = running_job.trial_component_name
    settings = tracking.get_component(name)["job_settings"]

    response = await api("POST", f"trial-components/{name}/stop")
    final_status = running_job.wait(timeout=20)
    component = tracking.get_component(name)

    assert response.code == 202
    assert payload(response)["name"] == name
    assert payload(response)["status"] == "Stopping"
    assert final_status == "Stopped"
    assert component["metrics"]["loss"]["last"] == 0.5
    assert not is_process_alive(settings["process_id"], settings["process_create_time"])


async def test_stop_job_twice(
    api: Request, tracking: TrackingStore, running_job: TrainingJob
) -> None:
    name = running_job.trial_component_name
    tracking.set_job_status(name, "Stopping", expected=("InProgress",))

    response = await api("POST", f"trial-components/{name}/stop")

    assert response.code == 409
    assert "already stopping" in payload(response)["message"]


async def test_stop_completed(api: Request, tracking: TrackingStore, tmp_path: Path) -> None:
    script = tmp_path / "done.py"
    script.write_text("print('done')\n", encoding="utf-8")
    job = Estimator(script, store=tracking).fit(job_name="done", logs=False)

    response = await api("POST", f"trial-components/{job.trial_component_name}/stop")

    assert response.code == 409
    assert "its status is Completed" in payload(response)["message"]


async def test_stop_other_host(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component(
        "remote-job",
        status="InProgress",
        source_type=LOCAL_JOB_SOURCE,
        job_settings={"host": "gpu-7.invalid", "process_id": 1, "process_create_time": 1.0},
    )

    response = await api("POST", "trial-components/remote-job/stop")
    message = payload(response)["message"]

    assert response.code == 409
    assert "runs on host 'gpu-7.invalid'" in message
    assert f"not on this server's host {socket.gethostname()!r}" in message
    assert tracking.get_component("remote-job")["status"] == "InProgress"


async def test_stop_not_a_job(api: Request, tracking: TrackingStore) -> None:
    tracking.create_component("manual", status="InProgress")

    response = await api("POST", "trial-components/manual/stop")

    assert response.code == 409
    assert "not a local job" in payload(response)["message"]


async def test_stop_unknown(api: Request) -> None:
    response = await api("POST", "trial-components/absent/stop")

    assert response.code == 404
    assert "absent" in payload(response)["message"]
