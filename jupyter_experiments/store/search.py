"""Compile search expressions and sort keys into SQLAlchemy Core.

A search expression is the SageMaker Search form as plain data::

    {"Filters": [{"Name": "Metrics.test:accuracy.Max", "Operator": "GreaterThan", "Value": 90}],
     "NestedFilters": [{"NestedPropertyName": "Parents",
                        "Filters": [{"Name": "Parents.ExperimentName", "Operator": "Equals",
                                     "Value": "mnist"}]}],
     "SubExpressions": [<search expression>, ...],
     "Operator": "And"}

Filters, nested filters and sub-expressions of one expression are combined with its operator,
and sub-expressions nest to any depth. Everything becomes one SQL ``WHERE`` clause, so filtering
runs in the database; properties of related rows (parameters, metric summaries, parents, tags)
become correlated ``EXISTS`` subqueries that the primary keys and indexes serve.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..errors import ValidationError
from ..validation import to_epoch_seconds
from .collation import CodePointText
from .json_fields import JsonNumber, JsonText
from .schema import (
    artifacts,
    experiments,
    metric_summaries,
    parameters,
    tags,
    trial_component_links,
    trial_components,
    trials,
)

OPERATORS = (
    "Equals",
    "NotEquals",
    "GreaterThan",
    "GreaterThanOrEqualTo",
    "LessThan",
    "LessThanOrEqualTo",
    "Contains",
    "Exists",
    "NotExists",
    "In",
)

#: Metric statistics by their accepted spellings, lower-cased, to summary columns.
METRIC_STATISTICS = {
    "min": "min",
    "max": "max",
    "avg": "avg",
    "average": "avg",
    "mean": "avg",
    "stddev": "std_dev",
    "std_dev": "std_dev",
    "std": "std_dev",
    "last": "last",
    "first": "first",
    "count": "count",
}

_TIME_PROPERTIES = {"creationtime", "lastmodifiedtime", "starttime", "endtime"}

Condition = sa.ColumnElement[bool]

_RANGE_OPERATORS = frozenset(
    {"GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo"}
)


def _compare(column: Any, operator: str, value: Any) -> Condition:
    if isinstance(column.type, sa.String):
        # PostgreSQL has no text = integer operator, and SQLite compares a number with a text
        # column as text, so the value is compared as the text it would be stored as.
        value = _as_text(value)
        if operator in _RANGE_OPERATORS:
            column = CodePointText(column)
    if operator == "Equals":
        return column == value
    if operator == "NotEquals":
        return column != value
    if operator == "GreaterThan":
        return column > value
    if operator == "GreaterThanOrEqualTo":
        return column >= value
    if operator == "LessThan":
        return column < value
    if operator == "LessThanOrEqualTo":
        return column <= value
    if operator == "Contains":
        # NOTE: SQLite's lower() folds ASCII letters only, so a non-ASCII text matches without
        # regard to case on PostgreSQL (with a non-C collation) but not on SQLite.
        return sa.func.lower(column).contains(str(value).lower(), autoescape=True)
    if operator == "In":
        return column.in_(_as_list(value))
    raise AssertionError(operator)


def _as_text(value: Any) -> Any:
    """Return a filter value as stored text; None stays None, In values convert one by one."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Sequence):
        return [None if item is None else str(item) for item in value]
    return str(value)


def _as_list(value: Any) -> list[Any]:
    # SageMaker sends In values as one comma-separated string.
    if isinstance(value, str):
        return [item.strip() for item in value.split(",")]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def _as_number(value: Any) -> float | None:
    # NaN is no number to compare with: SQLite binds it as NULL, which matches nothing, while
    # PostgreSQL orders NaN above every number, so LessThan NaN would match everything there.
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return None if math.isnan(number) else number
    return None


