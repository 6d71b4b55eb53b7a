"""Remote logging while the tracking server is briefly unreachable: no loss, no duplicates."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_support import FlakyProxy, TrackingServer, free_port, tracking_server

from jupyter_experiments import Tracker
from jupyter_experiments.remote import (
    RETRY_TIMEOUT_ENV,
    TOKEN_ENV,
    TRACKING_URI_ENV,
    RemoteStoreError,
    RemoteTrackingStore,
)
from jupyter_experiments.store import TrackingStore

POINTS = 2_500


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
