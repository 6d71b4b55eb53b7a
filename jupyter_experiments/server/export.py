"""CSV export of trial components, with the column layout of ``ExperimentAnalytics``.

Columns, in order: ``TrialComponentName``, ``DisplayName``, ``Status``, ``SourceArn``, the
parameters sorted by name, ``<metric> - Min``, ``- Max``, ``- Avg``, ``- StdDev``, ``- Last``
and ``- Count`` for each metric, ``<artifact> - MediaType`` and ``- Value`` for each input then
output artifact, then ``Trials`` and ``Experiments``. Cells go through
:func:`jupyter_experiments.csv_export.write_csv`, which neutralizes spreadsheet formulas.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..analytics import METRIC_COLUMNS
from ..csv_export import write_csv

Getter = Callable[[Mapping[str, Any]], Any]


def components_csv(
    rows: Sequence[Mapping[str, Any]],
    parameter_names: Sequence[str],
    metric_names: Sequence[str],
    artifact_names: Mapping[str, Sequence[str]],
) -> str:
    """Return CSV text with one line per trial component record of the store."""
    columns: list[tuple[str, str, Getter]] = [
        ("TrialComponentName", "component", lambda r: r["name"]),
        ("DisplayName", "component", lambda r: r["display_name"]),
        ("Status", "component", lambda r: r["status"]),
        ("SourceArn", "component", lambda r: r["source_arn"]),
    ]
    for name in parameter_names:
        columns.append((name, "parameter", _parameter(name)))
    for name in metric_names:
        for label, statistic in METRIC_COLUMNS:
            columns.append((f"{name} - {label}", "metric", _metric(name, statistic)))
    for kind in ("input", "output"):
        for name in artifact_names.get(kind, ()):
            columns.append(
                (f"{name} - MediaType", f"{kind} artifact", _artifact(kind, name, "media_type"))
            )
            columns.append((f"{name} - Value", f"{kind} artifact", _artifact(kind, name, "value")))
    columns.append(("Trials", "component", lambda r: r["trials"]))
    columns.append(("Experiments", "component", lambda r: r["experiments"]))

    header = _unique([(name, kind) for name, kind, _ in columns])
    getters = [getter for _, _, getter in columns]
    return write_csv(header, ([get(row) for get in getters] for row in rows))


def _parameter(name: str) -> Getter:
    return lambda row: row["parameters"].get(name)


def _metric(name: str, statistic: str) -> Getter:
    def get(row: Mapping[str, Any]) -> Any:
        summary = row["metrics"].get(name)
        return math.nan if summary is None else summary[statistic]

    return get


def _artifact(kind: str, name: str, field: str) -> Getter:
    def get(row: Mapping[str, Any]) -> Any:
        artifact = row[f"{kind}_artifacts"].get(name)
        return None if artifact is None else artifact[field]

    return get


def _unique(columns: Sequence[tuple[str, str]]) -> list[str]:
    # As in ExperimentAnalytics: a name that two columns share gets each column's kind appended.
    counts = Counter(name for name, _ in columns)
    return [f"{name} [{kind}]" if counts[name] > 1 else name for name, kind in columns]
