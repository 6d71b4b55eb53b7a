"""Live updates: one poller of the store's change events per server, fanned out over WebSockets.

Every write to the store, from any process (a notebook, a training job, another server), appends
a row to ``change_events`` in the same transaction. While at least one client is connected, the
:class:`ChangeFeed` reads the rows after the last one it saw every ``live_update_interval``
seconds (one indexed query) and sends each client a notice per change. On PostgreSQL it also
LISTENs for the notification that each write sends at commit (see :mod:`.notify`) and then reads
at once, so notices arrive within tens of milliseconds instead of up to one interval later.
Clients may pass ``since=<change id>`` to first receive what they missed. When those changes are
no longer kept, they get a ``reset`` notice, which tells them to reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..store import TrackingStore
from .json_encoding import dumps_text
from .notify import ChangeListener, listen_conninfo
from .records import change_record

log = logging.getLogger("jupyter_experiments.server.live")

T = TypeVar("T")

#: Change events read per query.
POLL_BATCH = 1000

#: Most missed changes replayed to a client that connects with ``since``; beyond it, a reset.
MAX_CATCH_UP_EVENTS = 10_000

#: How often the poller deletes change events older than the store's retention.
PRUNE_INTERVAL_S = 600.0

#: Maximum wait between two polls after repeated failures, in seconds.
MAX_BACKOFF_S = 30.0

#: Shortest time between two polls that notifications trigger, in seconds: a burst of writes
#: (a metric batch per training step from several jobs) costs one read per this time.
MIN_NOTIFIED_POLL_SPACING_S = 0.05

#: Maximum wait between two polls while notifications wake the poller, in seconds. The poll
#: is then only a safety net: the listener also wakes the poller each time it (re)connects, so
#: no change waits this long unless a notification is lost on a live connection.
NOTIFIED_FALLBACK_POLL_S = 30.0

#: Actions of which only the newest per resource in one poll is sent: they repeat often (a
#: metric batch per training step) and a client re-reads the resource anyway.
COALESCED_ACTIONS = frozenset({"metrics", "updated"})

AUTH_RESOURCE = "experiments"


@dataclass(eq=False)
class Subscription:
    """One connected client: where its notices go, and those held back during its catch-up."""

    send: Callable[[str], None]
    held: list[tuple[int, str]] | None = field(default_factory=list)


class ChangeFeed:
    """Poll the store's change events while clients listen, and send each client the notices.

    Parameters
    ----------
    store:
        The tracking store whose change events are read.
    interval_s:
        Seconds between two polls.
    executor:
        Thread pool for the blocking store calls.
    """

    def __init__(self, store: TrackingStore, *, interval_s: float, executor: Executor) -> None:
        self._store = store
        self._interval_s = interval_s
        self._executor = executor
        self._subscriptions: set[Subscription] = set()
        # The newest event delivered, and its time: if a later read no longer finds that event,
        # every event was pruned and SQLite started numbering them from 1 again.
        self._last_id = 0
        self._last_time: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._start_lock: asyncio.Lock | None = None
        self._next_prune = 0.0
        self._failures = 0
        # Set by the PostgreSQL listener when a change commits; None while nothing listens.
        self._changed: asyncio.Event | None = None
        self._listener: ChangeListener | None = None

    @property
    def subscriber_count(self) -> int:
        """Number of connected clients."""
        return len(self._subscriptions)

    @property
    def polling(self) -> bool:
        """Whether the poller runs; it does exactly while a client is connected."""
        return self._task is not None and not self._task.done()

    @property
    def listening(self) -> bool:
        """Whether change notifications wake the poller (PostgreSQL, while connected)."""
        return self._listener is not None and self._listener.listening

    async def subscribe(self, send: Callable[[str], None], since: int | None) -> Subscription:
        """Register a client, send it a hello notice and, with ``since``, the changes it missed.

        Notices that arrive while the missed ones are read are held back and sent after them,
        so a client sees every change once, in order.
        """
        subscription = Subscription(send)
        self._subscriptions.add(subscription)
        try:
            await self._start()
            cutoff = self._last_id
            send(dumps_text({"type": "hello", "id": cutoff, "interval": self._interval_s}))
            if since is not None:
                await self._catch_up(subscription, since, cutoff)
        except Exception:
            self.unsubscribe(subscription)
            raise

        held, subscription.held = subscription.held or [], None
        for change_id, text in held:
            if since is None or change_id > cutoff:
                subscription.send(text)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a client; the poller stops with the last one."""
        self._subscriptions.discard(subscription)
        if not self._subscriptions:
            self.close()

    def close(self) -> None:
        """Forget every client and stop the poller and the listener."""
        self._subscriptions.clear()
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
            self._changed = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
            log.debug("Stopped polling change events: no client is connected")

    async def _start(self) -> None:
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self._task is not None and not self._task.done():
                return
            latest = await self._call(self._store.latest_change_id)
            newest = await self._call(self._store.changes_since, max(latest - 1, 0), 1)
            self._remember(newest[-1] if newest else None)
            self._start_listener()
            self._task = asyncio.create_task(self._run())
            log.debug(
                "Started polling change events after id %d every %.2f s",
                self._last_id,
                self._interval_s,
            )

    def _start_listener(self) -> None:
        if self._store.dialect != "postgresql":
            return
        try:
            conninfo = listen_conninfo(self._store.engine.url)
        except ImportError:
            log.warning(
                "Live updates poll every %.2f s: install psycopg (pip install "
                "'jupyter-experiments[postgres]') to receive PostgreSQL's change notifications",
                self._interval_s,
            )
            return
        changed = asyncio.Event()
        loop = asyncio.get_running_loop()

        def wake() -> None:
            # Runs in the listener's thread; a burst of notifications schedules one call.
            if not changed.is_set() and not loop.is_closed():
                loop.call_soon_threadsafe(changed.set)

        self._changed = changed
        self._listener = ChangeListener(conninfo, wake)
        self._listener.start()

    def _remember(self, event: dict[str, Any] | None) -> None:
        self._last_id = event["id"] if event else 0
        self._last_time = event["created_at"] if event else None

    async def _catch_up(self, subscription: Subscription, since: int, cutoff: int) -> None:
        if since > cutoff:
            self._send_reset(subscription, since, "the change id is ahead of this store")
            return
        if since > 0:
            # Pruning deletes the oldest events, so the events after `since` are all kept while
            # the oldest kept one is at most since + 1. Gaps between ids mean nothing: a
            # rolled-back write leaves one on PostgreSQL, whose ids come from a sequence.
            oldest = await self._call(self._store.changes_since, 0, 1)
            if not oldest or oldest[0]["id"] > since + 1:
                self._send_reset(subscription, since, "older changes are no longer kept")
                return
        position = since
        sent = 0
        while position < cutoff:
            events = await self._call(self._store.changes_since, position, POLL_BATCH)
            events = [event for event in events if event["id"] <= cutoff]
            if not events:
                return
            sent += len(events)
            if sent > MAX_CATCH_UP_EVENTS:
                self._send_reset(subscription, since, "too many changes were missed")
                return
            await self._add_parents(events)
            for event in events:
                subscription.send(dumps_text(change_record(event)))
            position = events[-1]["id"]

    def _send_reset(self, subscription: Subscription, since: int, reason: str) -> None:
        subscription.send(
            dumps_text(
                {
                    "type": "reset",
                    "id": self._last_id,
                    "message": f"Cannot replay the changes since {since}: {reason}. Reload.",
                }
            )
        )

    async def _run(self) -> None:
        while self._subscriptions:
            try:
                events = await self._poll()
            except asyncio.CancelledError:
                raise
            except Exception:
                self._failures += 1
                # Log the first failure in full, then every 100th, so a lost database does not
                # flood the server log.
                if self._failures == 1 or self._failures % 100 == 0:
                    log.exception("Polling change events failed (%d times)", self._failures)
                delay = min(self._interval_s * 2**self._failures, MAX_BACKOFF_S)
                await asyncio.sleep(delay)
                continue
            if self._failures:
                log.info("Polling change events works again after %d failures", self._failures)
                self._failures = 0
            if len(events) < POLL_BATCH:
                await self._wait_for_change()

    async def _wait_for_change(self) -> None:
        """Sleep until a notification reports a committed change, or one interval without them.

        While the LISTEN connection is up, the poller reads only when notified, with a poll
        every :data:`NOTIFIED_FALLBACK_POLL_S` as a safety net; without it, every interval.
        """
        changed = self._changed
        if changed is None:
            await asyncio.sleep(self._interval_s)
            return
        started = time.monotonic()
        timeout = max(self._interval_s, NOTIFIED_FALLBACK_POLL_S) if self.listening else None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout or self._interval_s)
        # Cleared before the next read, so a change committed during that read wakes the
        # poller again.
        changed.clear()
        spacing = MIN_NOTIFIED_POLL_SPACING_S - (time.monotonic() - started)
        if spacing > 0:
            await asyncio.sleep(spacing)

    async def _poll(self) -> list[dict[str, Any]]:
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_INTERVAL_S
            self._executor.submit(self.prune)
        # Events commit in id order on every backend (TrackingStore._record_change), so an
        # event committed after this read has an id above every id it returns.
        if self._last_id == 0:
            events = await self._call(self._store.changes_since, 0, POLL_BATCH)
        else:
            # Read from the newest delivered event on, to check that it is still there.
            read = await self._call(self._store.changes_since, self._last_id - 1, POLL_BATCH + 1)
            if read and (read[0]["id"], read[0]["created_at"]) == (self._last_id, self._last_time):
                events = read[1:]
            else:
                # Only a newer event or none at all is left where the newest delivered one was:
                # pruning emptied the table and the ids restarted, so everything there is new.
                log.info("Change ids restarted after id %d; reading from the start", self._last_id)
                events = await self._call(self._store.changes_since, 0, POLL_BATCH)
        if events:
            self._remember(events[-1])
            await self._add_parents(events)
            self._publish(events)
        return events

    async def _add_parents(self, events: list[dict[str, Any]]) -> None:
        # Clients keep only what they show, so each component notice names where the
        # component is now; one query covers the whole batch.
        names = sorted({e["resource_name"] for e in events if e["resource_type"] == "component"})
        if not names:
            return
        parents = await self._call(self._store.component_parents, names)
        for event in events:
            if event["resource_type"] == "component":
                event["parents"] = parents.get(event["resource_name"])

    def _publish(self, events: list[dict[str, Any]]) -> None:
        for event in coalesce(events):
            text = dumps_text(change_record(event))
            for subscription in list(self._subscriptions):
                if subscription.held is not None:
                    subscription.held.append((event["id"], text))
                else:
                    subscription.send(text)

    def prune(self) -> None:
        """Delete change events older than the store's retention; log and swallow failures."""
        try:
            removed = self._store.prune_changes()
        except Exception:
            log.exception("Pruning old change events failed")
            return
        if removed:
            log.info("Pruned %d old change events", removed)

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args))


