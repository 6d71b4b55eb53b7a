"""Tornado handlers of the REST API: read the request, call the service, write JSON.

Every handler subclasses jupyter_server's ``APIHandler`` (JSON errors, CORS and XSRF checks on
mutating requests), sets ``auth_resource = "experiments"`` and carries ``@web.authenticated``
and ``@authorized`` on every verb. The two reads sent as POST (a query in a JSON body) ask for
the ``read`` permission rather than ``write``. Store calls and the JSON encoding of their
results run in a thread pool, so that a slow query does not block the server's event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from http.client import responses
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ..errors import ConflictError, NotFoundError, ValidationError
from .json_encoding import dumps
from .live import AUTH_RESOURCE, ChangeFeed, LiveUpdatesHandler
from .openapi import build_document
from .params import QueryFields, body_query_fields
from .service import ExperimentsService

log = logging.getLogger("jupyter_experiments.server")

T = TypeVar("T")

#: Path of the API below the server's base URL.
API_PREFIX = "experiments/api"

#: Request header whose value names one metric batch, so that a retried batch is written once.
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"

#: The message of an unexpected error; its details go to the server log only.
UNHANDLED_ERROR_MESSAGE = "Unhandled error: the Jupyter server log has the details."

#: Deepest nesting of arrays and objects accepted in a request body. Search expressions need
#: a few levels, and much deeper bodies would exceed Python's recursion limit when stored.
MAX_BODY_DEPTH = 32

_STATUS_OF_ERROR: dict[type[Exception], int] = {
    ValidationError: 400,
    NotFoundError: 404,
    ConflictError: 409,
}


@dataclass
class ExtensionState:
    """Objects the handlers share: the service, its thread pool, the live feed and limits."""

    service: ExperimentsService
    executor: Executor
    feed: ChangeFeed
    max_body_bytes: int


class ApiError(web.HTTPError):
    """An HTTP error whose message goes to the client as it is."""

    def __init__(self, status_code: int, message: str) -> None:
        # The message is passed as an argument so that '%' in user input is never a format.
        super().__init__(status_code, "%s", message)
        self.message = message


class BaseHandler(APIHandler):
    """Common request and response handling of the REST API."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, state: ExtensionState) -> None:
        self.state = state

    @property
    def service(self) -> ExperimentsService:
        return self.state.service

    def compute_etag(self) -> str | None:
        # Tornado hashes every GET reply for an ETag, a third of a millisecond on a table page.
        # These replies follow a store that changes under them, and Lab's requests carry a
        # cache-busting argument, so no client would send the ETag back.
        return None

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run a service method in the thread pool; map its errors to HTTP statuses."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.state.executor, partial(function, *args))
        except (ValidationError, NotFoundError, ConflictError) as error:
            status = next(s for kind, s in _STATUS_OF_ERROR.items() if isinstance(error, kind))
            raise ApiError(status, str(error)) from None

    def query_arguments(self) -> dict[str, list[str]]:
        """Return the URL query parameters, each with the list of its values."""
        return {name: self.get_query_arguments(name) for name in self.request.query_arguments}

    def json_body(self) -> Any:
        """Return the parsed JSON body after checking its size and nesting."""
        size = len(self.request.body)
        if size > self.state.max_body_bytes:
            raise ApiError(
                413,
                f"Request body too large: {size} bytes, the limit is "
                f"{self.state.max_body_bytes} (JupyterExperiments.max_body_bytes).",
            )
        if not self.request.body:
            raise ApiError(400, "Missing JSON body: send a JSON object.")
        try:
            body = json.loads(self.request.body)
        except (UnicodeDecodeError, ValueError) as error:
            raise ApiError(400, f"Invalid JSON body: {error}.") from None
        except RecursionError:
            too_deep = True
        else:
            too_deep = _depth_exceeds(body, MAX_BODY_DEPTH)
        if too_deep:
            raise ApiError(
                400,
                f"Invalid JSON body: arrays and objects nest deeper than {MAX_BODY_DEPTH} levels.",
            )
        return body

    def reply(self, data: Any, status: int = 200) -> None:
        """Finish with ``data`` as JSON."""
        self.set_status(status)
        self.finish(dumps(data))

    async def reply_with(self, function: Callable[..., Any], *args: Any) -> None:
        """Finish with the result of a service method, encoded as JSON in the thread pool.

        A page of trial components takes milliseconds to encode, which would otherwise stall
        every other request and the live updates on the event loop.
        """
        text = await self.call(_encoded, function, *args)
        self.finish(text)

    def created(self, data: Any, *path: str) -> None:
        """Finish with 201, ``data`` and a Location header of the API path ``path``."""
        location = url_path_join(
            self.base_url, API_PREFIX, *(quote(part, safe="") for part in path)
        )
        self.set_header("Location", location)
        self.reply(data, 201)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Write ``{"message": ...}``; an unexpected exception gets a generic message only."""
        exception = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exception, ApiError):
            message = exception.message
        elif isinstance(exception, web.HTTPError):
            message = _http_error_message(exception)
        elif exception is not None:
            message = UNHANDLED_ERROR_MESSAGE
        else:
            message = responses.get(status_code, "Unknown error")
        self.set_header("Content-Type", "application/json")
        self.finish(dumps({"message": message}))

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Log a client error in one line, an unexpected exception with its traceback."""
        method, path = self.request.method, self.request.path
        if isinstance(value, web.HTTPError):
            level = logging.ERROR if value.status_code >= 500 else logging.INFO
            log.log(
                level,
                "%s %s: %d %s",
                method,
                path,
                value.status_code,
                _http_error_message(value),
            )
            return
        log.error(
            "Unhandled error in %s %s (names %s)",
            method,
            path,
            self.path_kwargs,
            exc_info=(typ, value, tb),  # type: ignore[arg-type]
        )


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Return whether arrays and objects in ``value`` nest deeper than ``limit``."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _encoded(function: Callable[..., Any], *args: Any) -> bytes:
    return dumps(function(*args))


