"""Live updates: the WebSocket, delivery from another process, catch-up and the shared poller."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError
from tornado.websocket import WebSocketClientConnection

from jupyter_experiments.server.live import ChangeFeed, coalesce
from jupyter_experiments.store import DB_URL_ENV, TrackingStore

#: How long a notice may take: the brief's "about a second", plus slack for a loaded machine.
DELIVERY_TIMEOUT_S = 2.0


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
    database = store.engine.url.database
    assert database is not None
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE change_events SET created_at = 0 WHERE id <= ?", (up_to_id,))


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