class _Compiler:
    """Turn filters on one resource (experiments, trials or trial components) into SQL."""

    def __init__(
        self,
        resource: str,
        table: sa.Table,
        columns: Mapping[str, sa.ColumnElement[Any]],
    ) -> None:
        self.resource = resource
        self.table = table
        self.columns = {key.lower(): column for key, column in columns.items()}

    def expression(self, expression: Mapping[str, Any], depth: int = 0) -> Condition:
        if not isinstance(expression, Mapping):
            raise ValidationError(
                f"Invalid search expression {expression!r}: expected a mapping with Filters, "
                "NestedFilters, SubExpressions and Operator."
            )
        unknown = set(expression) - {"Filters", "NestedFilters", "SubExpressions", "Operator"}
        if unknown:
            raise ValidationError(
                f"Invalid search expression key(s) {sorted(unknown)}: use Filters, "
                "NestedFilters, SubExpressions and Operator."
            )
        operator = expression.get("Operator", "And")
        if operator not in ("And", "Or"):
            raise ValidationError(
                f"Invalid boolean operator {operator!r} in a search expression: use 'And' or 'Or'."
            )
        conditions: list[Condition] = []
        for item in expression.get("Filters") or []:
            conditions.append(self.filter(item))
        for nested in expression.get("NestedFilters") or []:
            conditions.append(self.nested(nested))
        for sub in expression.get("SubExpressions") or []:
            conditions.append(self.expression(sub, depth + 1))
        if not conditions:
            return sa.true()
        return sa.and_(*conditions) if operator == "And" else sa.or_(*conditions)

    def filter(self, item: Mapping[str, Any]) -> Condition:
        name, operator = _check_filter(item)
        return self.property_condition(name, operator, item.get("Value"))

    def nested(self, nested: Mapping[str, Any]) -> Condition:
        # Filters under one nested property must hold for the same related row; for Parents,
        # the same (trial, experiment) pair.
        prop = nested.get("NestedPropertyName") if isinstance(nested, Mapping) else None
        if prop != "Parents" or self.resource != "component":
            raise ValidationError(
                f"Invalid nested filter {nested!r}: only NestedPropertyName 'Parents' on trial "
                "components is supported."
            )
        conditions = []
        without_parent = False
        for item in nested.get("Filters") or []:
            name, operator = _check_filter(item)
            field = name.removeprefix("Parents.")
            column = {"trialname": trials.c.name, "experimentname": experiments.c.name}.get(
                field.lower()
            )
            if column is None:
                raise ValidationError(
                    f"Invalid nested filter name {name!r}: use "
                    "Parents.TrialName or Parents.ExperimentName."
                )
            if operator == "NotExists":
                # A parent's names are never NULL: they are missing only without a parent.
                without_parent = True
                continue
            conditions.append(self._value_condition(column, operator, item))
        if not without_parent:
            return self._parents_exists(sa.and_(*conditions))
        no_parent = ~self._parents_exists(sa.true())
        if conditions:
            return sa.and_(no_parent, self._parents_exists(sa.and_(*conditions)))
        return no_parent

    def _value_condition(self, column: Any, operator: str, item: Mapping[str, Any]) -> Condition:
        if operator == "Exists":
            return column.is_not(None)
        if operator == "NotExists":
            return column.is_(None)
        return _compare(column, operator, item.get("Value"))

    def property_condition(self, name: str, operator: str, value: Any) -> Condition:
        prefix, _, rest = name.partition(".")
        lowered = prefix.lower()
        if rest and lowered == "tags":
            return self._tag_condition(rest, operator, value)
        if rest and lowered == "parameters" and self.resource == "component":
            return self._parameter_condition(rest, operator, value)
        if rest and lowered == "metrics" and self.resource == "component":
            return self._metric_condition(rest, operator, value)
        if rest and lowered in ("inputartifacts", "outputartifacts"):
            return self._artifact_condition(lowered[:-9], rest, operator, value)
        if rest and lowered == "parents" and self.resource == "component":
            return self.nested(
                {
                    "NestedPropertyName": "Parents",
                    "Filters": [{"Name": name, "Operator": operator, "Value": value}],
                }
            )
        column = self.columns.get(name.lower())
        if column is None:
            raise ValidationError(
                f"Unknown search property {name!r} for {self.resource}s: use one of "
                f"{', '.join(sorted(self._property_names()))}."
            )
        if operator == "Exists":
            return column.is_not(None)
        if operator == "NotExists":
            return column.is_(None)
        if name.lower() in _TIME_PROPERTIES:
            if operator == "Contains":
                raise ValidationError(
                    f"Invalid operator Contains in the filter on {name!r}: times are compared "
                    "with Equals, NotEquals, GreaterThan, LessThan and the like."
                )
            if operator == "In":
                value = [_time_value(item, name) for item in _as_list(value)]
            else:
                value = _time_value(value, name)
        return _compare(column, operator, value)

    def _property_names(self) -> list[str]:
        names = ["Tags.<key>"]
        if self.resource == "component":
            names += [
                "Parameters.<name>",
                "Metrics.<name>.<Min|Max|Avg|StdDev|Last|Count>",
                "Parents.TrialName",
                "Parents.ExperimentName",
                "InputArtifacts.<name>.Value",
                "OutputArtifacts.<name>.Value",
            ]
        return names + list(self.columns)

    def _tag_condition(self, key: str, operator: str, value: Any) -> Condition:
        base = sa.and_(
            tags.c.resource_type == self.resource,
            tags.c.resource_id == self.table.c.id,
            tags.c.key == key,
        )
        if operator == "NotExists":
            return ~sa.exists().where(base)
        if operator == "Exists":
            return sa.exists().where(base)
        return sa.exists().where(base, _compare(tags.c.value, operator, value))

    def _parameter_condition(self, key: str, operator: str, value: Any) -> Condition:
        base = sa.and_(parameters.c.component_id == trial_components.c.id, parameters.c.name == key)
        if operator == "NotExists":
            return ~sa.exists().where(base)
        if operator == "Exists":
            return sa.exists().where(base)
        if operator in ("Contains",):
            return sa.exists().where(base, _compare(parameters.c.string_value, operator, value))
        if operator == "NotEquals":
            # A value of another type, such as 'wide' against 10, is not equal either.
            return sa.and_(
                sa.exists().where(base), ~self._parameter_condition(key, "Equals", value)
            )
        if operator == "In":
            values = _as_list(value)
            numbers = [n for n in (_as_number(v) for v in values) if n is not None]
            return sa.exists().where(
                base,
                sa.or_(
                    parameters.c.string_value.in_([str(v) for v in values]),
                    sa.and_(
                        parameters.c.value_type.in_(("integer", "float")),
                        parameters.c.number_value.in_(numbers),
                    ),
                ),
            )
        if isinstance(value, float) and math.isnan(value):
            # A NaN parameter is stored as the text 'nan' without a number: Equals finds it, and
            # an order comparison with NaN is false, as in Python.
            if operator != "Equals":
                return sa.false()
            return sa.exists().where(
                base, parameters.c.value_type == "float", parameters.c.string_value == "nan"
            )
        number = _as_number(value)
        if isinstance(value, bool):
            value_condition = sa.and_(
                parameters.c.value_type == "boolean",
                _compare(parameters.c.number_value, operator, float(value)),
            )
        elif number is not None:
            value_condition = sa.and_(
                parameters.c.value_type.in_(("integer", "float")),
                _compare(parameters.c.number_value, operator, number),
            )
        else:
            value_condition = _compare(parameters.c.string_value, operator, str(value))
        return sa.exists().where(base, value_condition)

    def _metric_condition(self, rest: str, operator: str, value: Any) -> Condition:
        metric, statistic = split_metric_key(rest)
        base = sa.and_(
            metric_summaries.c.component_id == trial_components.c.id,
            metric_summaries.c.name == metric,
        )
        if operator == "NotExists":
            return ~sa.exists().where(base)
        if operator == "Exists":
            return sa.exists().where(base)
        if operator == "Contains":
            raise ValidationError(
                f"Invalid operator Contains in the filter on Metrics.{rest}: metric statistics "
                "are numbers, compared with Equals, GreaterThan, LessThan and the like."
            )
        number = _as_number(value) if operator != "In" else None
        if operator != "In" and number is None:
            raise ValidationError(
                f"Invalid value {value!r} in the filter on Metrics.{rest}: metric statistics "
                "are compared with numbers other than NaN, because they skip NaN points."
            )
        column = metric_summaries.c[statistic]
        compared = [_as_number(v) for v in _as_list(value)] if operator == "In" else number
        return sa.exists().where(base, _compare(column, operator, compared))

    def _artifact_condition(self, kind: str, rest: str, operator: str, value: Any) -> Condition:
        name, _, field = rest.rpartition(".")
        if field.lower() not in ("value", "mediatype") or not name:
            name, field = rest, "value"
        column = artifacts.c.value if field.lower() == "value" else artifacts.c.media_type
        base = sa.and_(
            artifacts.c.component_id == trial_components.c.id,
            artifacts.c.kind == kind,
            artifacts.c.name == name,
        )
        if operator == "NotExists":
            return ~sa.exists().where(base)
        if operator == "Exists":
            return sa.exists().where(base)
        return sa.exists().where(base, _compare(column, operator, value))

    def _parents_exists(self, condition: Condition) -> Condition:
        return sa.exists().where(
            trial_component_links.c.component_id == trial_components.c.id,
            trials.c.id == trial_component_links.c.trial_id,
            experiments.c.id == trials.c.experiment_id,
            condition,
        )


