"""Live updates: the WebSocket, delivery from another process, catch-up and the shared poller.

On PostgreSQL they also cover the LISTEN connection that wakes the poller at each commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from tornado.httpclient import HTTPClientError
from tornado.websocket import WebSocketClientConnection

from jupyter_experiments.server.live import ChangeFeed, coalesce
from jupyter_experiments.server.notify import APPLICATION_NAME
from jupyter_experiments.store import DB_URL_ENV, TrackingStore
from jupyter_experiments.store.schema import change_events

#: How long a notice may take: the brief's "about a second", plus slack for a loaded machine.
DELIVERY_TIMEOUT_S = 2.0

#: Polling interval of the tests of PostgreSQL notifications, far above their delivery bound.
SLOW_POLL_INTERVAL_S = 5.0

#: How long a notified change may take to reach a client while polling is slow.
NOTIFIED_DELIVERY_S = 1.5

#: A child process that writes through the SDK and prints the time of its write.
WRITER_SCRIPT = """
import time
from jupyter_experiments import Experiment
Experiment.create("from-job")
print(time.time(), flush=True)
"""

slow_polling = pytest.mark.parametrize(
    "jp_server_config",
    [{"live_update_interval": SLOW_POLL_INTERVAL_S}],
    ids=["slow-polling"],
    indirect=True,
)


async def next_notice(socket: WebSocketClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    message = await asyncio.wait_for(socket.read_message(), timeout)
    assert isinstance(message, str), "the server closed the WebSocket"
    notice: dict[str, Any] = json.loads(message)
    return notice


async def notice_about(
    socket: WebSocketClientConnection, name: str, timeout: float
) -> dict[str, Any]:
    """Return the first change notice about ``name``, skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        notice = await next_notice(socket, max(deadline - time.monotonic(), 0.001))
        if notice.get("name") == name:
            return notice


def age_change_events(store: TrackingStore, up_to_id: int) -> None:
    """Date change events up to an id back to 1970, so that pruning removes them."""
    with store.engine.begin() as connection:
        connection.execute(
            change_events.update().where(change_events.c.id <= up_to_id).values(created_at=0)
        )


def require_postgresql(store: TrackingStore) -> None:
    if store.dialect != "postgresql":
        pytest.skip("tests PostgreSQL's change notifications")


def listener_pids(store: TrackingStore) -> list[int]:
    """Return the server processes of the live-update LISTEN connections to the store."""
    with store.engine.connect() as connection:
        return list(
            connection.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                {"name": APPLICATION_NAME},
            ).scalars()
        )


