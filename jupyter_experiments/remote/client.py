"""HTTP client of a tracking server's REST API, with retries while the server is unreachable.

A request that cannot reach the server (connection refused or reset, a timeout) or that gets
502, 503 or 504 from a proxy is sent again after an exponential back-off, until
``retry_timeout_s`` seconds have passed since the first attempt. Errors that are the
client's fault are raised at once as the SDK's error classes, with the server's message.
A 409 that follows an attempt which may have reached the server raises
:class:`RetriedConflictError`, so that a caller can tell its own lost write from a real conflict.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests
from urllib3.exceptions import NewConnectionError

from ..errors import ConflictError, ExperimentsError, NotFoundError, ValidationError

log = logging.getLogger("jupyter_experiments.remote")

#: Environment variable with the token sent as ``Authorization: token <token>``.
TOKEN_ENV = "JUPYTER_EXPERIMENTS_TOKEN"

#: Environment variable with the longest time, in seconds, that a request is retried for.
RETRY_TIMEOUT_ENV = "JUPYTER_EXPERIMENTS_RETRY_TIMEOUT"

#: Default of ``retry_timeout_s``: long enough to ride out a server restart.
DEFAULT_RETRY_TIMEOUT_S = 120.0

#: First wait between two attempts, and the longest one; each wait doubles, with jitter.
FIRST_RETRY_DELAY_S = 0.25
MAX_RETRY_DELAY_S = 10.0

#: Seconds to wait for a connection, and for a reply once connected.
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 120.0

#: Statuses that a proxy or load balancer sends while the server behind it is down.
RETRYABLE_STATUSES = frozenset({502, 503, 504})

_ERROR_OF_STATUS: dict[int, type[ExperimentsError]] = {
    400: ValidationError,
    404: NotFoundError,
    409: ConflictError,
    413: ValidationError,
}


class RemoteStoreError(ExperimentsError):
    """The tracking server was unreachable, rejected the token, or failed on a request."""


class RetriedConflictError(ConflictError):
    """A 409 on a retry, after an earlier attempt of the same request may have been applied.

    The conflict may be with the record that the earlier attempt created before its reply was
    lost; the caller decides by reading that record.
    """


Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


def encode_json(value: Any) -> bytes:
    """Return ``value`` as JSON in the API's number form: NaN as null, infinities as strings.

    The same form as the server's replies (``server/json_encoding.py``), written here again
    so that the SDK does not import the server package and its web framework.
    """
    return json.dumps(to_json_form(value), allow_nan=False, separators=(",", ":")).encode("utf-8")


def decode_number(value: Any) -> Any:
    """Return the float of a JSON null (NaN) or infinity string; any other value as it is."""
    if value is None:
        return math.nan
    if value == "Infinity":
        return math.inf
    if value == "-Infinity":
        return -math.inf
    return value


def to_json_form(value: Any) -> Any:
    """Return ``value`` with NaN as None, infinities as strings and tuples as lists."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, Mapping):
        return {key: to_json_form(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_form(item) for item in value]
    return value


def path_of(*parts: str) -> str:
    """Return an API path with each name URL-encoded, e.g. ``experiments/a%2Fb``."""
    return "/".join(quote(part, safe="") for part in parts)


def retry_timeout_from_environment() -> float:
    """Return ``JUPYTER_EXPERIMENTS_RETRY_TIMEOUT`` in seconds, or the default if unset."""
    text = os.environ.get(RETRY_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_RETRY_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ValidationError(
            f"Invalid {RETRY_TIMEOUT_ENV} {text!r}: set it to a number of seconds, 0 or more."
        )
    return value


class ApiClient:
    """Send JSON requests to ``{tracking_uri}experiments/api/``.

    Safe to share between threads: each thread gets its own ``requests.Session``.

    Parameters
    ----------
    tracking_uri:
        The Jupyter server's URL with its base URL, such as ``https://hub.example.org/user/me/``.
    token:
        Jupyter server token, or None to send no ``Authorization`` header.
    retry_timeout_s:
        How long a request is retried while the server is unreachable, in seconds.
    """

    def __init__(self, tracking_uri: str, token: str | None, retry_timeout_s: float) -> None:
        self.api_url = tracking_uri.rstrip("/") + "/experiments/api/"
        self.retry_timeout_s = retry_timeout_s
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"token {token}"
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def close(self) -> None:
        """Close the connections of every thread's session."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        what: str,
    ) -> Any:
        """Send a request and return its decoded JSON reply (None for 204).

        ``what`` names the operation and the ids involved for log messages, such as
        "metric batch 4f0c... of trial component job-1".
        """
        url = self.api_url + path
        data = None if body is None else encode_json(body)
        request_headers = dict(self._headers)
        if data is not None:
            request_headers["Content-Type"] = "application/json"
        request_headers.update(headers or {})

        deadline = time.monotonic() + self.retry_timeout_s
        delay = FIRST_RETRY_DELAY_S
        attempt = 0
        # Whether an earlier attempt may have reached the server and been applied.
        maybe_applied = False
        while True:
            attempt += 1
            problem: str
            try:
                response = self._session().request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=request_headers,
                    timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                problem = f"{type(error).__name__}: {error}"
                maybe_applied = maybe_applied or not _never_sent(error)
            else:
                if response.status_code == 409 and maybe_applied:
                    raise RetriedConflictError(_server_message(response))
                if response.status_code not in RETRYABLE_STATUSES:
                    return self._decode(response, method, path, what)
                problem = f"HTTP {response.status_code}"
                # A proxy may send 502 or 504 after the server received the request.
                maybe_applied = True

            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.error(
                    "Giving up on %s after %d attempts in %.1f s: %s",
                    what,
                    attempt,
                    self.retry_timeout_s,
                    problem,
                )
                raise RemoteStoreError(
                    f"The tracking server {self.api_url} is unreachable: {what} failed after "
                    f"{attempt} attempts in {self.retry_timeout_s:g} s ({problem}). Check that "
                    f"the server runs, or raise {RETRY_TIMEOUT_ENV}."
                )
            wait = min(delay * (0.5 + random.random()), remaining)
            log.warning(
                "Tracking server unreachable during %s (attempt %d: %s); retrying in %.2f s",
                what,
                attempt,
                problem,
                wait,
            )
            time.sleep(wait)
            delay = min(delay * 2, MAX_RETRY_DELAY_S)

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # The environment's proxy and .netrc settings stay in effect (trust_env), as for
            # any requests user; only the Authorization header is set here.
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _decode(self, response: requests.Response, method: str, path: str, what: str) -> Any:
        status = response.status_code
        if status < 400:
            if status == 204 or not response.content:
                return None
            return response.json()

        message = _server_message(response)
        error_class = _ERROR_OF_STATUS.get(status)
        if error_class is not None:
            raise error_class(message)
        if status in (401, 403):
            raise RemoteStoreError(
                f"The tracking server {self.api_url} rejected the request {method} {path} with "
                f"{status} ({message}). Set {TOKEN_ENV} to a token of that server."
            )
        log.error("%s failed: %s %s returned %d: %s", what, method, path, status, message)
        raise RemoteStoreError(
            f"The tracking server failed on {what}: {method} {path} returned {status} ({message})."
        )


def _never_sent(error: requests.RequestException) -> bool:
    """Return whether a failed attempt never connected, so the server cannot have applied it."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    # requests wraps urllib3's MaxRetryError, whose reason is the error of the connection.
    cause = error.args[0] if error.args else None
    return isinstance(getattr(cause, "reason", cause), NewConnectionError)


def _server_message(response: requests.Response) -> str:
    """Return the ``message`` of a JSON error reply, else the start of its text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.text[:500] or response.reason or f"HTTP {response.status_code}"