def _check_filter(item: Any) -> tuple[str, str]:
    """Return the property name and operator of a filter, or raise naming what is wrong."""
    if not isinstance(item, Mapping) or "Name" not in item:
        raise ValidationError(
            f"Invalid filter {item!r}: a filter is a mapping with Name, Operator and Value."
        )
    name = item["Name"]
    operator = item.get("Operator", "Equals")
    if operator not in OPERATORS:
        raise ValidationError(
            f"Invalid operator {operator!r} in the filter on {name!r}: use one of "
            f"{', '.join(OPERATORS)}."
        )
    if operator not in ("Exists", "NotExists") and "Value" not in item:
        raise ValidationError(f"Missing Value in the filter on {name!r} with operator {operator}.")
    return str(name), operator


def metric_sort_key(sort_by: str | None) -> tuple[str, str] | None:
    """Return (metric, summary column) if ``sort_by`` is ``metrics.<name>.<stat>``, else None."""
    if sort_by is None:
        return None
    prefix, _, rest = sort_by.partition(".")
    if not rest or prefix.lower() != "metrics":
        return None
    return split_metric_key(rest)


def split_metric_key(key: str) -> tuple[str, str]:
    """Split ``'test:accuracy.Max'`` into the metric name and the summary column ``'max'``.

    The statistic is the part after the last dot, so metric names may contain dots themselves.
    """
    metric, dot, statistic = key.rpartition(".")
    column = METRIC_STATISTICS.get(statistic.lower()) if dot else None
    if not metric or column is None:
        raise ValidationError(
            f"Invalid metric key {key!r}: write '<metric name>.<statistic>' with a statistic "
            "of Min, Max, Avg, StdDev, Last, First or Count, e.g. 'test:accuracy.Max'."
        )
    return metric, column


