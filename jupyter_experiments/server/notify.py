"""Wake the live-update poller when PostgreSQL announces a change.

On PostgreSQL every write transaction of the store sends ``NOTIFY`` on
:data:`~jupyter_experiments.store.store.CHANGE_NOTIFY_CHANNEL` when it commits. A
:class:`ChangeListener` keeps one dedicated psycopg connection in ``LISTEN`` mode, in a thread of
its own, and calls its ``wake`` callback for each notification, so the poller reads the new
change events at once instead of at its next interval. The thread, not an asyncio task, owns
the connection: it closes the connection itself within :data:`STOP_CHECK_INTERVAL_S` of
:meth:`ChangeListener.stop`, whatever happens to the event loop meanwhile.

A notification carries nothing the poller depends on: the poller still reads the events with
``changes_since``, so a lost notification only delays a notice until the next poll. When the
connection fails, the listener logs it and reconnects with back-off, while the poller goes on
polling at its interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ..store.store import CHANGE_NOTIFY_CHANNEL

log = logging.getLogger("jupyter_experiments.server.live")

#: First wait before reconnecting a failed LISTEN connection; it doubles up to the maximum.
FIRST_RECONNECT_DELAY_S = 0.5
MAX_RECONNECT_DELAY_S = 30.0

#: application_name of the LISTEN connection, so administrators can tell it apart.
APPLICATION_NAME = "jupyter-experiments live updates"

#: Seconds to wait for the server while connecting.
CONNECT_TIMEOUT_S = 10

#: How often the listener's thread checks whether it should stop, in seconds.
STOP_CHECK_INTERVAL_S = 0.25


def listen_conninfo(url: sa.URL) -> str:
    """Return a libpq connection string for the database of a SQLAlchemy PostgreSQL URL.

    Query parameters of the URL (``sslmode``, ``host`` of a Unix socket) are kept, whatever
    driver the URL names, because the listener always connects with psycopg 3.
    """
    from psycopg.conninfo import make_conninfo

    options: dict[str, Any] = {
        key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()
    }
    options.setdefault("application_name", APPLICATION_NAME)
    options.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    return make_conninfo(
        "",
        host=url.host,
        port=url.port,
        dbname=url.database,
        user=url.username,
        password=url.password,
        **options,
    )


class ChangeListener:
    """Call ``wake`` whenever the store announces a change, from :meth:`start` to :meth:`stop`.

    Parameters
    ----------
    conninfo:
        libpq connection string of the store's database, see :func:`listen_conninfo`.
    wake:
        Called from the listener's thread for each notification, and once after each
        (re)connection, because changes may have committed while nothing listened. It must be
        thread-safe, such as ``loop.call_soon_threadsafe(event.set)``.
    """

    def __init__(self, conninfo: str, wake: Callable[[], None]) -> None:
        self._conninfo = conninfo
        self._wake = wake
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

    @property
    def listening(self) -> bool:
        """Whether the LISTEN connection is open."""
        return self._listening.is_set()

    def start(self) -> None:
        """Start listening in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="experiments-listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to close its connection and end; it does within a fraction of a second."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end after :meth:`stop`."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                self._listen(psycopg)
            except Exception as error:
                # psycopg raises OperationalError when the server ends the connection.
                self.failures += 1
                delay = min(
                    FIRST_RECONNECT_DELAY_S * 2 ** (self.failures - 1), MAX_RECONNECT_DELAY_S
                )
                log.warning(
                    "Listening for change notifications failed (%d times in a row): %s. Live "
                    "updates fall back to polling; reconnecting in %.1f s",
                    self.failures,
                    str(error).strip(),
                    delay,
                )
                # The poller waits long between polls while notified: wake it, so that it
                # reads now and polls at its interval until the connection is back.
                self._wake()
                self._stop.wait(delay)
        log.debug("Stopped listening for change notifications")

    def _listen(self, psycopg: Any) -> None:
        with psycopg.connect(self._conninfo, autocommit=True) as connection:
            connection.execute(f"LISTEN {CHANGE_NOTIFY_CHANNEL}")
            self._listening.set()
            try:
                if self.failures:
                    log.info(
                        "Listening for change notifications again after %d failures",
                        self.failures,
                    )
                else:
                    log.debug("Listening for change notifications on %s", CHANGE_NOTIFY_CHANNEL)
                self.failures = 0
                self._wake()
                while not self._stop.is_set():
                    for _notification in connection.notifies(timeout=STOP_CHECK_INTERVAL_S):
                        self._wake()
            finally:
                self._listening.clear()
