"""Remote logging: the SDK and training jobs write through a tracking server's REST API."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from remote_support import FlakyProxy, TrackingServer, tracking_server

from jupyter_experiments import Experiment, ExperimentAnalytics, Tracker, TrialComponent
from jupyter_experiments.errors import ConflictError, NotFoundError, ValidationError
from jupyter_experiments.jobs import Estimator
from jupyter_experiments.remote import TOKEN_ENV, TRACKING_URI_ENV, RemoteTrackingStore
from jupyter_experiments.sdk._store import get_store
from jupyter_experiments.store import DB_URL_ENV, TrackingStore
from jupyter_experiments.widgets import TrialComponentTable

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


@pytest.fixture
def client(server: TrackingServer) -> Iterator[RemoteTrackingStore]:
    """A remote store of the server, used directly rather than through the SDK."""
    store = RemoteTrackingStore(server.url, token=server.token, retry_timeout_s=5.0)
    yield store
    store.dispose()


@pytest.fixture
def metered(server: TrackingServer) -> Iterator[tuple[RemoteTrackingStore, FlakyProxy]]:
    """A remote store that reaches the server through a proxy counting the reply bytes."""
    proxy = FlakyProxy(int(server.url.rsplit(":", 1)[1].strip("/")))
    proxy.start()
    store = RemoteTrackingStore(
        f"http://127.0.0.1:{proxy.port}/", token=server.token, retry_timeout_s=5.0
    )
    yield store, proxy
    store.dispose()
    proxy.stop()


def wait_for(condition: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


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


def test_count_reads_one_row(
    remote: TrackingStore, metered: tuple[RemoteTrackingStore, FlakyProxy]
) -> None:
    # Given: components whose records are large
    parameters = {f"p{index}": "x" * 50 for index in range(20)}
    for index in range(30):
        remote.create_component(f"counted-{index}", parameters=parameters)
    store, proxy = metered

    # When: the remote store counts them
    count = store.count_components(name_contains="counted-")

    # Then: the count is right, and the reply contains one name, not 30 records of 1.5 kB
    assert count == 30
    assert proxy.reply_bytes < 3_000
    assert store.count_components(names=["counted-1", "counted-2", "missing"]) == 2


def test_columns_match_store(remote: TrackingStore, client: RemoteTrackingStore) -> None:
    # Given: components with parameters of two types, metrics, artifacts and job settings
    remote.create_component(
        "columns-a",
        parameters={"lr": 0.1, "optimizer": "adam"},
        input_artifacts={"data": {"value": "s3://bucket/data"}},
        job_settings={"host": "node-1", "gpus": 2},
    )
    remote.create_component("columns-b", parameters={"lr": "high"})
    remote.log_metrics("columns-a", [("loss", 0.5, 0, 1.0), ("accuracy", 0.9, 0, 1.0)])

    # When: the remote store reads the columns of the selection
    columns = client.component_columns(name_contains="columns-")

    # Then: the names are the store's, with the API's merged parameter types
    expected = remote.component_columns(name_contains="columns-")
    assert columns["parameters"] == [("lr", "mixed"), ("optimizer", "string")]
    assert columns["metrics"] == expected["metrics"]
    assert columns["artifacts"] == expected["artifacts"]
    assert columns["job_settings"] == [("gpus", "number"), ("host", "string")]
    assert client.component_columns(names=["columns-b"])["parameters"] == [("lr", "string")]


def test_columns_unknown_argument(client: RemoteTrackingStore) -> None:
    with pytest.raises(TypeError, match="sort_by"):
        client.component_columns(sort_by="Name")


def test_changes_match_store(remote: TrackingStore, client: RemoteTrackingStore) -> None:
    # Given: the newest change, then an experiment, a trial and a component with metrics
    start = client.latest_change_id()
    remote.create_experiment("changes-exp")
    remote.create_trial("changes-trial", "changes-exp")
    remote.create_component("changes-component")
    remote.log_metrics("changes-component", [("loss", 0.5, 0, 1.0)])

    # When: the remote store reads the changes since then
    changes = client.changes_since(start)

    # Then: they are the store's change events, in the same form
    assert changes == remote.changes_since(start)
    assert [change["action"] for change in changes] == ["created", "created", "created", "metrics"]
    assert client.latest_change_id() == changes[-1]["id"]
    assert client.changes_since(start, limit=2) == changes[:2]
    assert client.changes_since(changes[-1]["id"]) == []


def test_changes_ahead_reset(remote: TrackingStore, client: RemoteTrackingStore) -> None:
    # A change id beyond the newest, as after the server's ids restarted: one reset event.
    remote.create_experiment("reset-exp")
    newest = client.latest_change_id()

    changes = client.changes_since(newest + 1_000)

    assert len(changes) == 1
    assert changes[0]["action"] == "reset"
    assert changes[0]["resource_type"] == "store"
    assert changes[0]["id"] == newest


def test_table_live_remotely(remote: TrackingStore) -> None:
    # Given: a live table of an experiment on the tracking server
    trial = Experiment.create("live-exp").create_trial(trial_name="live-trial")
    table = TrialComponentTable("live-exp", live=True, live_interval_s=0.2)
    try:
        assert table.row_count == 0

        # When: a component is added to the experiment's trial
        trial.add_trial_component(TrialComponent.create("live-component"))

        # Then: the table refreshes from the server's change feed
        assert wait_for(lambda: table.row_count == 1)
    finally:
        table.close()