def _time_value(value: Any, name: str) -> float:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            number = _as_number(value)
            if number is None:
                raise ValidationError(
                    f"Invalid value {value!r} for {name}: use an ISO 8601 time or seconds "
                    "since the epoch."
                ) from None
            value = number
    return to_epoch_seconds(value, f"value for {name}")


COMPONENT_COLUMNS: dict[str, sa.ColumnElement[Any]] = {
    "TrialComponentName": trial_components.c.name,
    "Name": trial_components.c.name,
    "DisplayName": trial_components.c.display_name,
    "Status": trial_components.c.status,
    "Status.PrimaryStatus": trial_components.c.status,
    "CreationTime": trial_components.c.created_at,
    "LastModifiedTime": trial_components.c.modified_at,
    "StartTime": trial_components.c.start_time,
    "EndTime": trial_components.c.end_time,
    "Source.SourceArn": trial_components.c.source_arn,
    "SourceArn": trial_components.c.source_arn,
    "Source.SourceType": trial_components.c.source_type,
}

EXPERIMENT_COLUMNS: dict[str, sa.ColumnElement[Any]] = {
    "ExperimentName": experiments.c.name,
    "Name": experiments.c.name,
    "DisplayName": experiments.c.display_name,
    "Description": experiments.c.description,
    "CreationTime": experiments.c.created_at,
    "LastModifiedTime": experiments.c.modified_at,
}

