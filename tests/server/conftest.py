"""Fixtures of the server extension tests: a real Jupyter server on a real SQLite store.

pytest-jupyter's fixtures and hooks are imported here rather than registered with
``pytest_plugins``, so that its autouse fixtures (an event loop and a ServerApp cleanup per
test) apply to the tests under ``tests/server`` only. The root conftest already points the
default store at ``tmp_path``; the server under test opens that same store.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403
from server_helpers import Request, server_config
from tornado.httpclient import HTTPResponse
from traitlets.config import Config

from jupyter_experiments.sdk._store import get_store
from jupyter_experiments.store import DB_URL_ENV, TrackingStore

Params = dict[str, Any] | Sequence[tuple[str, Any]] | None


@pytest.fixture  # type: ignore[no-redef]
def jp_server_config() -> Config:
    return server_config()


@pytest.fixture
def tracking() -> TrackingStore:
    """The store that the server under test reads and writes."""
    return get_store(os.environ[DB_URL_ENV])


@pytest.fixture
def api(jp_fetch: Callable[..., Awaitable[HTTPResponse]]) -> Request:
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
