"""The REST API's operations over the tracking store, free of any HTTP framework.

Each public method takes what a handler received (path names, query arguments as lists of
strings, or a parsed JSON body), checks it, calls the store and returns plain data ready for
:func:`~jupyter_experiments.server.json_encoding.dumps`. Rejected input raises
:class:`~jupyter_experiments.errors.ValidationError`; missing and conflicting resources raise
the store's :class:`NotFoundError` and :class:`ConflictError`. Methods block on the database,
so the handlers run them in a thread pool; the store is safe to share between threads.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from ..errors import ConflictError, NotFoundError, ValidationError
from ..jobs.control import stop_job
from ..store import TrackingStore
from ..validation import check_text
from .export import components_csv
from .json_encoding import decode_number
from .log_tail import MAX_TAIL_LINES, artifact_path, tail
from .paging import CursorCodec, query_fingerprint
from .params import (
    BodyFields,
    Columns,
    Fields,
    QueryFields,
    Selection,
    Sort,
    body_fields,
    check_names,
    epoch_seconds,
    parse_columns,
    parse_component_query,
    parse_page,
    parse_selection,
    parse_sort,
    reject_unknown,
    require_object,
)
from .records import (
    columns_record,
    component_record,
    experiment_record,
    trial_record,
)

log = logging.getLogger("jupyter_experiments.server")

QueryArguments = Mapping[str, Sequence[str]]

#: Lines of a job log returned when the request gives no ``lines``.
DEFAULT_TAIL_LINES = 200

#: Largest ``max_points`` accepted for a metric series; 0, the default, returns every point.
MAX_SERIES_POINTS = 100_000

#: Metrics whose series one request may ask for.
MAX_SERIES_PER_REQUEST = 50

#: Rows one CSV export may contain, and rows read from the store per query while writing it.
MAX_EXPORT_ROWS = 100_000
EXPORT_CHUNK_ROWS = 1000

#: Longest ``Idempotency-Key`` header of a metric batch, as the store's key column allows.
MAX_IDEMPOTENCY_KEY_LENGTH = 255
IDEMPOTENCY_KEY_PATTERN = re.compile(rf"[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}")

#: Column limits of the source fields, as in the store's schema.
MAX_SOURCE_ARN_LENGTH = 2048
MAX_SOURCE_TYPE_LENGTH = 64

_COMPONENT_FIELDS = (
    "display_name",
    "status",
    "status_message",
    "start_time",
    "end_time",
    "source_arn",
    "source_type",
    "job_settings",
    "parameters",
    "input_artifacts",
    "output_artifacts",
    "tags",
)


class ExperimentsService:
    """Operations of the REST API on one tracking store.

    Parameters
    ----------
    store:
        The tracking store to read and write.
    artifact_root:
        Folder whose files the API may read (job logs).
    max_metric_batch:
        Most metric points accepted in one request.
    cursor_key:
        Secret key that signs page cursors; draw it at random per server process.
    """

    def __init__(
        self,
        store: TrackingStore,
        *,
        artifact_root: Path,
        max_metric_batch: int,
        cursor_key: bytes,
    ) -> None:
        self.store = store
        self.artifact_root = artifact_root
        self.max_metric_batch = max_metric_batch
        self._cursors = CursorCodec(cursor_key)
        # Runs the count of a table query while the page is read. Its own pool, because the
        # caller is usually a worker of the handlers' pool, which it must not wait on.
        self._side_queries = ThreadPoolExecutor(
            max_workers=SIDE_QUERY_THREADS, thread_name_prefix="experiments-count"
        )

    # -- experiments ------------------------------------------------------------------------

    def list_experiments(self, arguments: QueryArguments) -> dict[str, Any]:
        """Return a page of experiments, newest first unless a sort is given."""
        fields = QueryFields(arguments)
        reject_unknown(fields, ("name_contains", "sort_by", "sort_order", "limit", "cursor"))
        name_contains = fields.text("name_contains") or None
        sort = parse_sort(fields)
        page = parse_page(fields)
        fingerprint = query_fingerprint(
            "experiments", {"name_contains": name_contains, **sort.normalized()}
        )
        offset = self._offset(page.cursor, fingerprint)

        rows = self.store.list_experiments(
            name_contains=name_contains,
            sort_by=sort.sort_by,
            sort_order=sort.sort_order,
            limit=page.limit,
            offset=offset,
        )
        total = self.store.count_experiments(name_contains=name_contains)
        return self._page([experiment_record(row) for row in rows], total, offset, fingerprint)

    def get_experiment(self, name: str) -> dict[str, Any]:
        """Return one experiment."""
        return experiment_record(self.store.get_experiment(name))

    def create_experiment(self, body: Any) -> dict[str, Any]:
        """Create an experiment from ``{name, display_name?, description?, tags?}``."""
        fields = body_fields(
            body, required=("name",), optional=("display_name", "description", "tags")
        )
        return experiment_record(
            self.store.create_experiment(
                fields["name"],
                display_name=fields.get("display_name"),
                description=fields.get("description"),
                tags=fields.get("tags"),
            )
        )

    def update_experiment(self, name: str, body: Any) -> dict[str, Any]:
        """Change an experiment's display name, description or tags; absent fields stay."""
        fields = body_fields(body, optional=("display_name", "description", "tags"))
        return experiment_record(
            self.store.update_experiment(
                name,
                display_name=fields.get("display_name"),
                description=fields.get("description"),
                tags=fields.get("tags"),
            )
        )

    def delete_experiment(self, name: str, arguments: QueryArguments) -> dict[str, Any]:
        """Delete an experiment; with ``force`` its trials and unshared components too."""
        fields = QueryFields(arguments)
        reject_unknown(fields, ("force", "dry_run"))
        return self.store.delete_experiment(
            name, force=fields.flag("force"), dry_run=fields.flag("dry_run")
        )

    # -- trials -----------------------------------------------------------------------------

    def list_trials(self, experiment: str, arguments: QueryArguments) -> dict[str, Any]:
        """Return a page of an experiment's trials, newest first unless a sort is given."""
        fields = QueryFields(arguments)
        reject_unknown(fields, ("name_contains", "sort_by", "sort_order", "limit", "cursor"))
        name_contains = fields.text("name_contains") or None
        sort = parse_sort(fields)
        page = parse_page(fields)
        fingerprint = query_fingerprint(
            "trials",
            {"experiment": experiment, "name_contains": name_contains, **sort.normalized()},
        )
        offset = self._offset(page.cursor, fingerprint)

        # A missing experiment is a 404, not an empty list.
        self.store.get_experiment(experiment)
        rows = self.store.list_trials(
            experiment_name=experiment,
            name_contains=name_contains,
            sort_by=sort.sort_by,
            sort_order=sort.sort_order,
            limit=page.limit,
            offset=offset,
        )
        total = self.store.count_trials(experiment_name=experiment, name_contains=name_contains)
        return self._page([trial_record(row) for row in rows], total, offset, fingerprint)

    def get_trial(self, experiment: str, name: str) -> dict[str, Any]:
        """Return one trial of an experiment."""
        return trial_record(self._trial_in(experiment, name))

    def create_trial(self, experiment: str, body: Any) -> dict[str, Any]:
        """Create a trial in an experiment from ``{name, display_name?, tags?}``."""
        fields = body_fields(body, required=("name",), optional=("display_name", "tags"))
        return trial_record(
            self.store.create_trial(
                fields["name"],
                experiment,
                display_name=fields.get("display_name"),
                tags=fields.get("tags"),
            )
        )

    def update_trial(self, experiment: str, name: str, body: Any) -> dict[str, Any]:
        """Change a trial's display name or tags; absent fields stay."""
        fields = body_fields(body, optional=("display_name", "tags"))
        self._trial_in(experiment, name)
        return trial_record(
            self.store.update_trial(
                name, display_name=fields.get("display_name"), tags=fields.get("tags")
            )
        )

    def delete_trial(self, experiment: str, name: str, arguments: QueryArguments) -> dict[str, Any]:
        """Delete a trial; with ``delete_components`` its unshared components too."""
        fields = QueryFields(arguments)
        reject_unknown(fields, ("delete_components", "dry_run"))
        delete_components = fields.flag("delete_components")
        self._trial_in(experiment, name)
        return self.store.delete_trial(
            name, delete_components=delete_components, dry_run=fields.flag("dry_run")
        )

    def associate(self, experiment: str, trial: str, component: str) -> None:
        """Add a trial component to a trial; adding it twice is not an error."""
        self._trial_in(experiment, trial)
        self.store.associate(trial, component)

    def disassociate(self, experiment: str, trial: str, component: str) -> None:
        """Remove a trial component from a trial; the component itself stays."""
        self._trial_in(experiment, trial)
        self.store.disassociate(trial, component)

    def _trial_in(self, experiment: str, name: str) -> dict[str, Any]:
        trial = self.store.get_trial(name)
        if trial["experiment_name"] != experiment:
            raise NotFoundError(
                f"Trial {name!r} not found in experiment {experiment!r}: it belongs to "
                f"experiment {trial['experiment_name']!r}."
            )
        return trial

    # -- trial component queries ------------------------------------------------------------

    def query_components(self, fields: Fields) -> dict[str, Any]:
        """Return a page of trial components with the total count of the query."""
        query = parse_component_query(fields)
        fingerprint = self._component_fingerprint(query.selection, query.sort)
        if query.page.offset is not None:
            offset = query.page.offset
        else:
            offset = self._offset(query.page.cursor, fingerprint)

        selection = query.selection.store_arguments()
        # The table of one experiment, the usual case, reads the count that writes keep.
        # Another selection is counted with a query, beside the page: SQLite and PostgreSQL's
        # drivers release the GIL while a query runs.
        kept_count = self.store.kept_component_count(**selection)
        counting: Future[int] = Future()
        if kept_count is None:
            counting = self._side_queries.submit(self.store.count_components, **selection)
        else:
            counting.set_result(kept_count)
        try:
            rows = self.store.search_components(
                **selection,
                sort_by=query.sort.sort_by,
                sort_order=query.sort.sort_order,
                limit=query.page.limit,
                offset=offset,
                include=query.columns.store_include(),
                documents=True,
            )
        except BaseException:
            # No query outlives its request: a count still running could hold a connection
            # while the store is closed, and the driver then warns of a connection left open.
            wait([counting])
            raise
        total = counting.result()
        if offset > total:
            raise ValidationError(
                f"Invalid offset {offset}: the query has {total} trial components. Use an "
                f"offset from 0 to {total}."
            )
        items = [component_record(row, query.columns) for row in rows]
        page = self._page(items, total, offset, fingerprint)
        if kept_count is None:
            page["missing"] = self.store.missing_names(
                experiment_names=query.selection.experiments, trial_names=query.selection.trials
            )
        else:
            # A kept count is found only for an experiment that exists.
            page["missing"] = {"experiments": [], "trials": []}
        return page

    def component_columns(self, fields: Fields) -> dict[str, Any]:
        """Return the parameter, metric, artifact and job setting names of a selection."""
        reject_unknown(
            fields, ("experiments", "trials", "unassigned", "search_expression", "name_contains")
        )
        selection = parse_selection(fields)
        found = self.store.component_columns(**selection.store_arguments())
        record = columns_record(found)
        record["job_settings"] = _job_setting_columns(found["job_settings"])
        return record

    def export_csv(self, fields: Fields) -> str:
        """Return the trial components of a selection as CSV text, in the query's sort order."""
        reject_unknown(
            fields,
            (
                "experiments",
                "trials",
                "unassigned",
                "search_expression",
                "name_contains",
                "sort_by",
                "sort_order",
                "columns",
            ),
        )
        selection = parse_selection(fields)
        sort = parse_sort(fields)
        columns = parse_columns(fields.text_list("columns"))
        arguments = selection.store_arguments()
        total = self.store.count_components(**arguments)
        if total > MAX_EXPORT_ROWS:
            raise ValidationError(
                f"Too many trial components to export: {total}, the limit is {MAX_EXPORT_ROWS}. "
                "Narrow the selection or the search expression."
            )

        rows: list[dict[str, Any]] = []
        while len(rows) < total:
            chunk = self.store.search_components(
                **arguments,
                sort_by=sort.sort_by,
                sort_order=sort.sort_order,
                limit=EXPORT_CHUNK_ROWS,
                offset=len(rows),
            )
            if not chunk:
                break
            rows.extend(chunk)
        return components_csv(rows, *self._export_keys(rows, columns))

    @staticmethod
    def _export_keys(
        rows: Sequence[Mapping[str, Any]], columns: Columns
    ) -> tuple[list[str], list[str], dict[str, list[str]]]:
        def keys(field: str, group: str, chosen: frozenset[str] | None) -> list[str]:
            if group not in columns.groups:
                return []
            found = {key for row in rows for key in row[field]}
            return sorted(found if chosen is None else found & chosen)

        return (
            keys("parameters", "parameters", columns.parameter_names),
            keys("metrics", "metrics", columns.metric_names),
            {
                "input": keys("input_artifacts", "artifacts", None),
                "output": keys("output_artifacts", "artifacts", None),
            },
        )

    def _component_fingerprint(self, selection: Selection, sort: Sort) -> str:
        return query_fingerprint(
            "trial_components", {**selection.normalized(), **sort.normalized()}
        )

    # -- one trial component ----------------------------------------------------------------

    def get_component(self, name: str) -> dict[str, Any]:
        """Return a trial component with every field, its parameters' types and trials."""
        stored = self.store.get_component(name)
        # A plain dict, because fields are added to it that dumps() must encode.
        record = dict(component_record(stored))
        # JSON cannot tell the float infinity from the string "Infinity", nor a NaN float from
        # a missing value, so the describe view takes each parameter's type from here.
        record["parameter_types"] = {
            key: _PARAMETER_TYPES.get(type(value), "string")
            for key, value in stored["parameters"].items()
        }
        record["trial_mappings"] = [
            {"trial": trial, "experiment": experiment}
            for trial, experiment in self.store.trial_mappings(name)
        ]
        return record

    def create_component(self, body: Any) -> dict[str, Any]:
        """Create a trial component; ``trial`` and ``experiment`` add it to an existing trial."""
        fields = body_fields(
            body, required=("name",), optional=(*_COMPONENT_FIELDS, "experiment", "trial")
        )
        trial = fields.pop("trial", None)
        experiment = fields.pop("experiment", None)
        if (trial is None) != (experiment is None):
            raise ValidationError(
                "Invalid fields trial and experiment: give both to add the new trial component "
                "to a trial, or neither."
            )
        if trial is not None:
            check_names([experiment, trial], "trial or experiment name")
            self._trial_in(experiment, trial)
        name = fields.pop("name")
        self.store.create_component(name, **self._component_changes(fields))
        if trial is not None:
            # NOTE: two transactions; if the trial is deleted in between, the new component
            # stays unassigned and the request gets 404.
            self.store.associate(trial, name)
        return self.get_component(name)

    def update_component(self, name: str, body: Any) -> dict[str, Any]:
        """Log parameters and artifacts, set the status or other fields of a trial component.

        Parameters and artifacts are merged by name into the stored ones;
        ``parameters_to_remove`` deletes parameters.
        """
        fields = body_fields(body, optional=(*_COMPONENT_FIELDS, "parameters_to_remove"))
        to_remove = BodyFields(fields).text_list("parameters_to_remove")
        fields.pop("parameters_to_remove", None)
        self.store.update_component(
            name, parameters_to_remove=to_remove, **self._component_changes(fields)
        )
        return self.get_component(name)

    @staticmethod
    def _component_changes(fields: Mapping[str, Any]) -> dict[str, Any]:
        changes = dict(fields)
        for key in ("start_time", "end_time"):
            if key in changes:
                changes[key] = epoch_seconds(changes[key], key)
        if "source_arn" in changes:
            check_text(changes["source_arn"], "source_arn", MAX_SOURCE_ARN_LENGTH)
        if "source_type" in changes:
            check_text(changes["source_type"], "source_type", MAX_SOURCE_TYPE_LENGTH)
        for key in ("parameters", "input_artifacts", "output_artifacts", "job_settings"):
            if changes.get(key) is not None:
                require_object(changes[key], f"field {key!r}")
        if changes.get("tags") is not None:
            require_object(changes["tags"], "field 'tags'")
        return changes

    def stop_job(self, name: str) -> dict[str, Any]:
        """Stop the running local job of a trial component; return the component, Stopping."""
        return component_record(stop_job(self.store, name))

    def delete_component(self, name: str, arguments: QueryArguments) -> None:
        """Delete a trial component; ``force`` removes it from its trials first."""
        fields = QueryFields(arguments)
        reject_unknown(fields, ("force",))
        try:
            self.store.delete_component(name, force_disassociate=fields.flag("force"))
        except ConflictError:
            # The store's message names the SDK argument; a REST client sets a query parameter.
            trial_names = self.store.component_parents([name])[name]["trials"]
            raise ConflictError(
                f"Trial component {name!r} belongs to trial(s) {', '.join(trial_names)}. Remove "
                "it from them first, or delete it with the query parameter force=true."
            ) from None

    def log_metrics(
        self, name: str, body: Any, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Append a batch ``{"metrics": [{name, value, step, timestamp?}, ...]}`` of points.

        A batch sent again with the same ``idempotency_key`` gets the first reply and is not
        written twice.
        """
        if idempotency_key is not None:
            check_idempotency_key(idempotency_key)
        fields = body_fields(body, required=("metrics",))
        points = fields["metrics"]
        if not isinstance(points, list):
            raise ValidationError(
                "Invalid field 'metrics': expected an array of {name, value, step, timestamp} "
                "objects."
            )
        if len(points) > self.max_metric_batch:
            raise ValidationError(
                f"Too many metric points in one request: {len(points)}, the limit is "
                f"{self.max_metric_batch} (JupyterExperiments.max_metric_batch). Split the batch."
            )
        now = time.time()
        batch = [_metric_point(index, point, now) for index, point in enumerate(points)]
        written = self.store.log_metrics(name, batch, idempotency_key=idempotency_key)
        return {"written": written}

    def metric_series(self, name: str, arguments: QueryArguments) -> dict[str, Any]:
        """Return the points of one or more metrics, ordered by step, optionally downsampled."""
        fields = QueryFields(arguments)
        reject_unknown(fields, ("name", "max_points"))
        # Metric names may contain commas, so only repeated parameters give several metrics.
        metric_names = list(arguments.get("name", []))
        if not metric_names:
            raise ValidationError(
                "Missing query parameter name: give the metric's name, e.g. ?name=train:loss; "
                "repeat it for several metrics."
            )
        if len(metric_names) > MAX_SERIES_PER_REQUEST:
            raise ValidationError(
                f"Too many metrics in one request: {len(metric_names)}, the limit is "
                f"{MAX_SERIES_PER_REQUEST}."
            )
        max_points = fields.integer("max_points", 0, 0, MAX_SERIES_POINTS)
        if 0 < max_points < 3:
            raise ValidationError(
                f"Invalid query parameter 'max_points' {max_points}: use at least 3, or 0 for "
                "every point."
            )

        known = set(self.store.list_metric_names(name))
        series = {}
        for metric in dict.fromkeys(metric_names):
            if metric not in known:
                raise NotFoundError(f"Metric {metric!r} not found on trial component {name!r}.")
            series[metric] = self.store.get_metric_series(name, metric, max_points or None)
        return {"trial_component": name, "series": series}

    def log_tail(self, name: str, arguments: QueryArguments) -> dict[str, Any]:
        """Return the last lines of a trial component's job log (output artifact ``log``)."""
        fields = QueryFields(arguments)
        reject_unknown(fields, ("lines",))
        lines = fields.integer("lines", DEFAULT_TAIL_LINES, 1, MAX_TAIL_LINES)

        component = self.store.get_component(name)
        artifact = component["output_artifacts"].get("log")
        if artifact is None:
            raise NotFoundError(
                f"Trial component {name!r} has no job log: it has no output artifact 'log'."
            )
        path = artifact_path(artifact["value"], self.artifact_root)
        if not path.is_file():
            # The job has not written its first line yet.
            return {"trial_component": name, "lines": [], "truncated": False, "size": 0}
        found, truncated, size = tail(path, lines)
        return {"trial_component": name, "lines": found, "truncated": truncated, "size": size}

    # -- paging -----------------------------------------------------------------------------

    def _offset(self, cursor: str | None, fingerprint: str) -> int:
        return 0 if cursor is None else self._cursors.decode(cursor, fingerprint)

    def _page(
        self, items: Sequence[Mapping[str, Any]], total: int, offset: int, fingerprint: str
    ) -> dict[str, Any]:
        end = offset + len(items)
        next_cursor = self._cursors.encode(end, fingerprint) if items and end < total else None
        return {"items": items, "total": total, "next_cursor": next_cursor}


#: Threads that count table queries beside the handlers' pool.
SIDE_QUERY_THREADS = 4

#: The JSON name of each parameter value type that the store keeps.
_PARAMETER_TYPES = {bool: "boolean", int: "integer", float: "float", str: "string"}


def check_idempotency_key(key: str) -> None:
    """Reject an ``Idempotency-Key`` header that is empty, too long or not visible ASCII."""
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise ValidationError(
            f"Invalid Idempotency-Key header {key[:80]!r}: use 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} "
            "visible ASCII characters, such as a UUID chosen once per batch."
        )


def _job_setting_columns(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """Return ``[{name, type}]`` of job setting keys, ``mixed`` where components disagree.

    A null value gives no type for the key, so it counts only for keys that are null
    on every component.
    """
    types: dict[str, set[str]] = {}
    for key, json_type in pairs:
        types.setdefault(key, set()).add(json_type)
    columns = []
    for key, found in sorted(types.items()):
        known = found - {"null"} or found
        columns.append({"name": key, "type": known.pop() if len(known) == 1 else "mixed"})
    return columns


def _metric_point(index: int, point: Any, now: float) -> tuple[str, float, int, float]:
    where = f"metrics[{index}]"
    if not isinstance(point, Mapping):
        raise ValidationError(
            f"Invalid {where} {point!r}: expected an object with name, value, step and an "
            "optional timestamp."
        )
    unknown = set(point) - {"name", "value", "step", "timestamp"}
    if unknown:
        raise ValidationError(
            f"Unknown field {sorted(unknown)[0]!r} in {where}: use name, value, step and timestamp."
        )
    for key in ("name", "value", "step"):
        if key not in point:
            raise ValidationError(f"Missing field in JSON body: {where}.{key}.")

    name = point["name"]
    if not isinstance(name, str):
        raise ValidationError(f"Invalid {where}.name {name!r}: expected a string.")
    value = decode_number(point["value"])
    if value is None:
        raise ValidationError(
            f"Invalid {where}.value {point['value']!r}: use a number, null for NaN, "
            '"Infinity" or "-Infinity".'
        )
    step = point["step"]
    if isinstance(step, bool) or not isinstance(step, int):
        raise ValidationError(f"Invalid {where}.step {step!r}: steps are integers.")
    timestamp = epoch_seconds(point.get("timestamp"), f"{where}.timestamp")
    return name, value, step, now if timestamp is None else timestamp