TRIAL_COLUMNS: dict[str, sa.ColumnElement[Any]] = {
    "TrialName": trials.c.name,
    "Name": trials.c.name,
    "DisplayName": trials.c.display_name,
    "CreationTime": trials.c.created_at,
    "LastModifiedTime": trials.c.modified_at,
    "ExperimentName": experiments.c.name,
    "Parents.ExperimentName": experiments.c.name,
}

_COMPILERS = {
    "component": _Compiler("component", trial_components, COMPONENT_COLUMNS),
    "experiment": _Compiler("experiment", experiments, EXPERIMENT_COLUMNS),
    "trial": _Compiler("trial", trials, TRIAL_COLUMNS),
}


def compile_expression(resource: str, expression: Mapping[str, Any] | None) -> Condition:
    """Return the ``WHERE`` condition for a search expression on ``resource``."""
    if expression is None:
        return sa.true()
    return _COMPILERS[resource].expression(expression)


def order_by(
    resource: str, sort_by: str | None, sort_order: str | None
) -> tuple[list[Any], Callable[[sa.Select[Any]], sa.Select[Any]]]:
    """Return ORDER BY clauses for ``sort_by`` and a function that adds the joins they need.

    Missing values sort last in both directions; numbers sort as numbers and text by code point
    on every backend. Ties are broken by creation order so that paging is stable, except in a
    sort by a metric statistic: there they are broken by the order in which the components were
    added to the store (their ids), which is the order of the summaries' index that serves a
    page, and which differs from creation times when a writer's clock is behind another's.
    """
    compiler = _COMPILERS[resource]
    table = compiler.table
    descending = is_descending(sort_order, default=sort_by is None)
    key = sort_by or "CreationTime"
    prefix, _, rest = key.partition(".")

    def direction(column: Any) -> Any:
        return column.desc() if descending else column.asc()

    tie_breakers = [direction(table.c.created_at), direction(table.c.id)]
    if rest and prefix.lower() == "metrics" and resource == "component":
        metric, statistic = split_metric_key(rest)
        summary = metric_summaries.alias("sort_summary")
        column = summary.c[statistic]

        def join_metric(select: sa.Select[Any]) -> sa.Select[Any]:
            return select.outerjoin(
                summary,
                sa.and_(summary.c.component_id == table.c.id, summary.c.name == metric),
            )

        return [column.is_(None), direction(column), direction(table.c.id)], join_metric
    if rest and prefix.lower() == "parameters" and resource == "component":
        parameter = parameters.alias("sort_parameter")

        def join_parameter(select: sa.Select[Any]) -> sa.Select[Any]:
            return select.outerjoin(
                parameter,
                sa.and_(parameter.c.component_id == table.c.id, parameter.c.name == rest),
            )

        # Rows with the parameter come first, numbers before strings within them.
        return [
            parameter.c.component_id.is_(None),
            parameter.c.number_value.is_(None),
            direction(parameter.c.number_value),
            direction(CodePointText(parameter.c.string_value)),
            *tie_breakers,
        ], join_parameter
    if resource == "component":
        derived = _derived_component_sort(key, descending)
        if derived is not None:
            clauses, add_joins = derived
            return [*clauses, *tie_breakers], add_joins
    plain_column = compiler.columns.get(key.lower())
    if plain_column is None:
        raise ValidationError(
            f"Invalid sort key {key!r} for {resource}s: use one of "
            f"{', '.join(sorted(compiler.columns))}"
            + (
                ", trial, experiment, duration, metrics.<name>.<statistic>, parameters.<name>, "
                "input_artifacts.<name>, output_artifacts.<name> or job_settings.<name>."
                if resource == "component"
                else "."
            )
        )
    sorted_column: Any = plain_column
    if isinstance(plain_column.type, sa.String):
        sorted_column = CodePointText(plain_column)
    return [plain_column.is_(None), direction(sorted_column), *tie_breakers], lambda select: select


