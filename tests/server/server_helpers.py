"""Helpers shared by the server extension tests."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from tornado.httpclient import HTTPResponse
from traitlets.config import Config

#: The ``api`` fixture: ``await api(method, path, body=None, params=None, headers=None)``.
Request = Callable[..., Awaitable[HTTPResponse]]


def payload(response: HTTPResponse) -> Any:
    """Return the JSON body of a response."""
    return json.loads(response.body)


def server_config(**extension: Any) -> Config:
    """Return a server config that loads only this extension, with JupyterExperiments settings."""
    return Config(
        {
            "ServerApp": {
                "jpserver_extensions": {
                    "jupyter_experiments.server": True,
                    "jupyter_server_terminals": False,
                },
                "reraise_server_extension_failures": True,
            },
            "JupyterExperiments": {"live_update_interval": 0.1, **extension},
        }
    )
