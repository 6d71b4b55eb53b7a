"""Live mode of the widgets: poll the store's change feed in a thread and report new changes.

Every write to the store, from any process, appends a change event in the same transaction, so
one indexed query per interval shows whether anything changed. The widget refreshes only then.
A thread is used rather than an asyncio task because it runs the same way in a kernel, in a
plain interpreter and in tests; ipywidgets sends the resulting state updates from any thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ..store import TrackingStore

log = logging.getLogger("jupyter_experiments.widgets")

#: Change events read per poll. With more pending, the listener gets ``skipped=True``.
POLL_BATCH = 1000

#: Shortest poll interval accepted, in seconds.
MIN_INTERVAL_S = 0.1

#: Maximum wait between two polls after repeated failures, in seconds.
MAX_BACKOFF_S = 60.0

ChangeListener = Callable[[list[dict[str, Any]], bool], None]
"""Called with the new change events, oldest first, and whether more were skipped."""


class ChangePoller:
    """Poll ``store.changes_since`` every ``interval_s`` seconds and call ``listener`` on news.

    The listener runs in the poller's thread. An exception in a poll or in the listener is
    logged and the poller keeps going, waiting longer after each failure in a row.
    """

    def __init__(
        self,
        store: TrackingStore,
        listener: ChangeListener,
        interval_s: float,
        name: str = "widget",
    ) -> None:
        if not interval_s >= MIN_INTERVAL_S:
            raise ValueError(
                f"Invalid poll interval {interval_s!r} s: use at least {MIN_INTERVAL_S} s."
            )
        self._store = store
        self._listener = listener
        self._interval_s = interval_s
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_change_id = 0

    @property
    def running(self) -> bool:
        """Whether the polling thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start polling from the store's newest change; do nothing if already running."""
        if self.running:
            return
        self.last_change_id = self._store.latest_change_id()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"jupyter-experiments-live-{self._name}", daemon=True
        )
        self._thread.start()
        log.info("Live mode of %s started at change %d", self._name, self.last_change_id)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop polling and wait up to ``timeout_s`` seconds for the thread to end."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        if thread is not threading.current_thread():
            thread.join(timeout_s)
        self._thread = None
        log.info("Live mode of %s stopped", self._name)

    def poll(self) -> bool:
        """Read new change events once and call the listener if there are any.

        Returns whether the listener was called.
        """
        events = self._store.changes_since(self.last_change_id, limit=POLL_BATCH)
        if not events:
            return False
        skipped = len(events) == POLL_BATCH
        if skipped:
            # The listener refreshes from the store anyway; jumping to the newest event
            # avoids one refresh per batch of a long backlog.
            self.last_change_id = self._store.latest_change_id()
        else:
            self.last_change_id = int(events[-1]["id"])
        self._listener(events, skipped)
        return True

    def _run(self) -> None:
        failures = 0
        while not self._stop.wait(self._wait_s(failures)):
            try:
                self.poll()
                failures = 0
            except Exception:
                failures += 1
                log.exception(
                    "Live update of %s failed (%d in a row) after change %d",
                    self._name,
                    failures,
                    self.last_change_id,
                )

    def _wait_s(self, failures: int) -> float:
        return min(self._interval_s * 2**failures, max(self._interval_s, MAX_BACKOFF_S))
