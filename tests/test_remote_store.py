"""Remote logging: the SDK and training jobs write through a tracking server's REST API."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_support import TrackingServer, tracking_server

from jupyter_experiments import Experiment, ExperimentAnalytics, Tracker, TrialComponent
from jupyter_experiments.errors import ConflictError, NotFoundError, ValidationError
from jupyter_experiments.jobs import Estimator
from jupyter_experiments.remote import TOKEN_ENV, TRACKING_URI_ENV, RemoteTrackingStore
from jupyter_experiments.sdk._store import get_store
from jupyter_experiments.store import DB_URL_ENV, TrackingStore

TRAINING_SCRIPT = """\
import math
from jupyter_experiments import Tracker
for epoch in range(5):
    print(f"epoch {epoch}: loss={1.0 / (epoch + 1)};", flush=True)
tracker = Tracker.load()
tracker.log_parameter("script_ran", True)
tracker.log_metric("extra", math.pi)
tracker.close()
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackingServer]:
    with tracking_server(tmp_path_factory.mktemp("tracking-server")) as running:
        yield running


@pytest.fixture
def remote(
    server: TrackingServer, monkeypatch: pytest.MonkeyPatch, isolated_environment: Path
) -> Iterator[TrackingStore]:
    """Point the SDK at the server; return the server's own store to check what it recorded."""
    monkeypatch.setenv(TRACKING_URI_ENV, server.url)
    monkeypatch.setenv(TOKEN_ENV, server.token)
    seen = TrackingStore(str(server.db_path))
    yield seen
    seen.dispose()


def local_store_used(tmp_path: Path) -> bool:
    return (tmp_path / "experiments.db").exists()


def test_env_selects_remote(remote: TrackingStore, server: TrackingServer) -> None:
    store = get_store()

    assert isinstance(store, RemoteTrackingStore)
    assert store.url == server.url


def test_explicit_url_wins(remote: TrackingStore, tmp_path: Path) -> None:
    store = get_store(str(tmp_path / "explicit.db"))

    assert isinstance(store, TrackingStore)


def test_sdk_records_remotely(remote: TrackingStore, tmp_path: Path) -> None:
    # Given: an experiment, a trial and a tracked component, all through the SDK
    experiment = Experiment.create("remote-exp", description="over HTTP", tags={"team": "a"})
    trial = experiment.create_trial(trial_name="remote-trial")
    artifact = tmp_path / "model.txt"
    artifact.write_text("weights")
    with Tracker.create(display_name="training") as tracker:
        tracker.log_parameters({"lr": 0.01, "layers": 3, "optimizer": "adam"})
        tracker.log_input("data", "s3://bucket/data/")
        uri = tracker.log_artifact(artifact)
        for step in range(25_000):
            tracker.log_metric("loss", 1.0 / (step + 1))
        tracker.log_metric("loss", math.nan)
    trial.add_trial_component(tracker)
    name = tracker.trial_component.trial_component_name

    # Then: the server's store has all of it, and the local store was never opened
    component = remote.get_component(name)
    assert remote.get_experiment("remote-exp")["description"] == "over HTTP"
    assert remote.get_experiment("remote-exp")["tags"] == {"team": "a"}
    assert component["trials"] == ["remote-trial"]
    assert component["status"] == "Completed"
    assert component["parameters"]["lr"] == 0.01
    assert component["parameters"]["layers"] == 3
    assert component["parameters"]["optimizer"] == "adam"
    assert component["input_artifacts"]["data"]["value"] == "s3://bucket/data/"
    assert component["output_artifacts"]["model.txt"]["value"] == uri
    assert component["metrics"]["loss"]["count"] == 25_000
    assert component["metrics"]["loss"]["nan_count"] == 1
    assert len(remote.get_metric_series(name, "loss")) == 25_001
    assert not local_store_used(tmp_path)


def test_sdk_reads_remotely(remote: TrackingStore) -> None:
    experiment = Experiment.create("read-exp")
    trial = experiment.create_trial(trial_name="read-trial")
    with Tracker.create(display_name="eval") as tracker:
        tracker.log_metric("accuracy", 0.9)
        tracker.log_metric("accuracy", 0.95)
    trial.add_trial_component(tracker)
    name = tracker.trial_component.trial_component_name

    loaded = TrialComponent.load(name)
    frame = ExperimentAnalytics("read-exp").dataframe()
    assert loaded.metrics["accuracy"].max == 0.95
    assert [p["value"] for p in loaded.metric_series("accuracy")] == [0.9, 0.95]
    assert list(frame["TrialComponentName"]) == [name]
    assert list(frame["accuracy - Max"]) == [0.95]
    assert [t.trial_name for t in Experiment.load("read-exp").list_trials()] == ["read-trial"]
    assert [t.trial_name for t in loaded.list_trials()] == ["read-trial"]


def test_reloaded_tracker_continues_steps(remote: TrackingStore) -> None:
    with Tracker.create() as tracker:
        tracker.log_metric("loss", 1.0)
        tracker.log_metric("loss", math.nan)
    name = tracker.trial_component.trial_component_name

    with Tracker.load(name) as again:
        again.log_metric("loss", 0.5)

    steps = [point["step"] for point in remote.get_metric_series(name, "loss")]
    assert steps == [0, 1, 2]


def test_errors_keep_classes(remote: TrackingStore) -> None:
    Experiment.create("taken")

    with pytest.raises(ConflictError, match="already exists"):
        Experiment.create("taken")
    with pytest.raises(NotFoundError, match="'missing' not found"):
        Experiment.load("missing")
    with pytest.raises(ValidationError, match="Invalid experiment name"):
        Experiment.create("bad name!")


def test_delete_remotely(remote: TrackingStore) -> None:
    experiment = Experiment.create("doomed")
    experiment.create_trial(trial_name="doomed-trial")

    experiment.delete_all(action="--force")

    assert remote.list_experiments(names=["doomed"]) == []
    with pytest.raises(NotFoundError):
        remote.get_trial("doomed-trial")


@pytest.mark.slow
def test_job_records_remotely(remote: TrackingStore, tmp_path: Path) -> None:
    # Given: a training script that prints metrics and logs through Tracker.load()
    script = tmp_path / "train.py"
    script.write_text(TRAINING_SCRIPT)
    Experiment.create("job-exp")

    # When: an Estimator runs it with the tracking URI set
    job = Estimator(
        script,
        hyperparameters={"epochs": 5},
        metric_definitions=[{"Name": "train:loss", "Regex": "loss=(.*?);"}],
        python=sys.executable,
    ).fit(experiment_config={"ExperimentName": "job-exp", "TrialName": "job-trial"}, logs=False)

    # Then: the server's store has the job's component, metrics and status
    component = remote.get_component(job.trial_component_name)
    assert component["status"] == "Completed"
    assert component["trials"] == ["job-trial"]
    assert component["parameters"]["epochs"] == 5
    assert component["parameters"]["script_ran"] is True
    assert component["metrics"]["train:loss"]["count"] == 5
    assert component["metrics"]["train:loss"]["min"] == 0.2
    assert component["metrics"]["extra"]["last"] == math.pi
    assert not local_store_used(tmp_path)


def test_db_url_env_unused(remote: TrackingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tracking URI wins over the database URL in the environment.
    monkeypatch.setenv(DB_URL_ENV, "sqlite:////nonexistent/folder/experiments.db")

    Experiment.create("env-order")

    assert remote.get_experiment("env-order")["name"] == "env-order"