def _derived_component_sort(
    key: str, descending: bool
) -> tuple[list[Any], Callable[[sa.Select[Any]], sa.Select[Any]]] | None:
    """Return the ORDER BY clauses (without tie breakers) and joins of a derived sort key.

    The keys are ``trial`` and ``experiment`` (the first name by code point of the component's
    trials, or of their experiments), ``duration`` (``end_time - start_time``; for a component
    InProgress or Stopping without end time, the time from start until the query runs), and
    ``input_artifacts.<name>`` / ``output_artifacts.<name>`` (the artifact's value as text),
    and ``job_settings.<name>`` (numbers as numbers, before text, booleans, lists and objects
    as their JSON text). Missing values sort last in both directions. Returns None for any
    other key.
    """

    def direction(value: Any) -> Any:
        return value.desc() if descending else value.asc()

    def no_join(select: sa.Select[Any]) -> sa.Select[Any]:
        return select

    lowered = key.lower()
    if lowered in ("trial", "experiment"):
        name = _first_parent_name(trials.c.name if lowered == "trial" else experiments.c.name)
        return [name.is_(None), direction(CodePointText(name))], no_join
    if lowered == "duration":
        duration = _duration(time.time())
        return [duration.is_(None), direction(duration)], no_join

    prefix, _, artifact_name = key.partition(".")
    if prefix.lower() == "job_settings" and artifact_name:
        number = JsonNumber(trial_components.c.job_settings, artifact_name)
        text = JsonText(trial_components.c.job_settings, artifact_name)

        # Components with the setting first, numbers before text within them.
        return [
            sa.and_(number.is_(None), text.is_(None)),
            number.is_(None),
            direction(number),
            direction(CodePointText(text)),
        ], no_join

    kind = {"input_artifacts": "input", "output_artifacts": "output"}.get(prefix.lower())
    if kind is None or not artifact_name:
        return None
    artifact = artifacts.alias("sort_artifact")

    def join_artifact(select: sa.Select[Any]) -> sa.Select[Any]:
        return select.outerjoin(
            artifact,
            sa.and_(
                artifact.c.component_id == trial_components.c.id,
                artifact.c.kind == kind,
                artifact.c.name == artifact_name,
            ),
        )

    return [
        artifact.c.value.is_(None),
        direction(CodePointText(artifact.c.value)),
    ], join_artifact


def _first_parent_name(column: sa.ColumnElement[str]) -> sa.ColumnElement[Any]:
    """Return the first name by code point of a component's trials or experiments, or NULL."""
    return (
        sa.select(sa.func.min(CodePointText(column)))
        .select_from(
            trial_component_links.join(
                trials, trials.c.id == trial_component_links.c.trial_id
            ).join(experiments, experiments.c.id == trials.c.experiment_id)
        )
        .where(trial_component_links.c.component_id == trial_components.c.id)
        .correlate(trial_components)
        .scalar_subquery()
    )


def _duration(now: float) -> sa.ColumnElement[Any]:
    """Return a component's duration in seconds, as the table's Duration column shows it."""
    start, end = trial_components.c.start_time, trial_components.c.end_time
    return sa.case(
        (start.is_(None), sa.null()),
        (end.is_not(None), end - start),
        (
            trial_components.c.status.in_(("InProgress", "Stopping")),
            sa.literal(now, sa.Float) - start,
        ),
        else_=sa.null(),
    )


def is_descending(sort_order: str | None, default: bool) -> bool:
    if sort_order is None:
        return default
    lowered = str(sort_order).lower()
    if lowered in ("descending", "desc"):
        return True
    if lowered in ("ascending", "asc"):
        return False
    raise ValidationError(f"Invalid sort order {sort_order!r}: use 'Ascending' or 'Descending'.")
