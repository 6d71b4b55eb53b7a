"""ExperimentAnalytics: trial components of a selection as one pandas DataFrame."""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from .csv_export import write_csv
from .errors import NotFoundError, ValidationError
from .sdk._store import StoreLike, get_store, ignore_sagemaker_arguments
from .sdk.search_expression import SearchExpression, expression_to_dict

log = logging.getLogger("jupyter_experiments")

#: Metric statistics in column order, with the record key each one reads.
METRIC_COLUMNS = (
    ("Min", "min"),
    ("Max", "max"),
    ("Avg", "avg"),
    ("StdDev", "std_dev"),
    ("Last", "last"),
    ("Count", "count"),
)


class ExperimentAnalytics:
    """Trial components of an experiment, or of a search, as a DataFrame with one row each.

    Columns, in order: ``TrialComponentName``, ``DisplayName``, ``SourceArn`` (only when a
    component has a source), the parameters sorted by name, for each metric
    ``<name> - Min``, ``- Max``, ``- Avg``, ``- StdDev``, ``- Last`` and ``- Count``, for each
    input then output artifact ``<name> - MediaType`` and ``<name> - Value``, then ``Trials``
    and ``Experiments`` (lists of names).

    Two columns never share a name: when a parameter, a metric column or an artifact column
    would take a name that another one has (a parameter called ``loss - Min`` beside the metric
    ``loss``, or an input and an output artifact with one name), every column of that name gets
    its kind appended in brackets, e.g. ``loss - Min [parameter]`` and ``loss - Min [metric]``.
    """

    def __init__(
        self,
        experiment_name: str | None = None,
        search_expression: SearchExpression | Mapping[str, Any] | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        metric_names: Sequence[str] | None = None,
        parameter_names: Sequence[str] | None = None,
        input_artifact_names: Sequence[str] | None = None,
        output_artifact_names: Sequence[str] | None = None,
        store: StoreLike = None,
        **sagemaker_arguments: Any,
    ) -> None:
        ignore_sagemaker_arguments("ExperimentAnalytics", sagemaker_arguments)
        if experiment_name is None and search_expression is None:
            raise ValidationError(
                "ExperimentAnalytics needs an experiment_name or a search_expression."
            )
        self.experiment_name = experiment_name
        # Converted once into new data, so the caller's expression is never changed.
        self._expression = expression_to_dict(search_expression)  # type: ignore[arg-type]
        self.sort_by = sort_by
        self.sort_order = sort_order
        self.metric_names = _optional_list(metric_names)
        self.parameter_names = _optional_list(parameter_names)
        self.input_artifact_names = _optional_list(input_artifact_names)
        self.output_artifact_names = _optional_list(output_artifact_names)
        self._store = get_store(store)
        self._dataframe: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return f"ExperimentAnalytics(experiment_name={self.experiment_name!r})"

    def dataframe(self, force_refresh: bool = False) -> pd.DataFrame:
        """Return the DataFrame, read from the store on first use or with ``force_refresh``."""
        if self._dataframe is None or force_refresh:
            self._dataframe = self._build()
        return self._dataframe.copy()

    def clear_cache(self) -> None:
        """Forget the cached DataFrame so that the next call reads the store again."""
        self._dataframe = None

    def export_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the DataFrame to a CSV file that spreadsheets open without running formulas."""
        frame = self.dataframe()
        rows = frame.itertuples(index=False, name=None)
        with open(path, "w", encoding="utf-8", newline="") as file:
            file.write(write_csv(list(frame.columns), rows))

    def _warn_if_missing(self, name: str) -> None:
        # An empty DataFrame alone does not tell a mistyped or deleted experiment from one
        # without trial components yet.
        try:
            self._store.get_experiment(name)
        except NotFoundError:
            warnings.warn(
                f"Experiment {name!r} not found, so the DataFrame is empty. Check the name, or "
                f"list the experiments with Experiment.list().",
                UserWarning,
                stacklevel=4,
            )

    def _fetch(self) -> list[dict[str, Any]]:
        return self._store.search_components(
            experiment_names=[self.experiment_name] if self.experiment_name else None,
            search_expression=self._expression,
            sort_by=self.sort_by,
            sort_order=self.sort_order,
        )

    def _build(self) -> pd.DataFrame:
        records = self._fetch()
        if not records and self.experiment_name:
            self._warn_if_missing(self.experiment_name)
        parameter_keys = self.parameter_names or sorted(
            {key for record in records for key in record["parameters"]}
        )
        metric_keys = self.metric_names or sorted(
            {key for record in records for key in record["metrics"]}
        )
        input_keys = self.input_artifact_names or sorted(
            {key for record in records for key in record["input_artifacts"]}
        )
        output_keys = self.output_artifact_names or sorted(
            {key for record in records for key in record["output_artifacts"]}
        )
        with_source = any(record["source_arn"] for record in records)

        # (column name, kind, function of a record) in final order.
        columns: list[tuple[str, str, Any]] = [
            ("TrialComponentName", "component", lambda r: r["name"]),
            ("DisplayName", "component", lambda r: r["display_name"]),
        ]
        if with_source:
            columns.append(("SourceArn", "component", lambda r: r["source_arn"]))
        for key in parameter_keys:
            columns.append((key, "parameter", _parameter_getter(key)))
        for key in metric_keys:
            for label, field in METRIC_COLUMNS:
                columns.append((f"{key} - {label}", "metric", _metric_getter(key, field)))
        for kind, keys in (("input", input_keys), ("output", output_keys)):
            for key in keys:
                columns.append(
                    (
                        f"{key} - MediaType",
                        f"{kind} artifact",
                        _artifact_getter(kind, key, "media_type"),
                    )
                )
                columns.append(
                    (f"{key} - Value", f"{kind} artifact", _artifact_getter(kind, key, "value"))
                )
        columns.append(("Trials", "component", lambda r: list(r["trials"])))
        columns.append(("Experiments", "component", lambda r: list(r["experiments"])))

        names = _unique_column_names([(name, kind) for name, kind, _ in columns])
        data = {
            name: [getter(record) for record in records]
            for name, (_, _, getter) in zip(names, columns, strict=True)
        }
        frame = pd.DataFrame(data, columns=names)
        for name, (_, kind, _) in zip(names, columns, strict=True):
            if kind in ("parameter", "metric"):
                frame[name] = _numeric_if_possible(frame[name])
        return frame


def _optional_list(values: Iterable[str] | None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        return [values]
    return list(values)


def _parameter_getter(key: str) -> Any:
    return lambda record: record["parameters"].get(key, math.nan)


def _metric_getter(key: str, field: str) -> Any:
    def get(record: Mapping[str, Any]) -> Any:
        summary = record["metrics"].get(key)
        return math.nan if summary is None else summary[field]

    return get


def _artifact_getter(kind: str, key: str, field: str) -> Any:
    def get(record: Mapping[str, Any]) -> Any:
        artifact = record[f"{kind}_artifacts"].get(key)
        if artifact is None or artifact[field] is None:
            return math.nan
        return artifact[field]

    return get


def _unique_column_names(columns: Sequence[tuple[str, str]]) -> list[str]:
    counts = Counter(name for name, _ in columns)
    used_names = set(counts)
    names = []
    for name, kind in columns:
        if counts[name] > 1:
            # The suffixed name may itself be taken, e.g. by a parameter called
            # 'loss - Min [metric]'; a number then keeps the columns apart.
            unique = f"{name} [{kind}]"
            number = 2
            while unique in used_names:
                unique = f"{name} [{kind} {number}]"
                number += 1
            used_names.add(unique)
            log.warning("Column %r exists more than once; naming it %r", name, unique)
            name = unique
        names.append(name)
    return names


def _numeric_if_possible(series: pd.Series) -> pd.Series:
    # A parameter that is a number on every component becomes a numeric column with NaN for
    # the missing ones; a mixed column stays object so that no value changes type.
    values = [v for v in series if not (isinstance(v, float) and math.isnan(v))]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return pd.to_numeric(series)
    return series
