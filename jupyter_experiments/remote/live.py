"""Read a tracking server's change feed through its live-update WebSocket, one connection a call.

The REST API has no polling endpoint for change events, but the WebSocket at
``experiments/api/live?since=<id>`` first sends a hello notice with the newest change id and
then every change after ``since`` up to that id. :class:`ChangeFeedReader` opens the socket,
reads that catch-up and closes it. The widgets' live mode thus polls a tracking server with the
same ``latest_change_id`` and ``changes_since`` calls as a local
:class:`~jupyter_experiments.store.TrackingStore`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import websocket

from .client import TOKEN_ENV, RemoteStoreError

log = logging.getLogger("jupyter_experiments.remote")

#: Seconds to wait for the connection, and for each notice once connected.
LIVE_TIMEOUT_S = 30.0

#: Resource type and action of the event that replaces a ``reset`` notice.
RESET_RESOURCE_TYPE = "store"
RESET_ACTION = "reset"


class ChangeFeedReader:
    """Read change events from ``{api_url}live`` as :meth:`TrackingStore.changes_since` does.

    Parameters
    ----------
    api_url:
        The REST API's URL, ending in ``experiments/api/``.
    token:
        Jupyter server token, or None to send no ``Authorization`` header.
    """

    def __init__(self, api_url: str, token: str | None) -> None:
        scheme, _, rest = api_url.partition("://")
        self.url = ("wss" if scheme.lower() == "https" else "ws") + "://" + rest + "live"
        self._headers = [f"Authorization: token {token}"] if token else []

    def latest_change_id(self) -> int:
        """Return the id of the server's newest change event, or 0 for none."""
        with self._connection(None) as connection:
            return int(_hello(connection)["id"])

    def changes_since(self, change_id: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Return up to ``limit`` change events newer than ``change_id``, oldest first.

        Events have the keys of the store's ``change_events`` rows. When the server cannot
        replay the changes (its ids restarted, or they were pruned), the result is one event
        with resource type ``store`` and action ``reset`` whose id is the newest change id:
        reload everything and continue from there.
        """
        with self._connection(change_id) as connection:
            newest = int(_hello(connection)["id"])
            if change_id == newest:
                return []
            events: list[dict[str, Any]] = []
            # The catch-up ends with the event of the newest id; later notices are live ones.
            while len(events) < limit and (not events or events[-1]["id"] < newest):
                notice = _receive(connection)
                if notice["type"] == "reset":
                    log.info(
                        "The tracking server cannot replay the changes after %d (%s); "
                        "continuing from change %d",
                        change_id,
                        notice.get("message"),
                        notice["id"],
                    )
                    return [_reset_event(int(notice["id"]))]
                if notice["type"] == "change":
                    events.append(_change_event(notice))
            return events

    @contextmanager
    def _connection(self, since: int | None) -> Iterator[websocket.WebSocket]:
        url = self.url if since is None else f"{self.url}?since={since}"
        try:
            connection = websocket.create_connection(
                url, timeout=LIVE_TIMEOUT_S, header=self._headers, suppress_origin=True
            )
        except websocket.WebSocketBadStatusException as error:
            raise _rejected(self.url, error) from None
        except (OSError, websocket.WebSocketException) as error:
            log.error("Cannot open the live-update WebSocket %s: %s", self.url, error)
            raise RemoteStoreError(
                f"The tracking server's live updates at {self.url} are unreachable "
                f"({type(error).__name__}: {error}). Check that the server runs."
            ) from None
        try:
            yield connection
        except (OSError, websocket.WebSocketException) as error:
            log.error("Reading the live-update WebSocket %s failed: %s", self.url, error)
            raise RemoteStoreError(
                f"Reading the tracking server's live updates at {self.url} failed "
                f"({type(error).__name__}: {error}). The next poll tries again."
            ) from None
        finally:
            connection.close()


def _hello(connection: websocket.WebSocket) -> dict[str, Any]:
    notice = _receive(connection)
    if notice.get("type") != "hello":
        raise RemoteStoreError(
            f"Invalid first live-update notice {str(notice)[:200]!r}: expected a hello notice. "
            "Check that the tracking URI names a jupyter-experiments server."
        )
    return notice


def _receive(connection: websocket.WebSocket) -> dict[str, Any]:
    text = connection.recv()
    try:
        notice = json.loads(text)
    except ValueError:
        notice = None
    if not isinstance(notice, dict) or "type" not in notice:
        raise RemoteStoreError(
            f"Invalid live-update notice {str(text)[:200]!r}: expected a JSON object with a type."
        )
    return notice


def _change_event(notice: dict[str, Any]) -> dict[str, Any]:
    """Return a change notice as the store's ``changes_since`` returns the event."""
    resource_type = notice["resource_type"]
    return {
        "id": int(notice["id"]),
        "resource_type": "component" if resource_type == "trial_component" else resource_type,
        "resource_name": notice["name"],
        "experiment_name": notice.get("experiment"),
        "trial_name": notice.get("trial"),
        "action": notice["action"],
        "created_at": notice["time"],
    }


def _reset_event(change_id: int) -> dict[str, Any]:
    # NOTE: a MetricChart of a fixed list of components ignores this event, which names none.
    return {
        "id": change_id,
        "resource_type": RESET_RESOURCE_TYPE,
        "resource_name": "",
        "experiment_name": None,
        "trial_name": None,
        "action": RESET_ACTION,
        "created_at": time.time(),
    }


def _rejected(url: str, error: websocket.WebSocketBadStatusException) -> RemoteStoreError:
    status = error.status_code
    log.error("The live-update WebSocket %s was rejected with %d", url, status)
    if status in (401, 403):
        return RemoteStoreError(
            f"The tracking server rejected the live-update WebSocket {url} with {status}. "
            f"Set {TOKEN_ENV} to a token of that server."
        )
    if status == 404:
        return RemoteStoreError(
            f"The tracking server has no live-update WebSocket at {url} (404). Check that it "
            "runs jupyter-experiments with live updates, and that the URI has its base URL."
        )
    return RemoteStoreError(
        f"The tracking server rejected the live-update WebSocket {url} with {status}. Its "
        "log has the reason."
    )