async def wait_until(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return bool(condition())


async def write_in_other_process(store: TrackingStore) -> float:
    """Create experiment 'from-job' in a child process; return the time.time() of the write."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRITER_SCRIPT,
        env={**os.environ, DB_URL_ENV: str(store.url)},
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await child.communicate()
    assert child.returncode == 0
    return float(stdout.decode().split()[-1])


async def test_hello_notice(jp_ws_fetch: Any, tracking: TrackingStore) -> None:
    tracking.create_experiment("before")

    socket = await jp_ws_fetch("experiments", "api", "live")
    hello = await next_notice(socket)
    socket.close()

    assert hello["type"] == "hello"
    assert hello["id"] == tracking.latest_change_id()


async def test_change_from_other_process(jp_ws_fetch: Any, tracking: TrackingStore) -> None:
    # Given: a connected client
    socket = await jp_ws_fetch("experiments", "api", "live")
    await next_notice(socket)

    # When: another process writes into the same SQLite file through the SDK
    script = (
        "from jupyter_experiments import Experiment, TrialComponent\n"
        "Experiment.create('from-job').create_trial('trial-1')\n"
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, env={**os.environ, DB_URL_ENV: str(tracking.url)}
    )
    assert await child.wait() == 0
    written = time.monotonic()

    # Then: the notices arrive within the delivery timeout
    experiment = await notice_about(socket, "from-job", DELIVERY_TIMEOUT_S)
    trial = await notice_about(socket, "trial-1", DELIVERY_TIMEOUT_S)
    delay = time.monotonic() - written
    socket.close()
    assert experiment["type"] == "change"
    assert experiment["resource_type"] == "experiment"
    assert experiment["action"] == "created"
    assert trial["resource_type"] == "trial"
    assert trial["experiment"] == "from-job"
    assert trial["id"] > experiment["id"]
    assert delay < DELIVERY_TIMEOUT_S


async def test_component_notice_names_parents(jp_ws_fetch: Any, tracking: TrackingStore) -> None:
    tracking.create_experiment("mnist")
    tracking.create_trial("trial-1", "mnist")
    tracking.create_component("training")
    tracking.associate("trial-1", "training")
    socket = await jp_ws_fetch("experiments", "api", "live")
    await next_notice(socket)

    tracking.log_metrics("training", [("loss", 0.5, 0, time.time())])

    notice = await notice_about(socket, "training", DELIVERY_TIMEOUT_S)
    socket.close()
    assert notice["action"] == "metrics"
    assert notice["trials"] == ["trial-1"]
    assert notice["experiments"] == ["mnist"]


async def test_catch_up_since(jp_ws_fetch: Any, tracking: TrackingStore) -> None:
    # Given: changes made before the client connects
    tracking.create_experiment("old")
    since = tracking.latest_change_id()
    tracking.create_experiment("missed-1")
    tracking.create_component("missed-2")

    # When
    socket = await jp_ws_fetch("experiments", "api", "live", params={"since": since})
    notices = [await next_notice(socket) for _ in range(3)]
    socket.close()

    # Then: the hello, then what was missed, in order
    assert notices[0]["type"] == "hello"
    assert [n["name"] for n in notices[1:]] == ["missed-1", "missed-2"]
    assert notices[2]["resource_type"] == "trial_component"


async def test_catch_up_pruned(jp_ws_fetch: Any, tracking: TrackingStore) -> None:
    # Given: the first two of three changes were pruned
    for name in ("a", "b", "c"):
        tracking.create_experiment(name)
    first = tracking.latest_change_id() - 2
    age_change_events(tracking, first + 1)
    assert tracking.prune_changes() == 2

    # When: a client asks for everything after the first change
    socket = await jp_ws_fetch("experiments", "api", "live", params={"since": first})
    hello = await next_notice(socket)
    reset = await next_notice(socket)
    socket.close()

    # Then
    assert hello["type"] == "hello"
    assert reset["type"] == "reset"
    assert "no longer kept" in reset["message"]


async def test_since_invalid(jp_ws_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as rejected:
        await jp_ws_fetch("experiments", "api", "live", params={"since": "-1"})

    assert rejected.value.code == 400


def test_coalesce_keeps_newest_repeat() -> None:
    events = [
        {"id": 1, "resource_type": "component", "resource_name": "c", "action": "metrics"},
        {"id": 2, "resource_type": "component", "resource_name": "c", "action": "created"},
        {"id": 3, "resource_type": "component", "resource_name": "c", "action": "metrics"},
        {"id": 4, "resource_type": "component", "resource_name": "d", "action": "metrics"},
    ]

    assert [event["id"] for event in coalesce(events)] == [2, 3, 4]


@pytest.fixture
def feed(tracking: TrackingStore) -> Any:
    with ThreadPoolExecutor(max_workers=2) as executor:
        feed = ChangeFeed(tracking, interval_s=0.05, executor=executor)
        yield feed
        feed.close()


async def wait_for(messages: list[str], name: str) -> dict[str, Any]:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_S
    while time.monotonic() < deadline:
        for text in messages:
            notice: dict[str, Any] = json.loads(text)
            if notice.get("name") == name:
                return notice
        await asyncio.sleep(0.01)
    raise AssertionError(f"no notice about {name!r} in {messages}")


async def test_feed_shared_by_clients(feed: ChangeFeed, tracking: TrackingStore) -> None:
    # Given: two clients of one feed
    first: list[str] = []
    second: list[str] = []
    first_subscription = await feed.subscribe(first.append, None)
    second_subscription = await feed.subscribe(second.append, None)

    # When
    tracking.create_experiment("shared")
    seen_first = await wait_for(first, "shared")
    seen_second = await wait_for(second, "shared")
    feed.unsubscribe(first_subscription)
    still_polling = feed.polling
    feed.unsubscribe(second_subscription)

    # Then: both got the same notice; the poller stopped with the last client
    assert seen_first == seen_second
    assert still_polling
    assert not feed.polling


async def test_feed_ids_restart(feed: ChangeFeed, tracking: TrackingStore) -> None:
    if tracking.dialect != "sqlite":
        pytest.skip("only SQLite numbers change events from 1 again; a sequence never restarts")
    # Given: a client, and a store whose every change event was then pruned
    messages: list[str] = []
    subscription = await feed.subscribe(messages.append, None)
    tracking.create_experiment("before")
    await wait_for(messages, "before")
    age_change_events(tracking, tracking.latest_change_id())
    tracking.prune_changes()

    # When: a new change gets id 1 again
    tracking.create_experiment("after")

    # Then
    notice = await wait_for(messages, "after")
    feed.unsubscribe(subscription)
    assert notice["id"] == 1


async def test_catch_up_after_rolled_back_write(jp_ws_fetch: Any, tracking: TrackingStore) -> None:
    # Given: a dry run between two changes; on PostgreSQL its rolled-back event leaves a gap
    tracking.create_experiment("old")
    since = tracking.latest_change_id()
    tracking.delete_experiment("old", dry_run=True)
    tracking.create_experiment("new")

    # When
    socket = await jp_ws_fetch("experiments", "api", "live", params={"since": since})
    hello = await next_notice(socket)
    notice = await next_notice(socket)
    socket.close()

    # Then: the gap is no reason to reload
    assert hello["type"] == "hello"
    assert notice["type"] == "change"
    assert notice["name"] == "new"


@slow_polling
async def test_notified_change_fast(jp_ws_fetch: Any, tracking: TrackingStore) -> None:
    require_postgresql(tracking)
    # Given: a client of a server that polls only every SLOW_POLL_INTERVAL_S
    socket = await jp_ws_fetch("experiments", "api", "live")
    hello = await next_notice(socket)

    # When: another process writes
    written = await write_in_other_process(tracking)

    # Then: the notification wakes the poller long before its next poll
    notice = await notice_about(socket, "from-job", SLOW_POLL_INTERVAL_S)
    delay = time.time() - written
    socket.close()
    assert hello["interval"] == SLOW_POLL_INTERVAL_S
    assert notice["action"] == "created"
    assert delay < NOTIFIED_DELIVERY_S


@pytest.fixture
def slow_feed(tracking: TrackingStore) -> Iterator[ChangeFeed]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        feed = ChangeFeed(tracking, interval_s=SLOW_POLL_INTERVAL_S, executor=executor)
        yield feed
        feed.close()


@pytest.fixture
def live_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture the live-update log records, which a loaded server extension reparents."""
    logger = logging.getLogger("jupyter_experiments.server.live")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


async def test_listener_reconnects(
    slow_feed: ChangeFeed, tracking: TrackingStore, live_log: pytest.LogCaptureFixture
) -> None:
    require_postgresql(tracking)
    messages: list[str] = []
    subscription = await slow_feed.subscribe(messages.append, None)
    assert await wait_until(lambda: slow_feed.listening, DELIVERY_TIMEOUT_S)

    # When: the database ends the LISTEN connection, as a restart or an administrator would
    with tracking.engine.connect() as connection:
        for pid in listener_pids(tracking):
            connection.execute(sa.select(sa.func.pg_terminate_backend(pid)))
    dropped = await wait_until(lambda: not slow_feed.listening, DELIVERY_TIMEOUT_S)
    reconnected = await wait_until(lambda: slow_feed.listening, DELIVERY_TIMEOUT_S)
    written = time.monotonic()
    tracking.create_experiment("after-reconnect")
    notice = await wait_for(messages, "after-reconnect")
    delay = time.monotonic() - written
    slow_feed.unsubscribe(subscription)

    # Then: the drop was logged, and notifications wake the poller again
    warnings = [r.getMessage() for r in live_log.records if r.levelno == logging.WARNING]
    assert dropped
    assert reconnected
    assert any("fall back to polling" in message for message in warnings)
    assert notice["action"] == "created"
    assert delay < NOTIFIED_DELIVERY_S


@pytest.fixture
def fast_feed(tracking: TrackingStore) -> Iterator[ChangeFeed]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        feed = ChangeFeed(tracking, interval_s=0.05, executor=executor)
        yield feed
        feed.close()


async def test_notified_feed_stops_polling(
    fast_feed: ChangeFeed, tracking: TrackingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_postgresql(tracking)
    messages: list[str] = []
    subscription = await fast_feed.subscribe(messages.append, None)
    assert await wait_until(lambda: fast_feed.listening, DELIVERY_TIMEOUT_S)
    await asyncio.sleep(0.2)
    reads: list[int] = []
    read = tracking.changes_since

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return read(*args, **kwargs)

    monkeypatch.setattr(tracking, "changes_since", counted)

    # When: nothing is written for a second, with a poll interval of 0.05 s
    await asyncio.sleep(1.0)
    idle_reads = len(reads)
    tracking.create_experiment("wakes-the-poller")
    notice = await wait_for(messages, "wakes-the-poller")
    fast_feed.unsubscribe(subscription)

    # Then: the poller read nothing while idle, and a notification still delivers at once
    assert idle_reads == 0
    assert notice["action"] == "created"


async def test_listener_closed_with_last_client(
    slow_feed: ChangeFeed, tracking: TrackingStore
) -> None:
    require_postgresql(tracking)
    subscription = await slow_feed.subscribe(lambda text: None, None)
    listening = await wait_until(lambda: len(listener_pids(tracking)) == 1, DELIVERY_TIMEOUT_S)

    slow_feed.unsubscribe(subscription)

    assert listening
    assert await wait_until(lambda: listener_pids(tracking) == [], DELIVERY_TIMEOUT_S)
