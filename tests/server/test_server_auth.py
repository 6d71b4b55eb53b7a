"""Authentication and authorization of every route, enumerated from the running web app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.base.handlers import APIHandler
from server_helpers import server_config
from tornado import web
from tornado.httpclient import HTTPClientError
from tornado.routing import PathMatches, Rule
from traitlets.config import Config

from jupyter_experiments.server.handlers import ROUTES, NotFoundHandler

# OPTIONS is jupyter_server's CORS preflight, which it leaves unauthenticated on purpose.
VERBS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")

# Query endpoints read through POST; they need the read permission only.
READ_BY_POST = re.compile(r"/experiments/api/query/")


def implemented_verbs(handler: type[web.RequestHandler]) -> list[str]:
    """Return the HTTP verbs that a handler class implements itself."""
    return [
        verb
        for verb in VERBS
        if getattr(handler, verb.lower(), None) is not getattr(APIHandler, verb.lower(), None)
        and getattr(handler, verb.lower(), None) is not getattr(web.RequestHandler, verb.lower())
    ]


def extension_routes(app: web.Application) -> Iterator[tuple[str, type[web.RequestHandler]]]:
    """Yield (example path, handler class) of every route this extension registered."""
    for host_rule in app.default_router.rules:
        for rule in getattr(host_rule.target, "rules", []):
            assert isinstance(rule, Rule)
            handler = rule.target
            if not (
                isinstance(handler, type) and handler.__module__.startswith("jupyter_experiments")
            ):
                continue
            assert isinstance(rule.matcher, PathMatches)
            pattern = rule.matcher.regex.pattern.rstrip("$")
            yield re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "x1", pattern), handler


def requests_of(app: web.Application) -> list[tuple[str, str]]:
    """Return (method, path) for every verb of every route of this extension."""
    found = [
        (verb, path)
        for path, handler in extension_routes(app)
        for verb in implemented_verbs(handler)
    ]
    # Every route of the route table and the JSON 404 fallback are registered, so no route
    # escapes the checks below.
    assert len({path for _, path in found}) == len(ROUTES) + 1
    return found


async def send(jp_fetch: Any, method: str, path: str, headers: dict[str, str]) -> int:
    """Send a request to an absolute path; return the status code."""
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    response = await jp_fetch(
        path,
        method=method,
        body=body,
        headers=headers,
        raise_error=False,
        follow_redirects=False,
        allow_nonstandard_methods=True,
    )
    return int(response.code)


def strip_base(path: str, base_url: str) -> str:
    # jp_fetch adds the base URL itself.
    assert path.startswith(base_url)
    return path[len(base_url) :]


@pytest.fixture
def jp_server_config(request: pytest.FixtureRequest) -> Config:
    """The extension's server config, with the ServerApp settings a test parametrizes."""
    config = server_config()
    for key, value in getattr(request, "param", {}).items():
        config.ServerApp[key] = value
    return config


# With allow_unauthenticated_access=False jupyter_server itself rejects anonymous requests;
# with the default True only the handlers' decorators do.
anonymous_access = pytest.mark.parametrize(
    "jp_server_config",
    [{"allow_unauthenticated_access": False}, {"allow_unauthenticated_access": True}],
    ids=["server-denies-anonymous", "server-allows-anonymous"],
    indirect=True,
)


@anonymous_access
async def test_every_route_needs_credentials(
    jp_serverapp: Any, jp_fetch: Any, jp_base_url: str
) -> None:
    # Given: every verb of every registered route, without any credentials
    refused = {}
    for method, path in requests_of(jp_serverapp.web_app):
        # When
        code = await send(jp_fetch, method, strip_base(path, jp_base_url), {"Authorization": ""})
        refused[(method, path)] = code

    # Then: jupyter_server's refusal statuses only
    accepted = {key: code for key, code in refused.items() if code not in (401, 403, 302)}
    assert accepted == {}
    assert ("GET", f"{jp_base_url}experiments/api/openapi.json") in refused
    assert ("GET", f"{jp_base_url}experiments/api/live") in refused


@anonymous_access
async def test_websocket_needs_credentials(jp_ws_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await jp_ws_fetch("experiments", "api", "live", headers={"Authorization": ""})

    assert refused.value.code == 403


def test_every_verb_has_auth_decorators() -> None:
    # The wrappers' own code objects show which decorators a verb went through.
    for _, handler in [*ROUTES, ("", NotFoundHandler)]:
        for verb in implemented_verbs(handler):
            wrappers = set()
            function: Any = getattr(handler, verb.lower())
            while function is not None:
                wrappers.add(function.__code__.co_qualname)
                function = getattr(function, "__wrapped__", None)
            name = f"{handler.__name__}.{verb.lower()}"
            authenticated = {"authenticated.<locals>.wrapper", "ws_authenticated.<locals>.wrapper"}
            assert wrappers & authenticated, f"{name} lacks @web.authenticated"
            assert "authorized.<locals>.wrapper.<locals>.inner" in wrappers, (
                f"{name} lacks @authorized"
            )
            assert handler.auth_resource == "experiments", name


class ReadOnlyAuthorizer(Authorizer):
    """Allow everything except actions other than read on the experiments resource."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "experiments" or action == "read"


@pytest.mark.parametrize(
    "jp_server_config", [{"authorizer_class": ReadOnlyAuthorizer}], ids=["read-only"], indirect=True
)
async def test_authorizer_decides_every_verb(
    jp_serverapp: Any, jp_fetch: Any, jp_base_url: str
) -> None:
    # Given: an authenticated user who may only read experiments
    codes = {}
    for method, path in requests_of(jp_serverapp.web_app):
        codes[(method, path)] = await send(jp_fetch, method, strip_base(path, jp_base_url), {})

    # Then: reads pass the authorizer, every write is refused
    for (method, path), code in codes.items():
        is_read = method in ("GET", "HEAD") or (method == "POST" and READ_BY_POST.search(path))
        if is_read:
            assert code != 403, (method, path)
        else:
            assert code == 403, (method, path)
