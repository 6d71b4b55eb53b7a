"""Columns of the trial component table: their ids, headers, sort keys and cell text.

A column id uses the property names of search expressions, so that a sortable column's id is
also the store's sort key: ``DisplayName``, ``Status``, ``Parameters.<name>``,
``Metrics.<name>.<statistic>``, ``InputArtifacts.<name>`` or ``OutputArtifacts.<name>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..errors import ValidationError
from ..store.search import split_metric_key

#: Component fields: (column id, header, record key, sortable).
COMPONENT_COLUMNS = (
    ("DisplayName", "Display name", "display_name", True),
    ("TrialComponentName", "Trial component", "name", True),
    ("Status", "Status", "status", True),
    ("Trials", "Trials", "trials", False),
    ("CreationTime", "Created (UTC)", "created_at", True),
    ("LastModifiedTime", "Modified (UTC)", "modified_at", True),
    ("StartTime", "Started (UTC)", "start_time", True),
    ("EndTime", "Ended (UTC)", "end_time", True),
)

#: Metric statistics a table column can show, as spelled in column ids and headers.
TABLE_STATISTICS = ("Min", "Max", "Avg", "StdDev", "Last", "Count")

#: Component fields shown before the user chooses columns.
DEFAULT_COMPONENT_COLUMNS = ("DisplayName", "Status", "Trials")

#: Characters of a cell shown before it is cut with an ellipsis (the tooltip has all).
MAX_CELL_CHARS = 60

_TIME_KEYS = frozenset({"created_at", "modified_at", "start_time", "end_time"})
_FIELDS = {
    column_id: (header, key, sortable) for column_id, header, key, sortable in COMPONENT_COLUMNS
}


@dataclass(frozen=True)
class Column:
    """One table column: what it shows, its header and whether the store can sort by it.

    ``kind`` is ``component``, ``parameter``, ``metric``, ``input`` or ``output``; ``name`` is
    the record key, parameter, metric or artifact name; ``statistic`` the metric's summary key.
    """

    id: str
    kind: str
    name: str
    header: str
    sortable: bool
    statistic: str | None = None


def parse_column(column_id: str) -> Column:
    """Return the column of an id, or raise ValidationError listing the accepted forms."""
    if column_id in _FIELDS:
        header, key, sortable = _FIELDS[column_id]
        return Column(column_id, "component", key, header, sortable)
    prefix, _, rest = column_id.partition(".")
    if rest and prefix == "Parameters":
        return Column(column_id, "parameter", rest, rest, True)
    if rest and prefix == "Metrics":
        metric, _, label = rest.rpartition(".")
        if metric and label in TABLE_STATISTICS:
            _, statistic = split_metric_key(rest)
            return Column(column_id, "metric", metric, f"{metric} - {label}", True, statistic)
    if rest and prefix in ("InputArtifacts", "OutputArtifacts"):
        kind = "input" if prefix == "InputArtifacts" else "output"
        return Column(column_id, kind, rest, f"{rest} ({kind})", False)
    raise ValidationError(
        f"Invalid column {column_id!r}: use one of {', '.join(_FIELDS)}, or "
        f"Parameters.<name>, Metrics.<name>.<{'|'.join(TABLE_STATISTICS)}>, "
        "InputArtifacts.<name> or OutputArtifacts.<name>."
    )


def available_columns(names: Mapping[str, Sequence[tuple[str, str]]]) -> dict[str, list[str]]:
    """Return the column ids by chooser group, from :meth:`TrackingStore.component_columns`."""
    parameters = list(dict.fromkeys(f"Parameters.{name}" for name, _ in names["parameters"]))
    metrics = [
        f"Metrics.{name}.{label}" for name, _ in names["metrics"] for label in TABLE_STATISTICS
    ]
    artifacts = [
        f"{'InputArtifacts' if kind == 'input' else 'OutputArtifacts'}.{name}"
        for name, kind in names["artifacts"]
    ]
    return {
        "Component": [column_id for column_id, _, _, _ in COMPONENT_COLUMNS],
        "Parameters": parameters,
        "Metrics": metrics,
        "Artifacts": artifacts,
    }


def default_columns(
    groups: Mapping[str, Sequence[str]],
    parameter_names: Sequence[str] | None = None,
    metric_names: Sequence[str] | None = None,
) -> list[str]:
    """Return the columns shown until the user chooses: a few fields, parameters, metrics' last.

    ``parameter_names`` and ``metric_names``, as an ExperimentAnalytics has them, limit the
    parameters and metrics to those.
    """
    parameters = [
        column_id
        for column_id in groups["Parameters"]
        if parameter_names is None or parse_column(column_id).name in parameter_names
    ]
    metrics = [
        column_id
        for column_id in groups["Metrics"]
        if column_id.endswith(".Last")
        and (metric_names is None or parse_column(column_id).name in metric_names)
    ]
    return [*DEFAULT_COMPONENT_COLUMNS, *parameters, *metrics]


def cell_value(column: Column, record: Mapping[str, Any]) -> Any:
    """Return the raw value of a column in a component record; None when it has none."""
    if column.kind == "component":
        return record.get(column.name)
    if column.kind == "parameter":
        return record["parameters"].get(column.name)
    if column.kind == "metric":
        summary = record["metrics"].get(column.name)
        return None if summary is None else summary[column.statistic]
    artifact = record[f"{column.kind}_artifacts"].get(column.name)
    return None if artifact is None else artifact["value"]


def format_cell(column: Column, value: Any) -> str:
    """Return a cell's text: numbers to 6 significant digits, times in UTC, '' when missing."""
    if value is None:
        return ""
    if column.kind == "component" and column.name in _TIME_KEYS:
        moment = datetime.fromtimestamp(float(value), tz=timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


def shorten(text: str) -> str:
    """Cut text longer than :data:`MAX_CELL_CHARS` with an ellipsis."""
    if len(text) <= MAX_CELL_CHARS:
        return text
    return text[: MAX_CELL_CHARS - 1] + "\u2026"


def check_columns(column_ids: Sequence[str]) -> list[str]:
    """Return the column ids without repeats, or raise ValidationError for an invalid one."""
    for column_id in column_ids:
        parse_column(column_id)
    return list(dict.fromkeys(column_ids))