def _http_error_message(error: web.HTTPError) -> str:
    if isinstance(error, ApiError):
        return error.message
    if not error.log_message:
        return responses.get(error.status_code, "Unknown error")
    try:
        return error.log_message % error.args
    except (TypeError, ValueError):
        return error.log_message


class OpenApiHandler(BaseHandler):
    """The OpenAPI 3 document of this API."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(build_document(url_path_join(self.base_url, API_PREFIX)))


class ExperimentsHandler(BaseHandler):
    """The collection of experiments."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.reply_with(self.service.list_experiments, self.query_arguments())

    @web.authenticated
    @authorized
    async def post(self) -> None:
        record = await self.call(self.service.create_experiment, self.json_body())
        self.created(record, "experiments", record["name"])


class ExperimentHandler(BaseHandler):
    """One experiment."""

    @web.authenticated
    @authorized
    async def get(self, experiment: str) -> None:
        await self.reply_with(self.service.get_experiment, experiment)

    @web.authenticated
    @authorized
    async def patch(self, experiment: str) -> None:
        body = self.json_body()
        await self.reply_with(self.service.update_experiment, experiment, body)

    @web.authenticated
    @authorized
    async def delete(self, experiment: str) -> None:
        arguments = self.query_arguments()
        await self.reply_with(self.service.delete_experiment, experiment, arguments)


class TrialsHandler(BaseHandler):
    """The trials of one experiment."""

    @web.authenticated
    @authorized
    async def get(self, experiment: str) -> None:
        arguments = self.query_arguments()
        await self.reply_with(self.service.list_trials, experiment, arguments)

    @web.authenticated
    @authorized
    async def post(self, experiment: str) -> None:
        record = await self.call(self.service.create_trial, experiment, self.json_body())
        self.created(record, "experiments", experiment, "trials", record["name"])


class TrialHandler(BaseHandler):
    """One trial of an experiment."""

    @web.authenticated
    @authorized
    async def get(self, experiment: str, trial: str) -> None:
        await self.reply_with(self.service.get_trial, experiment, trial)

    @web.authenticated
    @authorized
    async def patch(self, experiment: str, trial: str) -> None:
        body = self.json_body()
        await self.reply_with(self.service.update_trial, experiment, trial, body)

    @web.authenticated
    @authorized
    async def delete(self, experiment: str, trial: str) -> None:
        arguments = self.query_arguments()
        await self.reply_with(self.service.delete_trial, experiment, trial, arguments)


class TrialComponentLinkHandler(BaseHandler):
    """The membership of a trial component in a trial."""

    @web.authenticated
    @authorized
    async def put(self, experiment: str, trial: str, component: str) -> None:
        await self.call(self.service.associate, experiment, trial, component)
        self.set_status(204)
        self.finish()

    @web.authenticated
    @authorized
    async def delete(self, experiment: str, trial: str, component: str) -> None:
        await self.call(self.service.disassociate, experiment, trial, component)
        self.set_status(204)
        self.finish()


class ComponentQueryHandler(BaseHandler):
    """The query of trial components: GET with query parameters, or POST with a JSON body."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        fields = QueryFields(self.query_arguments())
        await self.reply_with(self.service.query_components, fields)

    @web.authenticated
    @authorized("read")
    async def post(self) -> None:
        fields = await self.call(body_query_fields, self.json_body())
        await self.reply_with(self.service.query_components, fields)


class ColumnsHandler(BaseHandler):
    """The parameter, metric and artifact names of a selection of trial components."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        fields = QueryFields(self.query_arguments())
        await self.reply_with(self.service.component_columns, fields)

    @web.authenticated
    @authorized("read")
    async def post(self) -> None:
        fields = await self.call(body_query_fields, self.json_body())
        await self.reply_with(self.service.component_columns, fields)


