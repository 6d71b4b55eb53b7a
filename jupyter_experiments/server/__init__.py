"""The Jupyter server extension: REST API and live updates of the tracking store.

Enable it with ``jupyter server extension enable jupyter_experiments.server`` (the package's
``jupyter-config`` file does this on install). The API lives under
``{base_url}experiments/api/``; its OpenAPI document is ``experiments/api/openapi.json``.
"""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError
from traitlets import TraitError

from ..sdk._store import get_store
from ..sdk.artifacts import artifact_root
from ..store import resolve_db_url
from .config import JupyterExperiments, hide_password
from .handlers import API_PREFIX, ExtensionState, url_handlers
from .live import ChangeFeed
from .service import ExperimentsService

log = logging.getLogger("jupyter_experiments.server")

#: Threads that run store calls for requests and the live-update poller.
WORKER_THREADS = 4

#: Key of the web application setting that contains the extension's ExtensionState, so that code
#: holding the server app (a shutdown step, a test) can stop the feed and the thread pool.
STATE_SETTING = "jupyter_experiments_state"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_experiments.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Open the store and add the REST API's handlers to the server's web application."""
    # Log records of this package's server modules go through the server's own log handlers.
    log.parent = serverapp.log

    try:
        config = JupyterExperiments(parent=serverapp)
    except TraitError as error:
        log.error("jupyter_experiments.server is not loaded: %s", error)
        raise

    try:
        # The server is where a tracking URI points, so it always opens a database, even when
        # JUPYTER_EXPERIMENTS_TRACKING_URI is set in its environment for the notebooks.
        store = get_store(config.db_url or resolve_db_url(None))
    except Exception as error:
        log.error(
            "jupyter_experiments.server is not loaded: the tracking store %s failed to open "
            "(%s). Check JupyterExperiments.db_url.",
            _shown_url(config.db_url),
            error,
        )
        raise
    root = Path(config.artifact_root) if config.artifact_root else artifact_root(store)
    executor = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="experiments")
    service = ExperimentsService(
        store,
        artifact_root=root,
        max_metric_batch=config.max_metric_batch,
        cursor_key=secrets.token_bytes(32),
    )
    feed = ChangeFeed(store, interval_s=config.live_update_interval, executor=executor)
    state = ExtensionState(
        service=service, executor=executor, feed=feed, max_body_bytes=config.max_body_bytes
    )
    # The poller prunes every 10 minutes while clients listen. Pruning once at start as well
    # drops old change events on a server that no client connects to.
    executor.submit(feed.prune)
    serverapp.web_app.settings[STATE_SETTING] = state
    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", url_handlers(base_url, state))

    log.info(
        "API at %s%s/, store %s, artifact root %s, live updates every "
        "%.2f s, body limit %d bytes, metric batch limit %d points",
        base_url,
        API_PREFIX,
        _shown_url(store.url),
        root,
        config.live_update_interval,
        config.max_body_bytes,
        config.max_metric_batch,
    )


def _shown_url(url: str | None) -> str:
    """Return the store URL to show in logs, with any password hidden."""
    resolved = resolve_db_url(url)
    try:
        return sa.make_url(resolved).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return hide_password(resolved)
