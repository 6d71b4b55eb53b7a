"""RemoteTrackingStore: the tracking store's methods that the SDK uses, over the REST API.

The SDK, training jobs and ``ExperimentAnalytics`` call these methods exactly as they call
:class:`~jupyter_experiments.store.TrackingStore`, and get records of the same shape back.
Each call is one or a few requests to a running Jupyter server with the extension, or to
``jupyter experiments server``.

Metric points go in batches of at most ``batch_points``, each sent with an ``Idempotency-Key``
chosen once per batch. A batch that failed, even after every retry, keeps its key: when the
Tracker sends the same points again they reuse it, so a batch that the server wrote but whose
reply was lost is not written twice.

A create whose reply was lost is retried like any request, and the retry then finds the name
taken. The store reads the record under that name and returns it when it has the fields that
the create sent, so the caller sees the create succeed. Otherwise the 409 is raised.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import NotFoundError, ValidationError
from ..store.store import MetricPoint
from ..validation import check_tags
from .client import ApiClient, RetriedConflictError, decode_number, path_of, to_json_form
from .live import ChangeFeedReader

log = logging.getLogger("jupyter_experiments.remote")

#: Records asked for per request when a call reads a whole list; the API's largest page.
PAGE_SIZE = 1000

#: Metric series one request may read: the API's limit.
MAX_SERIES_PER_REQUEST = 50

#: Metric points per request: the server's default JupyterExperiments.max_metric_batch.
DEFAULT_BATCH_POINTS = 10_000

#: Selection arguments of :meth:`RemoteTrackingStore.component_columns`, as in the store.
_SELECTION_ARGUMENTS = frozenset(
    {
        "names",
        "experiment_names",
        "trial_names",
        "unassigned",
        "search_expression",
        "created_before",
        "created_after",
        "name_contains",
    }
)

_TRIAL_SORT_KEYS = {
    None: "created_at",
    "CreationTime": "created_at",
    "Name": "name",
    "DisplayName": "display_name",
    "LastModifiedTime": "modified_at",
}

_UNSUPPORTED_SEARCH = (
    "Invalid search of {what}: a search expression over {what} is not available through a "
    "tracking server (JUPYTER_EXPERIMENTS_TRACKING_URI). List them with a sort instead, or "
    "search trial components."
)


class RemoteTrackingStore:
    """Read and write a tracking server's store through its REST API.

    Parameters
    ----------
    tracking_uri:
        The server's URL with its base URL, e.g. ``http://tracking.example.org:8888/``.
    token:
        The server's token, sent as ``Authorization: token <token>``.
    retry_timeout_s:
        How long each request is retried while the server is unreachable, in seconds.
    batch_points:
        Most metric points per request; the server rejects more than its
        ``JupyterExperiments.max_metric_batch``.
    """

    dialect = "remote"

    def __init__(
        self,
        tracking_uri: str,
        *,
        token: str | None,
        retry_timeout_s: float,
        batch_points: int = DEFAULT_BATCH_POINTS,
    ) -> None:
        self.url = tracking_uri if tracking_uri.endswith("/") else tracking_uri + "/"
        self.batch_points = batch_points
        self._client = ApiClient(self.url, token, retry_timeout_s)
        self._changes = ChangeFeedReader(self._client.api_url, token)
        # Batches sent without a confirmed reply, by component: (key, points) in order.
        self._unconfirmed: dict[str, list[tuple[str, list[MetricPoint]]]] = {}
        self._unconfirmed_lock = threading.Lock()
        # The experiment of each trial seen, because the API names trials under experiments.
        self._experiment_of_trial: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"RemoteTrackingStore({self.url!r})"

    def dispose(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    # -- experiments ------------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        display_name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create an experiment; raise :class:`ConflictError` if the name is taken."""
        body = _without_none(
            name=name, display_name=display_name, description=description, tags=check_tags(tags)
        )
        record: dict[str, Any] = self._create(
            "experiments", body, path_of("experiments", name), f"experiment {name}"
        )
        return record

    def get_experiment(self, name: str) -> dict[str, Any]:
        """Return one experiment with its number of trials."""
        record: dict[str, Any] = self._send(
            "GET", path_of("experiments", name), what=f"read experiment {name}"
        )
        return record

    def list_experiments(
        self,
        *,
        names: Sequence[str] | None = None,
        name_contains: str | None = None,
        created_before: float | None = None,
        created_after: float | None = None,
        search_expression: Mapping[str, Any] | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Return experiments, newest first unless ``sort_by`` names another order."""
        if search_expression:
            raise ValidationError(_UNSUPPORTED_SEARCH.format(what="experiments"))
        if names is not None:
            return self._existing(self.get_experiment, names)
        params = _without_none(name_contains=name_contains, sort_by=sort_by, sort_order=sort_order)
        records = self._all_pages("experiments", params, "list experiments")
        records = _created_between(records, created_before, created_after)
        return _window(records, offset, limit)

    def update_experiment(
        self,
        name: str,
        *,
        display_name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Change an experiment's display name, description or tags (None leaves one as is)."""
        body = _without_none(
            display_name=display_name,
            description=description,
            tags=None if tags is None else check_tags(tags),
        )
        record: dict[str, Any] = self._send(
            "PATCH", path_of("experiments", name), body=body, what=f"update experiment {name}"
        )
        return record

    def delete_experiment(
        self, name: str, force: bool = False, dry_run: bool = False
    ) -> dict[str, Any]:
        """Delete an experiment; see :meth:`TrackingStore.delete_experiment`."""
        result: dict[str, Any] = self._send(
            "DELETE",
            path_of("experiments", name),
            params={"force": _flag(force), "dry_run": _flag(dry_run)},
            what=f"delete experiment {name}",
        )
        return result

    # -- trials -----------------------------------------------------------------------------

    def create_trial(
        self,
        name: str,
        experiment_name: str,
        display_name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a trial in an existing experiment."""
        body = _without_none(name=name, display_name=display_name, tags=check_tags(tags))
        record = self._create(
            path_of("experiments", experiment_name, "trials"),
            body,
            path_of("experiments", experiment_name, "trials", name),
            f"trial {name} in experiment {experiment_name}",
        )
        return self._trial(record)

    def get_trial(self, name: str) -> dict[str, Any]:
        """Return one trial with its experiment's name and number of components."""
        experiment = self._experiment_of_trial.get(name)
        if experiment is not None:
            try:
                return self._get_trial_in(experiment, name)
            except NotFoundError:
                # Deleted, or created again in another experiment: search below.
                self._experiment_of_trial.pop(name, None)
        # NOTE: the API names trials under their experiment, so an unknown trial takes one
        # request per experiment to find.
        for record in self.list_experiments():
            found = self._all_pages(
                path_of("experiments", record["name"], "trials"),
                {"name_contains": name},
                f"find trial {name}",
            )
            for trial in found:
                if trial["name"] == name:
                    return self._trial(trial)
        raise NotFoundError(
            f"Trial {name!r} not found. Check the name, or list them with Trial.list()."
        )

    def list_trials(
        self,
        *,
        experiment_name: str | None = None,
        component_name: str | None = None,
        names: Sequence[str] | None = None,
        name_contains: str | None = None,
        created_before: float | None = None,
        created_after: float | None = None,
        search_expression: Mapping[str, Any] | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Return trials with their experiment, component count and status counts."""
        if search_expression:
            raise ValidationError(_UNSUPPORTED_SEARCH.format(what="trials"))
        if component_name is not None:
            trial_names = self.get_component(component_name)["trials"]
            names = trial_names if names is None else [n for n in trial_names if n in names]
        if names is not None:
            records = self._existing(self.get_trial, names)
        else:
            experiments = (
                [experiment_name]
                if experiment_name is not None
                else [record["name"] for record in self.list_experiments()]
            )
            params = _without_none(name_contains=name_contains)
            records = [
                self._trial(record)
                for experiment in experiments
                for record in self._all_pages(
                    path_of("experiments", experiment, "trials"),
                    params,
                    f"list trials of experiment {experiment}",
                )
            ]
        if experiment_name is not None:
            records = [r for r in records if r["experiment_name"] == experiment_name]
        if name_contains:
            needle = name_contains.lower()
            records = [
                r
                for r in records
                if needle in r["name"].lower() or needle in (r["display_name"] or "").lower()
            ]
        records = _created_between(records, created_before, created_after)
        return _window(_sorted(records, sort_by, sort_order), offset, limit)

    def update_trial(
        self,
        name: str,
        *,
        display_name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Change a trial's display name or tags (None leaves one as is)."""
        experiment = self.get_trial(name)["experiment_name"]
        body = _without_none(
            display_name=display_name, tags=None if tags is None else check_tags(tags)
        )
        record = self._send(
            "PATCH",
            path_of("experiments", experiment, "trials", name),
            body=body,
            what=f"update trial {name}",
        )
        return self._trial(record)

    def delete_trial(
        self, name: str, delete_components: bool = False, dry_run: bool = False
    ) -> dict[str, Any]:
        """Delete a trial; see :meth:`TrackingStore.delete_trial`."""
        experiment = self.get_trial(name)["experiment_name"]
        result: dict[str, Any] = self._send(
            "DELETE",
            path_of("experiments", experiment, "trials", name),
            params={"delete_components": _flag(delete_components), "dry_run": _flag(dry_run)},
            what=f"delete trial {name}",
        )
        if not dry_run:
            self._experiment_of_trial.pop(name, None)
        return result

    def associate(self, trial_name: str, component_name: str) -> None:
        """Add a trial component to a trial; adding it twice is not an error."""
        experiment = self.get_trial(trial_name)["experiment_name"]
        self._send(
            "PUT",
            path_of("experiments", experiment, "trials", trial_name, "trial-components")
            + "/"
            + path_of(component_name),
            what=f"add trial component {component_name} to trial {trial_name}",
        )

    def disassociate(self, trial_name: str, component_name: str) -> None:
        """Remove a trial component from a trial; the component itself is kept."""
        experiment = self.get_trial(trial_name)["experiment_name"]
        self._send(
            "DELETE",
            path_of("experiments", experiment, "trials", trial_name, "trial-components")
            + "/"
            + path_of(component_name),
            what=f"remove trial component {component_name} from trial {trial_name}",
        )

    def _get_trial_in(self, experiment: str, name: str) -> dict[str, Any]:
        record = self._send(
            "GET", path_of("experiments", experiment, "trials", name), what=f"read trial {name}"
        )
        return self._trial(record)

    def _trial(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Return an API trial as the store shapes it, and remember its experiment."""
        trial = dict(record)
        trial["experiment_name"] = trial.pop("experiment")
        self._experiment_of_trial[trial["name"]] = trial["experiment_name"]
        return trial

    # -- trial components -------------------------------------------------------------------

    def create_component(self, name: str, **fields: Any) -> dict[str, Any]:
        """Create a trial component; takes the fields of :meth:`TrackingStore.create_component`."""
        body = _component_body(fields)
        body["name"] = name
        record = self._create(
            "trial-components", body, path_of("trial-components", name), f"trial component {name}"
        )
        return _component(record)

    def update_component(
        self, name: str, *, parameters_to_remove: Iterable[str] = (), **fields: Any
    ) -> None:
        """Change a trial component; None leaves a field as is."""
        body = _component_body(fields)
        removed = list(parameters_to_remove)
        if removed:
            body["parameters_to_remove"] = removed
        self._send(
            "PATCH",
            path_of("trial-components", name),
            body=body,
            what=f"update trial component {name}",
        )

    def delete_component(self, name: str, force_disassociate: bool = False) -> None:
        """Delete a trial component; see :meth:`TrackingStore.delete_component`."""
        self._send(
            "DELETE",
            path_of("trial-components", name),
            params={"force": _flag(force_disassociate)},
            what=f"delete trial component {name}",
        )

    def get_component(self, name: str) -> dict[str, Any]:
        """Return one trial component in full: parameters, artifacts, summaries and parents."""
        record = self._send(
            "GET", path_of("trial-components", name), what=f"read trial component {name}"
        )
        return _component(record)

    def component_exists(self, name: str) -> bool:
        """Return whether a trial component with this name exists."""
        try:
            self.get_component(name)
        except NotFoundError:
            return False
        return True

    def search_components(
        self,
        *,
        names: Sequence[str] | None = None,
        experiment_names: Sequence[str] | None = None,
        trial_names: Sequence[str] | None = None,
        unassigned: bool = False,
        search_expression: Mapping[str, Any] | None = None,
        created_before: float | None = None,
        created_after: float | None = None,
        name_contains: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        include: Iterable[str] = ("parameters", "artifacts", "metrics", "parents", "tags"),
    ) -> list[dict[str, Any]]:
        """Return trial components matching a selection and a search expression.

        ``include`` is accepted for compatibility; every record comes back in full.
        """
        query = _selection_body(
            names=names,
            experiment_names=experiment_names,
            trial_names=trial_names,
            unassigned=unassigned,
            search_expression=search_expression,
            created_before=created_before,
            created_after=created_after,
            name_contains=name_contains,
        )
        query.update(_without_none(sort_by=sort_by, sort_order=sort_order))
        end = None if limit is None else offset + limit
        records: list[dict[str, Any]] = []
        cursor = None
        while end is None or len(records) < end:
            page_size = PAGE_SIZE if end is None else min(PAGE_SIZE, end - len(records))
            body = {**query, "limit": page_size, **({"cursor": cursor} if cursor else {})}
            page = self._send(
                "POST", "query/trial-components", body=body, what="search trial components"
            )
            records.extend(_component(item) for item in page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
        return records[offset:end]

    def count_components(self, **selection: Any) -> int:
        """Return how many components :meth:`search_components` would return without paging.

        Takes the selection arguments of :meth:`search_components` and ignores the others, as
        :meth:`TrackingStore.count_components` does. One request reads the query's total.
        """
        body = {**_selection_body(**selection), "limit": 1, "columns": ["name"]}
        page = self._send(
            "POST", "query/trial-components", body=body, what="count trial components"
        )
        return int(page["total"])

    def component_columns(self, **selection: Any) -> dict[str, list[tuple[str, str]]]:
        """Return the parameter, metric, artifact and job setting names of a selection.

        Takes the selection arguments of :meth:`search_components`. The pairs have the shape
        of :meth:`TrackingStore.component_columns`, with the API's types: a parameter's type
        is ``number``, ``boolean``, ``string`` or ``mixed``, once per name, where the store
        gives one pair per stored value type.
        """
        unknown = set(selection) - _SELECTION_ARGUMENTS
        if unknown:
            raise TypeError(f"component_columns() got unexpected argument(s): {sorted(unknown)}")
        reply = self._send(
            "POST",
            "query/columns",
            body=_selection_body(**selection),
            what="read the columns of trial components",
        )
        return {
            "parameters": sorted((c["name"], c["type"]) for c in reply["parameters"]),
            "metrics": sorted((c["name"], "") for c in reply["metrics"]),
            "artifacts": sorted((c["name"], c["kind"]) for c in reply["artifacts"]),
            "job_settings": sorted((c["name"], c["type"]) for c in reply["job_settings"]),
        }

    def running_components(self, source_type: str) -> list[dict[str, Any]]:
        """Return components of ``source_type`` whose status is InProgress or Stopping."""
        expression = {
            "Filters": [
                {"Name": "Source.SourceType", "Operator": "Equals", "Value": source_type},
                {"Name": "Status", "Operator": "In", "Value": ["InProgress", "Stopping"]},
            ]
        }
        return [
            {"name": r["name"], "status": r["status"], "job_settings": r["job_settings"]}
            for r in self.search_components(search_expression=expression)
        ]

    # -- metrics ----------------------------------------------------------------------------

    def log_metrics(
        self, component_name: str, points: Sequence[MetricPoint], *, checked: bool = False
    ) -> int:
        """Send metric points in batches, each with its own idempotency key; return the count.

        The server checks every point, so ``checked`` changes nothing here. If a batch fails,
        the error is raised and the unsent batches keep their keys for the next call that
        sends the same points first (the Tracker puts failed points back at the front).
        """
        batches = self._batches(component_name, list(points))
        written = 0
        for index, (key, batch) in enumerate(batches):
            body = {
                "metrics": [
                    {"name": name, "value": value, "step": step, "timestamp": timestamp}
                    for name, value, step, timestamp in batch
                ]
            }
            try:
                reply = self._send(
                    "POST",
                    path_of("trial-components", component_name, "metrics"),
                    body=body,
                    headers={"Idempotency-Key": key},
                    what=f"metric batch {key} of trial component {component_name}",
                )
            except BaseException:
                with self._unconfirmed_lock:
                    self._unconfirmed[component_name] = batches[index:]
                raise
            written += int(reply["written"])
        with self._unconfirmed_lock:
            self._unconfirmed.pop(component_name, None)
        return written

    def _batches(
        self, component_name: str, points: list[MetricPoint]
    ) -> list[tuple[str, list[MetricPoint]]]:
        """Split points into keyed batches, reusing the keys of unconfirmed batches they repeat."""
        with self._unconfirmed_lock:
            unconfirmed = self._unconfirmed.pop(component_name, [])
        batches: list[tuple[str, list[MetricPoint]]] = []
        position = 0
        for key, batch in unconfirmed:
            if points[position : position + len(batch)] != batch:
                break
            batches.append((key, batch))
            position += len(batch)
        for start in range(position, len(points), self.batch_points):
            batches.append((str(uuid.uuid4()), points[start : start + self.batch_points]))
        return batches

    def get_metric_series(
        self, component_name: str, metric_name: str, max_points: int | None = None
    ) -> list[dict[str, Any]]:
        """Return a metric's points ordered by step; an unknown metric has none."""
        params = [("name", metric_name), ("max_points", str(max_points or 0))]
        try:
            reply = self._send(
                "GET",
                path_of("trial-components", component_name, "metrics"),
                params=params,
                what=f"read metric {metric_name} of trial component {component_name}",
            )
        except NotFoundError:
            # A missing component raises here; a missing metric is an empty series, as in
            # the store.
            self.get_component(component_name)
            return []
        return [
            {**point, "value": decode_number(point["value"])}
            for point in reply["series"][metric_name]
        ]

    def max_steps(self, component_name: str) -> dict[str, int]:
        """Return the highest step of each of a component's metrics, NaN points included."""
        names = sorted(self.get_component(component_name)["metrics"])
        steps: dict[str, int] = {}
        # A series downsampled to 3 points still ends with its point of the highest step; the
        # summaries' last_step would skip a NaN point there.
        for start in range(0, len(names), MAX_SERIES_PER_REQUEST):
            chunk = names[start : start + MAX_SERIES_PER_REQUEST]
            reply = self._send(
                "GET",
                path_of("trial-components", component_name, "metrics"),
                params=[*(("name", name) for name in chunk), ("max_points", "3")],
                what=f"read the last steps of trial component {component_name}",
            )
            for name, points in reply["series"].items():
                if points:
                    steps[name] = int(points[-1]["step"])
        return steps

    # -- live updates -----------------------------------------------------------------------

    def latest_change_id(self) -> int:
        """Return the id of the server's newest change event, or 0 for none."""
        return self._changes.latest_change_id()

    def changes_since(self, change_id: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Return change events newer than ``change_id``, oldest first.

        Each call opens the server's live-update WebSocket once; see
        :meth:`ChangeFeedReader.changes_since` for the event that replaces a reset notice.
        """
        return self._changes.changes_since(change_id, limit)

    # -- helpers ----------------------------------------------------------------------------

    def _send(self, method: str, path: str, **options: Any) -> Any:
        return self._client.request(method, path, **options)

    def _create(self, path: str, body: Mapping[str, Any], record_path: str, what: str) -> Any:
        """POST a create; after a retry's 409, return the stored record if it is what was sent.

        ``record_path`` is the API path of the new record. A record there that lacks a field
        of ``body``, or has another value in it, was written by someone else.
        """
        try:
            return self._send("POST", path, body=body, what=f"create {what}")
        except RetriedConflictError as conflict:
            try:
                record = self._send("GET", record_path, what=f"read {what} after a retried create")
            except NotFoundError:
                # Deleted since the 409, or the name is taken in another experiment.
                raise conflict from None
            if not _contains(record, body):
                log.warning(
                    "Retried create of %s got 409, and the stored record differs from the "
                    "request: another client created it",
                    what,
                )
                raise
            log.info(
                "Retried create of %s got 409 for the record that its first attempt wrote; "
                "using that record",
                what,
            )
            return record

    def _all_pages(self, path: str, params: Mapping[str, Any], what: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, "limit": str(PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
            page = self._send("GET", path, params=query, what=what)
            records.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return records

    @staticmethod
    def _existing(read: Any, names: Sequence[str]) -> list[dict[str, Any]]:
        found = []
        for name in dict.fromkeys(names):
            try:
                found.append(read(name))
            except NotFoundError:
                continue
        return found


def _without_none(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _contains(record: Any, sent: Any) -> bool:
    """Return whether an API record has every field of a request body, with the same value.

    Objects match when the record has each key sent with a matching value, so fields that the
    server adds (an artifact's default media type, timestamps) do not count. Other values
    match when their JSON forms are equal, NaN being null in both.
    """
    if isinstance(sent, Mapping):
        return isinstance(record, Mapping) and all(
            key in record and _contains(record[key], value) for key, value in sent.items()
        )
    return bool(to_json_form(record) == to_json_form(sent))


def _component_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    body = _without_none(**fields)
    if "tags" in body:
        body["tags"] = check_tags(body["tags"])
    for key in ("parameters", "job_settings", "input_artifacts", "output_artifacts"):
        if key in body:
            body[key] = dict(body[key])
    return body


def _component(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return an API trial component as the store shapes it: floats decoded."""
    component = dict(record)
    component["metrics"] = {
        name: {
            **summary,
            **{
                key: decode_number(summary[key])
                for key in ("min", "max", "avg", "std_dev", "last", "first")
            },
        }
        for name, summary in record.get("metrics", {}).items()
    }
    # NaN parameters come back as null. NOTE: a float infinity comes back as the string
    # "Infinity", the same as a string parameter with that text.
    component["parameters"] = {
        name: decode_number(value) if value is None else value
        for name, value in record.get("parameters", {}).items()
    }
    return component


def _selection_body(
    *,
    names: Sequence[str] | None = None,
    experiment_names: Sequence[str] | None = None,
    trial_names: Sequence[str] | None = None,
    unassigned: bool = False,
    search_expression: Mapping[str, Any] | None = None,
    created_before: float | None = None,
    created_after: float | None = None,
    name_contains: str | None = None,
    **_other: Any,
) -> dict[str, Any]:
    """Return the query body fields of a selection of trial components; others are ignored."""
    return _without_none(
        experiments=list(experiment_names) if experiment_names else None,
        trials=list(trial_names) if trial_names else None,
        unassigned=unassigned or None,
        search_expression=_narrowed(search_expression, names, created_before, created_after),
        name_contains=name_contains or None,
    )


def _narrowed(
    expression: Mapping[str, Any] | None,
    names: Sequence[str] | None,
    created_before: float | None,
    created_after: float | None,
) -> dict[str, Any] | None:
    """Return ``expression`` with the filters on names and creation time that the API lacks."""
    filters: list[dict[str, Any]] = []
    if names is not None:
        filters.append({"Name": "Name", "Operator": "In", "Value": list(names)})
    if created_before is not None:
        filters.append({"Name": "CreationTime", "Operator": "LessThan", "Value": created_before})
    if created_after is not None:
        filters.append({"Name": "CreationTime", "Operator": "GreaterThan", "Value": created_after})
    if not filters:
        return dict(expression) if expression else None
    narrowed: dict[str, Any] = {"Filters": filters, "Operator": "And"}
    if expression:
        narrowed["SubExpressions"] = [dict(expression)]
    return narrowed


def _created_between(
    records: list[dict[str, Any]], before: float | None, after: float | None
) -> list[dict[str, Any]]:
    return [
        record
        for record in records
        if (before is None or record["created_at"] < before)
        and (after is None or record["created_at"] > after)
    ]


def _sorted(
    records: list[dict[str, Any]], sort_by: str | None, sort_order: str | None
) -> list[dict[str, Any]]:
    key = _TRIAL_SORT_KEYS.get(sort_by)
    if key is None:
        choices = ", ".join(name for name in _TRIAL_SORT_KEYS if name)
        raise ValidationError(f"Invalid sort_by {sort_by!r} for trials: use {choices}.")
    descending = (sort_order or ("Descending" if sort_by is None else "Ascending")).lower()
    return sorted(
        records, key=lambda r: (r[key] is None, r[key] or ""), reverse=descending.startswith("desc")
    )


def _window(records: list[dict[str, Any]], offset: int, limit: int | None) -> list[dict[str, Any]]:
    return records[offset:] if limit is None else records[offset : offset + limit]
