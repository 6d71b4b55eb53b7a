"""Tests of several processes writing into one store at the same time, on every backend.

Each worker is a real Python process running a small script. Workers wait for a start file, so
that they write at the same moment rather than one after another.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from backends import BACKENDS, TEST_DB_URL_ENV, empty_postgresql

from jupyter_experiments.store import DB_URL_ENV, TrackingStore
from jupyter_experiments.store.migrations import HEAD_REVISION, current_revision
from jupyter_experiments.store.schema import metric_points

WORKERS = 4
POINTS_PER_WORKER = 5_000
FLUSH_EVERY_POINTS = 250
TRIALS = 40
START_TIMEOUT_S = 30.0
RUN_TIMEOUT_S = 60.0

PRELUDE = """
import json, pathlib, sys, time
folder = pathlib.Path(sys.argv[1])
index = int(sys.argv[2])
import jupyter_experiments  # imported before the start signal, so that workers start together
(folder / f"ready-{index}").touch()
while not (folder / "go").exists():
    time.sleep(0.01)
"""

METRICS_WORKER = (
    PRELUDE
    + """
from jupyter_experiments import Tracker, TrialComponent
name = f"worker-{index}"
TrialComponent.create(name)
with Tracker.load(name) as tracker:
    for step in range(POINTS):
        tracker.log_metric("loss", index * 1_000_000 + step * 0.5)
        if step % FLUSH == FLUSH - 1:
            tracker.flush()
print(json.dumps({"component": name}))
"""
)

TRIALS_WORKER = (
    PRELUDE
    + """
from jupyter_experiments import Experiment, Trial
from jupyter_experiments.sdk._store import get_store
store = get_store()
for number in range(TRIALS):
    trial = Trial.create(experiment_name="shared", trial_name=f"trial-{number}")
    component = f"worker-{number % WORKERS}"
    if store.component_exists(component):
        trial.add_trial_component(component)
print(json.dumps({"trials": TRIALS}))
"""
)

SCHEMA_WORKER = (
    PRELUDE
    + """
from jupyter_experiments import Experiment
Experiment.create(f"experiment-{index}")
print(json.dumps({"created": index}))
"""
)


def write_script(folder: Path, name: str, body: str) -> Path:
    constants = (
        f"POINTS = {POINTS_PER_WORKER}\nFLUSH = {FLUSH_EVERY_POINTS}\n"
        f"TRIALS = {TRIALS}\nWORKERS = {WORKERS}\n"
    )
    path = folder / name
    path.write_text(constants + textwrap.dedent(body))
    return path


def run_together(folder: Path, scripts: list[Path]) -> list[subprocess.CompletedProcess[str]]:
    """Start one process per script, release them at once, and wait for all of them."""
    processes = [
        subprocess.Popen(
            [sys.executable, str(script), str(folder), str(index)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for index, script in enumerate(scripts)
    ]
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while len(list(folder.glob("ready-*"))) < len(scripts):
            assert time.monotonic() < deadline, "workers did not start in time"
            assert all(process.poll() is None for process in processes), "a worker exited early"
            time.sleep(0.02)
        (folder / "go").touch()

        results = []
        for process in processes:
            stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
            results.append(
                subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
            )
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def assert_clean(results: list[subprocess.CompletedProcess[str]]) -> None:
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "database is locked" not in result.stderr
        assert "Traceback" not in result.stderr


@pytest.fixture
def workers_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "workers"
    folder.mkdir()
    return folder


@pytest.fixture(params=BACKENDS)
def new_store_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Return the URL of a database without tables, which the workers inherit as their store."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = os.environ[TEST_DB_URL_ENV]
        empty_postgresql(url, keep_tables=False)
    monkeypatch.setenv(DB_URL_ENV, url)
    return url


@pytest.mark.timeout(120)
def test_parallel_writers(store: TrackingStore, workers_folder: Path) -> None:
    store.create_experiment("shared")
    scripts = [write_script(workers_folder, "metrics.py", METRICS_WORKER)] * WORKERS
    scripts.append(write_script(workers_folder, "trials.py", TRIALS_WORKER))

    results = run_together(workers_folder, scripts)

    assert_clean(results)
    with store.engine.connect() as connection:
        rows_per_component: dict[int, int] = {
            component_id: count
            for component_id, count in connection.execute(
                sa.select(metric_points.c.component_id, sa.func.count()).group_by(
                    metric_points.c.component_id
                )
            )
        }
    assert sorted(rows_per_component.values()) == [POINTS_PER_WORKER] * WORKERS
    assert len(store.list_trials(experiment_name="shared")) == TRIALS
    for index in range(WORKERS):
        expected = index * 1_000_000 + np.arange(POINTS_PER_WORKER) * 0.5
        component = store.get_component(f"worker-{index}")
        summary = component["metrics"]["loss"]

        assert component["status"] == "Completed"
        assert summary["count"] == POINTS_PER_WORKER
        assert summary["avg"] == pytest.approx(expected.mean(), rel=1e-12)
        assert summary["std_dev"] == pytest.approx(expected.std(ddof=1), rel=1e-9)
        assert summary["last"] == expected[-1]
        steps = [point["step"] for point in store.get_metric_series(f"worker-{index}", "loss")]
        assert steps == list(range(POINTS_PER_WORKER))


@pytest.mark.timeout(120)
def test_parallel_new_store(workers_folder: Path, new_store_url: str) -> None:
    # No process has opened this store yet, so all of them race to create its tables.
    script = write_script(workers_folder, "schema.py", SCHEMA_WORKER)

    results = run_together(workers_folder, [script] * WORKERS)

    assert_clean(results)
    store = TrackingStore(new_store_url)
    try:
        names = sorted(record["name"] for record in store.list_experiments())
        with store.engine.connect() as connection:
            revision = current_revision(connection)
        assert names == [f"experiment-{index}" for index in range(WORKERS)]
        assert revision == HEAD_REVISION
    finally:
        store.dispose()
