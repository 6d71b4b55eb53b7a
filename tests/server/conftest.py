"""Fixtures of the server extension tests: a real Jupyter server on a real store.

pytest-jupyter's fixtures and hooks are imported here rather than registered with
``pytest_plugins``, so that its autouse fixtures (an event loop and a ServerApp cleanup per
test) apply to the tests under ``tests/server`` only. The root conftest already points the
default store at a SQLite file in ``tmp_path``; the server under test opens the default store.

Every test that starts the server or uses ``tracking`` runs once per backend
(``server_backend``): on SQLite, and on PostgreSQL when ``JUPYTER_EXPERIMENTS_TEST_DB_URL`` is
set. A test parametrizes the extension's settings with
``@pytest.mark.parametrize("jp_server_config", [{...}], indirect=True)``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import pytest
from backends import BACKENDS, TEST_DB_URL_ENV, empty_postgresql
from jupyter_server.serverapp import ServerApp
from pytest_jupyter.jupyter_server import *  # noqa: F403
from server_helpers import Request, server_config
from tornado.httpclient import HTTPResponse
from traitlets.config import Config

from jupyter_experiments.sdk._store import get_store
from jupyter_experiments.server import STATE_SETTING
from jupyter_experiments.store import DB_URL_ENV, TrackingStore

Params = dict[str, Any] | Sequence[tuple[str, Any]] | None


@pytest.fixture(params=BACKENDS)
def server_backend(
    request: pytest.FixtureRequest, isolated_environment: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Point the default store, which the server under test opens, at each backend in turn."""
    if request.param == "postgresql":
        url = os.environ[TEST_DB_URL_ENV]
        empty_postgresql(url)
        monkeypatch.setenv(DB_URL_ENV, url)

    yield str(request.param)

    # The server's threads may still run a store call (a poll, a prune). Finished after the
    # root conftest has closed the shared stores, it would leave an unclosed connection.
    stop_extension_threads()


def stop_extension_threads() -> None:
    """Stop the live feed and wait for the thread pool of the extension in the running server."""
    if not ServerApp.initialized():
        return
    web_app = getattr(ServerApp.instance(), "web_app", None)
    state = web_app.settings.get(STATE_SETTING) if web_app is not None else None
    if state is not None:
        state.feed.close()
        state.executor.shutdown(wait=True)


@pytest.fixture  # type: ignore[no-redef]
def jp_server_config(request: pytest.FixtureRequest, server_backend: str) -> Config:
    """The extension's server config, with the JupyterExperiments settings a test parametrizes."""
    return server_config(**getattr(request, "param", {}))


@pytest.fixture
def tracking(server_backend: str) -> TrackingStore:
    """The store that the server under test reads and writes."""
    return get_store(os.environ[DB_URL_ENV])


@pytest.fixture
def api(server_backend: str, jp_fetch: Callable[..., Awaitable[HTTPResponse]]) -> Request:
    """Send a request to ``experiments/api/<path>``; never raise on an error status.

    ``body`` may be bytes, a string or data to encode as JSON; ``params`` a dict or a list of
    pairs (for repeated parameters).
    """

    async def request(
        method: str,
        path: str,
        body: Any = None,
        params: Params = None,
        headers: dict[str, str] | None = None,
    ) -> HTTPResponse:
        if body is None and method in ("POST", "PUT", "PATCH"):
            data: bytes | None = b""
        elif body is None or isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = json.dumps(body).encode()
        return await jp_fetch(
            "experiments",
            "api",
            path,
            method=method,
            body=data,
            params=list(params.items()) if isinstance(params, dict) else params,
            headers=headers,
            raise_error=False,
        )

    return request