class CsvExportHandler(BaseHandler):
    """A selection of trial components as a CSV file."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        fields = QueryFields(self.query_arguments())
        self.write_csv(await self.call(self.service.export_csv, fields))

    @web.authenticated
    @authorized("read")
    async def post(self) -> None:
        fields = await self.call(body_query_fields, self.json_body())
        self.write_csv(await self.call(self.service.export_csv, fields))

    def write_csv(self, text: str) -> None:
        self.set_header("Content-Disposition", 'attachment; filename="trial-components.csv"')
        self.finish(text, set_content_type="text/csv; charset=utf-8")


class ComponentsHandler(BaseHandler):
    """The collection of trial components; query it through ComponentQueryHandler."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        record = await self.call(self.service.create_component, self.json_body())
        self.created(record, "trial-components", record["name"])


class ComponentHandler(BaseHandler):
    """One trial component."""

    @web.authenticated
    @authorized
    async def get(self, component: str) -> None:
        await self.reply_with(self.service.get_component, component)

    @web.authenticated
    @authorized
    async def patch(self, component: str) -> None:
        body = self.json_body()
        await self.reply_with(self.service.update_component, component, body)

    @web.authenticated
    @authorized
    async def delete(self, component: str) -> None:
        await self.call(self.service.delete_component, component, self.query_arguments())
        self.set_status(204)
        self.finish()


class StopJobHandler(BaseHandler):
    """The stop of a trial component's running local job; the reply comes before it has ended."""

    @web.authenticated
    @authorized
    async def post(self, component: str) -> None:
        record = await self.call(self.service.stop_job, component)
        self.reply(record, 202)


class MetricsHandler(BaseHandler):
    """The metric series of a trial component: read them, or append a batch of points."""

    @web.authenticated
    @authorized
    async def get(self, component: str) -> None:
        arguments = self.query_arguments()
        await self.reply_with(self.service.metric_series, component, arguments)

    @web.authenticated
    @authorized
    async def post(self, component: str) -> None:
        body = self.json_body()
        key = self.request.headers.get(IDEMPOTENCY_KEY_HEADER)
        await self.reply_with(self.service.log_metrics, component, body, key)


class LogTailHandler(BaseHandler):
    """The last lines of a trial component's job log."""

    @web.authenticated
    @authorized
    async def get(self, component: str) -> None:
        arguments = self.query_arguments()
        await self.reply_with(self.service.log_tail, component, arguments)


class NotFoundHandler(BaseHandler):
    """Any other path below the API: a JSON 404 instead of the server's HTML page."""

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        self.not_found(path)

    @web.authenticated
    @authorized
    async def post(self, path: str) -> None:
        self.not_found(path)

    @web.authenticated
    @authorized
    async def put(self, path: str) -> None:
        self.not_found(path)

    @web.authenticated
    @authorized
    async def patch(self, path: str) -> None:
        self.not_found(path)

    @web.authenticated
    @authorized
    async def delete(self, path: str) -> None:
        self.not_found(path)

    def not_found(self, path: str) -> None:
        shown = path if len(path) <= 200 else path[:197] + "..."
        raise ApiError(
            404,
            f"Not found: no route of this API matches {API_PREFIX}/{shown}. The OpenAPI "
            f"document {API_PREFIX}/openapi.json lists the routes.",
        )


#: Path templates below API_PREFIX, in OpenAPI form, and their handlers.
ROUTES: list[tuple[str, type[web.RequestHandler]]] = [
    ("/openapi.json", OpenApiHandler),
    ("/experiments", ExperimentsHandler),
    ("/experiments/{experiment}", ExperimentHandler),
    ("/experiments/{experiment}/trials", TrialsHandler),
    ("/experiments/{experiment}/trials/{trial}", TrialHandler),
    (
        "/experiments/{experiment}/trials/{trial}/trial-components/{component}",
        TrialComponentLinkHandler,
    ),
    ("/query/trial-components", ComponentQueryHandler),
    ("/query/columns", ColumnsHandler),
    ("/query/csv", CsvExportHandler),
    ("/trial-components", ComponentsHandler),
    ("/trial-components/{component}", ComponentHandler),
    ("/trial-components/{component}/metrics", MetricsHandler),
    ("/trial-components/{component}/log", LogTailHandler),
    ("/trial-components/{component}/stop", StopJobHandler),
    ("/live", LiveUpdatesHandler),
]


def route_pattern(template: str) -> str:
    """Return the tornado URL pattern of an OpenAPI path template."""
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return pattern + "$" if not pattern.endswith("$") else pattern


def url_handlers(base_url: str, state: ExtensionState) -> list[tuple[str, Any, dict[str, Any]]]:
    """Return the (pattern, handler, arguments) triples to add to the web application."""
    result: list[tuple[str, Any, dict[str, Any]]] = []
    for template, handler in ROUTES:
        pattern = url_path_join(base_url, API_PREFIX, route_pattern(template).lstrip("/"))
        arguments: dict[str, Any] = (
            {"feed": state.feed} if handler is LiveUpdatesHandler else {"state": state}
        )
        result.append((pattern, handler, arguments))
    # Last, so that it only gets the paths that no route above matches.
    fallback = url_path_join(base_url, API_PREFIX, "(?P<path>.*)$")
    result.append((fallback, NotFoundHandler, {"state": state}))
    return result