def coalesce(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop events that a later event in the list repeats (same resource, coalesced action)."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for event in reversed(events):
        key = (event["resource_type"], event["resource_name"], event["action"])
        if event["action"] in COALESCED_ACTIONS:
            if key in seen:
                continue
            seen.add(key)
        kept.append(event)
    kept.reverse()
    return kept


class LiveUpdatesHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """WebSocket that sends a JSON notice for every change in the store.

    Messages are ``{"type": "hello", "id": <latest change id>, "interval": <s>}`` first, then
    ``{"type": "change", "id", "resource_type", "name", "experiment", "trial", "action",
    "time"}`` per change, and ``{"type": "reset", "id", "message"}`` when missed changes cannot
    be replayed. Messages from the client are ignored.
    """

    auth_resource = AUTH_RESOURCE

    def initialize(self, feed: ChangeFeed) -> None:
        self.feed = feed
        self._since: int | None = None
        self._subscription: Subscription | None = None
        self._closed = False

    def set_default_headers(self) -> None:
        # As jupyter_server's kernel WebSocket: the page headers of JupyterHandler do not apply.
        pass

    def get_compression_options(self) -> dict[str, Any] | None:
        return self.settings.get("websocket_compression_options", None)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Errors before the upgrade are plain HTTP replies; keep them JSON like the REST API.
        exception = kwargs.get("exc_info", (None, None, None))[1]
        message = "Unhandled error"
        if isinstance(exception, web.HTTPError) and exception.log_message:
            message = exception.log_message % exception.args
        self.set_header("Content-Type", "application/json")
        self.finish(dumps_text({"message": message}))

    @ws_authenticated
    @authorized
    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Upgrade to a WebSocket; with ``since``, first send the changes after that id."""
        since = self.get_query_argument("since", None)
        if since is not None:
            if not since.isdigit() or len(since) > 18:
                raise web.HTTPError(
                    400,
                    "Invalid query parameter 'since' %r: use a change id, an integer from 0.",
                    since[:40],
                )
            self._since = int(since)
        await super().get(*args, **kwargs)

    async def open(self, *args: Any, **kwargs: Any) -> None:
        super().open()
        log.debug("Live-update client connected (since=%s)", self._since)
        subscription = await self.feed.subscribe(self._send, self._since)
        if self._closed:
            self.feed.unsubscribe(subscription)
        else:
            self._subscription = subscription

    def _send(self, text: str) -> None:
        if self._closed:
            return
        try:
            self.write_message(text)
        except WebSocketClosedError:
            self._closed = True

    def on_message(self, message: str | bytes) -> None:
        """Ignore client messages: the feed is one-way."""

    def on_close(self) -> None:
        self._closed = True
        if self._subscription is not None:
            self.feed.unsubscribe(self._subscription)
            self._subscription = None
        log.debug("Live-update client disconnected")
