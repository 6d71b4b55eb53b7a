"""Remote logging while the tracking server is briefly unreachable: no loss, no duplicates."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_support import FlakyProxy, TrackingServer, free_port, tracking_server

from jupyter_experiments import Experiment, Tracker, TrialComponent
from jupyter_experiments.errors import ConflictError
from jupyter_experiments.remote import (
    RETRY_TIMEOUT_ENV,
    TOKEN_ENV,
    TRACKING_URI_ENV,
    RemoteStoreError,
    RemoteTrackingStore,
)
from jupyter_experiments.store import TrackingStore

POINTS = 2_500

#: Request lines of the creates and of adding a trial component to a trial.
CREATE_EXPERIMENT = re.compile(rb"POST \S*/api/experiments ")
CREATE_TRIAL = re.compile(rb"POST \S*/api/experiments/[^/ ]+/trials ")
CREATE_COMPONENT = re.compile(rb"POST \S*/api/trial-components ")
ADD_COMPONENT = re.compile(rb"PUT \S*/trials/[^/ ]+/trial-components/")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackingServer]:
    with tracking_server(tmp_path_factory.mktemp("retry-server")) as running:
        yield running


@pytest.fixture
def proxy(server: TrackingServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlakyProxy]:
    """A proxy in front of the server, which the SDK logs through."""
    flaky = FlakyProxy(int(server.url.rsplit(":", 1)[1].strip("/")))
    flaky.start()
    monkeypatch.setenv(TRACKING_URI_ENV, f"http://127.0.0.1:{flaky.port}/")
    monkeypatch.setenv(TOKEN_ENV, server.token)
    yield flaky
    flaky.stop()


@pytest.fixture
def seen(server: TrackingServer) -> Iterator[TrackingStore]:
    store = TrackingStore(str(server.db_path))
    yield store
    store.dispose()


def log_points(tracker: Tracker, start: int, count: int) -> None:
    for step in range(start, start + count):
        tracker.log_metric("loss", float(step), iteration_number=step)


def stored_steps(store: TrackingStore, component: str) -> list[int]:
    return [point["step"] for point in store.get_metric_series(component, "loss")]


def test_server_down_then_back(
    proxy: FlakyProxy, seen: TrackingStore, caplog: pytest.LogCaptureFixture
) -> None:
    # Given: a tracker with buffered points, and the server unreachable
    tracker = Tracker.create()
    name = tracker.trial_component.trial_component_name
    log_points(tracker, 0, POINTS)
    proxy.stop()

    # When: the flush starts while the server is down, and the server comes back a second later
    restart = threading.Timer(1.0, proxy.start)
    restart.start()
    with caplog.at_level(logging.WARNING, logger="jupyter_experiments.remote"):
        tracker.close()
    restart.join()

    # Then: every point is stored once, and each retry was logged with the batch and component
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert stored_steps(seen, name) == list(range(POINTS))
    assert retries
    assert all(f"of trial component {name}" in message for message in retries)
    assert all("metric batch" in message for message in retries)


def test_lost_reply_not_duplicated(proxy: FlakyProxy, seen: TrackingStore) -> None:
    # Given: the server writes the first batch but its reply never arrives
    tracker = Tracker.create()
    name = tracker.trial_component.trial_component_name
    log_points(tracker, 0, POINTS)
    proxy.lose_replies = 1

    # When: the client retries the batch
    tracker.close()

    # Then: the retry got the first write's reply, and the points are stored once
    assert proxy.lost == 1
    assert stored_steps(seen, name) == list(range(POINTS))
    assert seen.get_component(name)["metrics"]["loss"]["count"] == POINTS


def test_failed_flush_keeps_key(
    proxy: FlakyProxy, seen: TrackingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: a short retry window, and replies lost for longer than it lasts
    monkeypatch.setenv(RETRY_TIMEOUT_ENV, "0.5")
    tracker = Tracker.create()
    name = tracker.trial_component.trial_component_name
    log_points(tracker, 0, POINTS)
    proxy.lose_replies = 1_000

    # When: the flush gives up, more points are logged, and the next flush gets through
    with pytest.raises(RemoteStoreError, match="unreachable"):
        while True:
            # The background writer may take the points first; it fails the same way.
            tracker.flush()
            time.sleep(0.1)
    proxy.lose_replies = 0
    log_points(tracker, POINTS, 100)
    tracker.close()

    # Then: the written-but-unconfirmed batch was sent again under its key, not written twice
    assert proxy.lost >= 1
    assert stored_steps(seen, name) == list(range(POINTS + 100))


def test_retry_window_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Nothing listens on the port: the call gives up once the window has passed.
    store = RemoteTrackingStore(
        f"http://127.0.0.1:{free_port()}/", token="unused", retry_timeout_s=0.6
    )
    started = time.monotonic()

    with pytest.raises(RemoteStoreError, match=r"after \d+ attempts in 0\.6 s"):
        store.get_experiment("any")

    assert 0.5 < time.monotonic() - started < 5.0
    store.dispose()


def test_lost_experiment_reply(proxy: FlakyProxy, seen: TrackingStore) -> None:
    # Given: the server creates the experiment but its reply never arrives
    proxy.flaky_requests = CREATE_EXPERIMENT
    proxy.lose_replies = 1

    # When: the client retries the create, which now finds the name taken
    experiment = Experiment.create("lost-exp", description="first try", tags={"team": "a"})

    # Then: the create succeeds with the record that its first attempt wrote
    assert proxy.lost == 1
    assert experiment.experiment_name == "lost-exp"
    assert experiment.description == "first try"
    assert seen.get_experiment("lost-exp")["tags"] == {"team": "a"}


def test_lost_trial_reply(proxy: FlakyProxy, seen: TrackingStore) -> None:
    experiment = Experiment.create("lost-trial-exp")
    proxy.flaky_requests = CREATE_TRIAL
    proxy.lose_replies = 1

    trial = experiment.create_trial(trial_name="lost-trial")

    assert proxy.lost == 1
    assert trial.trial_name == "lost-trial"
    assert trial.experiment_name == "lost-trial-exp"
    assert seen.get_trial("lost-trial")["experiment_name"] == "lost-trial-exp"


def test_lost_component_reply(proxy: FlakyProxy, seen: TrackingStore) -> None:
    proxy.flaky_requests = CREATE_COMPONENT
    proxy.lose_replies = 1

    component = TrialComponent.create("lost-component", display_name="eval", tags={"k": "v"})

    assert proxy.lost == 1
    assert component.trial_component_name == "lost-component"
    assert component.display_name == "eval"
    assert seen.get_component("lost-component")["tags"] == {"k": "v"}


def test_lost_tracker_create_reply(proxy: FlakyProxy, seen: TrackingStore) -> None:
    # A tracker creates its component with a status and a start time.
    proxy.flaky_requests = CREATE_COMPONENT
    proxy.lose_replies = 1

    with Tracker.create(display_name="training") as tracker:
        tracker.log_metric("loss", 0.5)

    name = tracker.trial_component.trial_component_name
    assert proxy.lost == 1
    assert seen.get_component(name)["status"] == "Completed"
    assert seen.get_component(name)["metrics"]["loss"]["count"] == 1


def test_lost_association_reply(proxy: FlakyProxy, seen: TrackingStore) -> None:
    trial = Experiment.create("lost-link-exp").create_trial(trial_name="lost-link-trial")
    component = TrialComponent.create("lost-link-component")
    proxy.flaky_requests = ADD_COMPONENT
    proxy.lose_replies = 1

    trial.add_trial_component(component)

    assert proxy.lost == 1
    assert seen.get_component("lost-link-component")["trials"] == ["lost-link-trial"]


def test_retried_create_differs(proxy: FlakyProxy, seen: TrackingStore) -> None:
    # Given: another client's experiment under the name, and a first attempt that never
    # reaches the server because the connection drops after the request was sent
    seen.create_experiment("other-exp", description="theirs")
    proxy.flaky_requests = CREATE_EXPERIMENT
    proxy.drop_requests = 1

    # When/Then: the retry's 409 is raised, because the stored record is not what was sent
    with pytest.raises(ConflictError, match="already exists"):
        Experiment.create("other-exp", description="mine")
    assert proxy.drop_requests == 0
    assert seen.get_experiment("other-exp")["description"] == "theirs"


def test_first_attempt_conflict_raised(proxy: FlakyProxy, seen: TrackingStore) -> None:
    # A 409 on the first attempt is a real conflict, even for a record equal to the request.
    seen.create_experiment("same-exp", description="same")

    with pytest.raises(ConflictError, match="already exists"):
        Experiment.create("same-exp", description="same")


def test_refused_then_conflict_raised(proxy: FlakyProxy, seen: TrackingStore) -> None:
    # Given: a record equal to the request, and a first attempt refused before it was sent
    seen.create_experiment("refused-exp", description="same")
    proxy.stop()
    restart = threading.Timer(0.5, proxy.start)
    restart.start()

    # When/Then: no attempt can have created the record, so the 409 is a real conflict
    with pytest.raises(ConflictError, match="already exists"):
        Experiment.create("refused-exp", description="same")
    restart.join()
