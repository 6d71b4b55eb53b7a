"""Tests of search expressions and sort keys, compiled to SQL and run on the store."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pytest

from jupyter_experiments import (
    BooleanOperator,
    Experiment,
    Filter,
    NestedFilter,
    Operator,
    SearchExpression,
    Trial,
    TrialComponent,
)
from jupyter_experiments.errors import ValidationError
from jupyter_experiments.store import TrackingStore
from jupyter_experiments.store.search import OPERATORS

ALL = {"a", "b", "c", "d", "e"}


@pytest.fixture
def searchable(store: TrackingStore) -> TrackingStore:
    """Five components in two experiments; 'b' is in a trial of each, 'e' in none.

    ====  ==========  ==========  ===============  =========  ==========  ============
    name  display     status      hidden_channels  optimizer  team tag    test:accuracy
    ====  ==========  ==========  ===============  =========  ==========  ============
    a     Alpha run   Completed   10               adam       vision      0.8, 0.9
    b     Beta        Failed      9                sgd        nlp         0.5
    c     Gamma run   InProgress  2                Adam       -           0.95, 0.7
    d     Delta       Completed   'wide'           -          -           -
    e     Epsilon     -           -                -          -           -
    ====  ==========  ==========  ===============  =========  ==========  ============
    """
    store.create_experiment("mnist", tags={"dataset": "digits"})
    store.create_experiment("cifar")
    store.create_trial("mnist-t1", "mnist", tags={"stage": "tuning"})
    store.create_trial("mnist-t2", "mnist")
    store.create_trial("cifar-t1", "cifar")
    store.create_component(
        "a",
        display_name="Alpha run",
        status="Completed",
        parameters={"hidden_channels": 10, "lr": 0.1, "optimizer": "adam"},
        tags={"team": "vision"},
    )
    store.create_component(
        "b",
        display_name="Beta",
        status="Failed",
        parameters={"hidden_channels": 9, "lr": 0.01, "optimizer": "sgd"},
        tags={"team": "nlp"},
    )
    store.create_component(
        "c",
        display_name="Gamma run",
        status="InProgress",
        parameters={"hidden_channels": 2, "optimizer": "Adam"},
    )
    store.create_component(
        "d", display_name="Delta", status="Completed", parameters={"hidden_channels": "wide"}
    )
    store.create_component("e", display_name="Epsilon")
    store.log_metrics("a", [("test:accuracy", 0.8, 0, 1.0), ("test:accuracy", 0.9, 1, 2.0)])
    store.log_metrics("b", [("test:accuracy", 0.5, 0, 1.0)])
    store.log_metrics("c", [("test:accuracy", 0.95, 0, 1.0), ("test:accuracy", 0.7, 1, 2.0)])
    for trial, component in (
        ("mnist-t1", "a"),
        ("mnist-t1", "b"),
        ("cifar-t1", "b"),
        ("mnist-t2", "c"),
        ("cifar-t1", "d"),
    ):
        store.associate(trial, component)
    return store


def found(store: TrackingStore, expression: dict[str, Any]) -> set[str]:
    return {record["name"] for record in store.search_components(search_expression=expression)}


def one_filter(name: str, operator: str, value: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {"Name": name, "Operator": operator}
    if operator not in ("Exists", "NotExists"):
        item["Value"] = value
    return {"Filters": [item]}


FILTER_CASES = [
    # DisplayName
    ("DisplayName", "Equals", "Beta", {"b"}),
    ("DisplayName", "NotEquals", "Beta", ALL - {"b"}),
    ("DisplayName", "GreaterThan", "Delta", {"c", "e"}),
    ("DisplayName", "GreaterThanOrEqualTo", "Delta", {"c", "d", "e"}),
    ("DisplayName", "LessThan", "Beta", {"a"}),
    ("DisplayName", "LessThanOrEqualTo", "Beta", {"a", "b"}),
    ("DisplayName", "Contains", "RUN", {"a", "c"}),
    ("DisplayName", "Exists", None, ALL),
    ("DisplayName", "NotExists", None, set()),
    ("DisplayName", "In", ["Beta", "Delta"], {"b", "d"}),
    # TrialComponentName
    ("TrialComponentName", "Equals", "a", {"a"}),
    ("TrialComponentName", "NotEquals", "a", ALL - {"a"}),
    ("TrialComponentName", "GreaterThan", "c", {"d", "e"}),
    ("TrialComponentName", "GreaterThanOrEqualTo", "c", {"c", "d", "e"}),
    ("TrialComponentName", "LessThan", "b", {"a"}),
    ("TrialComponentName", "LessThanOrEqualTo", "b", {"a", "b"}),
    ("TrialComponentName", "Contains", "D", {"d"}),
    ("TrialComponentName", "Exists", None, ALL),
    ("TrialComponentName", "NotExists", None, set()),
    ("TrialComponentName", "In", "a, c", {"a", "c"}),
    # Parents.TrialName: a component matches when one of its parent trials does.
    ("Parents.TrialName", "Equals", "mnist-t1", {"a", "b"}),
    ("Parents.TrialName", "NotEquals", "mnist-t1", {"b", "c", "d"}),
    ("Parents.TrialName", "GreaterThan", "mnist-t1", {"c"}),
    ("Parents.TrialName", "GreaterThanOrEqualTo", "mnist-t1", {"a", "b", "c"}),
    ("Parents.TrialName", "LessThan", "mnist-t1", {"b", "d"}),
    ("Parents.TrialName", "LessThanOrEqualTo", "cifar-t1", {"b", "d"}),
    ("Parents.TrialName", "Contains", "T2", {"c"}),
    ("Parents.TrialName", "Exists", None, {"a", "b", "c", "d"}),
    ("Parents.TrialName", "NotExists", None, {"e"}),
    ("Parents.TrialName", "In", ["mnist-t2", "cifar-t1"], {"b", "c", "d"}),
    # Parents.ExperimentName
    ("Parents.ExperimentName", "Equals", "mnist", {"a", "b", "c"}),
    ("Parents.ExperimentName", "NotEquals", "mnist", {"b", "d"}),
    ("Parents.ExperimentName", "GreaterThan", "cifar", {"a", "b", "c"}),
    ("Parents.ExperimentName", "GreaterThanOrEqualTo", "mnist", {"a", "b", "c"}),
    ("Parents.ExperimentName", "LessThan", "mnist", {"b", "d"}),
    ("Parents.ExperimentName", "LessThanOrEqualTo", "cifar", {"b", "d"}),
    ("Parents.ExperimentName", "Contains", "CIF", {"b", "d"}),
    ("Parents.ExperimentName", "Exists", None, {"a", "b", "c", "d"}),
    ("Parents.ExperimentName", "NotExists", None, {"e"}),
    ("Parents.ExperimentName", "In", "mnist,cifar", {"a", "b", "c", "d"}),
    # Tags.<key>: only components with the tag compare.
    ("Tags.team", "Equals", "vision", {"a"}),
    ("Tags.team", "NotEquals", "vision", {"b"}),
    ("Tags.team", "GreaterThan", "nlp", {"a"}),
    ("Tags.team", "GreaterThanOrEqualTo", "nlp", {"a", "b"}),
    ("Tags.team", "LessThan", "vision", {"b"}),
    ("Tags.team", "LessThanOrEqualTo", "nlp", {"b"}),
    ("Tags.team", "Contains", "LP", {"b"}),
    ("Tags.team", "Exists", None, {"a", "b"}),
    ("Tags.team", "NotExists", None, {"c", "d", "e"}),
    ("Tags.team", "In", ["vision", "nlp"], {"a", "b"}),
    # Parameters.<name>: numbers compare as numbers, so 10 > 9.
    ("Parameters.hidden_channels", "Equals", 10, {"a"}),
    ("Parameters.hidden_channels", "Equals", "10", {"a"}),
    ("Parameters.hidden_channels", "Equals", "wide", {"d"}),
    ("Parameters.hidden_channels", "NotEquals", 10, {"b", "c", "d"}),
    ("Parameters.hidden_channels", "GreaterThan", 9, {"a"}),
    ("Parameters.hidden_channels", "GreaterThan", "9", {"a"}),
    ("Parameters.hidden_channels", "GreaterThanOrEqualTo", 9, {"a", "b"}),
    ("Parameters.hidden_channels", "LessThan", 10, {"b", "c"}),
    ("Parameters.hidden_channels", "LessThanOrEqualTo", 9.0, {"b", "c"}),
    ("Parameters.hidden_channels", "Contains", "1", {"a"}),
    ("Parameters.hidden_channels", "Exists", None, {"a", "b", "c", "d"}),
    ("Parameters.hidden_channels", "NotExists", None, {"e"}),
    ("Parameters.hidden_channels", "In", [10, "wide"], {"a", "d"}),
    ("Parameters.hidden_channels", "In", "9,10", {"a", "b"}),
    ("Parameters.optimizer", "Equals", "adam", {"a"}),
    ("Parameters.optimizer", "Contains", "adam", {"a", "c"}),
    ("Parameters.lr", "LessThan", 0.05, {"b"}),
    # Metrics.<name>.<stat>
    ("Metrics.test:accuracy.Max", "Equals", 0.9, {"a"}),
    ("Metrics.test:accuracy.Last", "NotEquals", 0.9, {"b", "c"}),
    ("Metrics.test:accuracy.Max", "GreaterThan", 0.9, {"c"}),
    ("Metrics.test:accuracy.Max", "GreaterThanOrEqualTo", 0.9, {"a", "c"}),
    ("Metrics.test:accuracy.Min", "LessThan", 0.7, {"b"}),
    ("Metrics.test:accuracy.Min", "LessThanOrEqualTo", 0.7, {"b", "c"}),
    ("Metrics.test:accuracy.Avg", "Equals", 0.5, {"b"}),
    ("Metrics.test:accuracy.StdDev", "GreaterThan", 0, {"a", "c"}),
    ("Metrics.test:accuracy.Count", "In", [1], {"b"}),
    ("Metrics.test:accuracy.Max", "In", "0.9, 0.5", {"a", "b"}),
    ("Metrics.test:accuracy.First", "Equals", "0.95", {"c"}),
    ("Metrics.test:accuracy.Max", "Exists", None, {"a", "b", "c"}),
    ("Metrics.test:accuracy.Max", "NotExists", None, {"d", "e"}),
    # Status
    ("Status", "Equals", "Completed", {"a", "d"}),
    ("Status", "NotEquals", "Completed", {"b", "c"}),
    ("Status", "GreaterThan", "Failed", {"c"}),
    ("Status", "GreaterThanOrEqualTo", "Failed", {"b", "c"}),
    ("Status", "LessThan", "Failed", {"a", "d"}),
    ("Status", "LessThanOrEqualTo", "Failed", {"a", "b", "d"}),
    ("Status", "Contains", "progress", {"c"}),
    ("Status", "Exists", None, {"a", "b", "c", "d"}),
    ("Status", "NotExists", None, {"e"}),
    ("Status", "In", ["Failed", "InProgress"], {"b", "c"}),
]


FILTERED_PROPERTIES = sorted({name for name, _, _, _ in FILTER_CASES})


@pytest.mark.parametrize("name", FILTERED_PROPERTIES)
def test_filter(searchable: TrackingStore, name: str) -> None:
    # One store per property rather than per case keeps the suite fast; every mismatching case
    # is listed at once.
    mismatches = {}
    for case_name, operator, value, expected in FILTER_CASES:
        if case_name != name:
            continue
        result = found(searchable, one_filter(name, operator, value))
        if result != expected:
            mismatches[(operator, repr(value))] = {"found": result, "expected": expected}

    assert mismatches == {}


def test_filter_every_operator() -> None:
    # The table checks each property with all ten operators; Contains on metric statistics is
    # rejected, which test_contains_on_number checks.
    groups: dict[str, set[str]] = {}
    for name, operator, _, _ in FILTER_CASES:
        group = name.split(".")[0] if name.startswith(("Metrics.", "Parameters.")) else name
        groups.setdefault(group, set()).add(operator)

    for group, operators in groups.items():
        expected = set(OPERATORS) - {"Contains"} if group == "Metrics" else set(OPERATORS)
        assert operators == expected, group


def creation_time(store: TrackingStore, name: str) -> float:
    return float(store.get_component(name)["created_at"])


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("Equals", {"c"}),
        ("NotEquals", ALL - {"c"}),
        ("GreaterThan", {"d", "e"}),
        ("GreaterThanOrEqualTo", {"c", "d", "e"}),
        ("LessThan", {"a", "b"}),
        ("LessThanOrEqualTo", {"a", "b", "c"}),
    ],
)
def test_creation_time(searchable: TrackingStore, operator: str, expected: set[str]) -> None:
    seconds = creation_time(searchable, "c")
    as_datetime = datetime.fromtimestamp(seconds, tz=timezone.utc)

    assert found(searchable, one_filter("CreationTime", operator, seconds)) == expected
    assert found(searchable, one_filter("CreationTime", operator, as_datetime)) == expected
    assert found(searchable, one_filter("CreationTime", operator, as_datetime.isoformat())) == (
        expected
    )


def test_creation_time_in(searchable: TrackingStore) -> None:
    times = [creation_time(searchable, "a"), creation_time(searchable, "e")]

    assert found(searchable, one_filter("CreationTime", "In", times)) == {"a", "e"}


def test_creation_time_exists(searchable: TrackingStore) -> None:
    assert found(searchable, one_filter("CreationTime", "Exists")) == ALL
    assert found(searchable, one_filter("CreationTime", "NotExists")) == set()


def test_creation_time_invalid(searchable: TrackingStore) -> None:
    with pytest.raises(ValidationError, match="'yesterday'"):
        found(searchable, one_filter("CreationTime", "GreaterThan", "yesterday"))


@pytest.mark.parametrize("name", ["CreationTime", "Metrics.test:accuracy.Max"])
def test_contains_on_number(searchable: TrackingStore, name: str) -> None:
    # LIKE on a number works on SQLite only; the store rejects it on every backend.
    with pytest.raises(ValidationError, match="Contains"):
        found(searchable, one_filter(name, "Contains", "9"))


def test_parameter_boolean(store: TrackingStore) -> None:
    store.create_component("on", parameters={"flag": True})
    store.create_component("off", parameters={"flag": False})
    store.create_component("one", parameters={"flag": 1})

    assert found(store, one_filter("Parameters.flag", "Equals", True)) == {"on"}
    assert found(store, one_filter("Parameters.flag", "Equals", "False")) == {"off"}


def test_parameter_large_integer(store: TrackingStore) -> None:
    store.create_component("big", parameters={"seed": 2**60})
    store.create_component("small", parameters={"seed": 7})

    assert found(store, one_filter("Parameters.seed", "GreaterThan", 2**59)) == {"big"}


def test_metric_name_with_dots(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", [("val.top1.acc", 0.7, 0, 1.0)])

    assert found(store, one_filter("Metrics.val.top1.acc.Max", "Equals", 0.7)) == {"c"}


# -- combinations -------------------------------------------------------------------------


def test_and_default(searchable: TrackingStore) -> None:
    expression = {
        "Filters": [
            {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": "mnist"},
            {"Name": "Status", "Operator": "Equals", "Value": "Completed"},
        ]
    }

    assert found(searchable, expression) == {"a"}


def test_or(searchable: TrackingStore) -> None:
    expression = {
        "Filters": [
            {"Name": "Status", "Operator": "Equals", "Value": "Failed"},
            {"Name": "DisplayName", "Operator": "Equals", "Value": "Epsilon"},
        ],
        "Operator": "Or",
    }

    assert found(searchable, expression) == {"b", "e"}


def test_nesting_four_levels(searchable: TrackingStore) -> None:
    # Status == Failed OR (experiment mnist AND (max > 0.92 OR (team exists AND lr < 0.5)))
    expression = {
        "Operator": "Or",
        "Filters": [{"Name": "Status", "Operator": "Equals", "Value": "Failed"}],
        "SubExpressions": [
            {
                "Operator": "And",
                "Filters": [
                    {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": "mnist"}
                ],
                "SubExpressions": [
                    {
                        "Operator": "Or",
                        "Filters": [
                            {
                                "Name": "Metrics.test:accuracy.Max",
                                "Operator": "GreaterThan",
                                "Value": 0.92,
                            }
                        ],
                        "SubExpressions": [
                            {
                                "Operator": "And",
                                "Filters": [
                                    {"Name": "Tags.team", "Operator": "Exists"},
                                    {
                                        "Name": "Parameters.lr",
                                        "Operator": "LessThan",
                                        "Value": 0.5,
                                    },
                                ],
                            }
                        ],
                    }
                ],
            }
        ],
    }

    assert found(searchable, expression) == {"a", "b", "c"}


def test_nesting_excludes(searchable: TrackingStore) -> None:
    # name in (d, e, a) AND (Status exists AND (experiment x OR name d)): only d passes both.
    expression = {
        "SubExpressions": [
            {
                "Operator": "Or",
                "Filters": [
                    {"Name": "TrialComponentName", "Operator": "In", "Value": ["d", "e", "a"]}
                ],
            },
            {
                "SubExpressions": [
                    {"Filters": [{"Name": "Status", "Operator": "Exists"}]},
                    {
                        "Operator": "Or",
                        "Filters": [
                            {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": "x"},
                            {"Name": "TrialComponentName", "Operator": "Equals", "Value": "d"},
                        ],
                    },
                ]
            },
        ]
    }

    assert found(searchable, expression) == {"d"}


def test_empty_expression(searchable: TrackingStore) -> None:
    assert found(searchable, {}) == ALL


def test_nested_same_parent(searchable: TrackingStore) -> None:
    # 'b' is in mnist-t1 (experiment mnist) and cifar-t1 (experiment cifar): no single parent
    # pair is (cifar-t1, mnist), so a nested filter excludes it while two filters do not.
    filters = [
        {"Name": "Parents.TrialName", "Operator": "Equals", "Value": "cifar-t1"},
        {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": "mnist"},
    ]
    nested = {"NestedFilters": [{"NestedPropertyName": "Parents", "Filters": filters}]}

    assert found(searchable, nested) == set()
    assert found(searchable, {"Filters": filters}) == {"b"}


def test_nested_matching_parent(searchable: TrackingStore) -> None:
    filters = [
        {"Name": "Parents.TrialName", "Operator": "Equals", "Value": "cifar-t1"},
        {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": "cifar"},
    ]

    expression = {"NestedFilters": [{"NestedPropertyName": "Parents", "Filters": filters}]}

    assert found(searchable, expression) == {"b", "d"}


def test_nested_not_exists(searchable: TrackingStore) -> None:
    filters = [{"Name": "Parents.TrialName", "Operator": "NotExists"}]

    expression = {"NestedFilters": [{"NestedPropertyName": "Parents", "Filters": filters}]}

    assert found(searchable, expression) == {"e"}


def test_sdk_expression(searchable: TrackingStore) -> None:
    expression = SearchExpression(
        filters=[Filter("Parameters.hidden_channels", Operator.GREATER_THAN, 5)],
        nested_filters=[
            NestedFilter("Parents", [Filter("Parents.ExperimentName", Operator.EQUALS, "mnist")])
        ],
        sub_expressions=[
            SearchExpression(
                filters=[
                    Filter("Status", Operator.EQUALS, "Completed"),
                    Filter("Status", Operator.EQUALS, "Failed"),
                ],
                boolean_operator=BooleanOperator.OR,
            )
        ],
    )

    results = TrialComponent.search(search_expression=expression, store=searchable)

    assert {component.trial_component_name for component in results} == {"a", "b"}


def test_sdk_expression_to_dict() -> None:
    expression = SearchExpression(
        filters=[Filter("Tags.team", Operator.EXISTS), Filter("Status", "In", ("A", "B"))],
        boolean_operator=BooleanOperator.OR,
    )

    assert expression.to_dict() == {
        "Operator": "Or",
        "Filters": [
            {"Name": "Tags.team", "Operator": "Exists"},
            {"Name": "Status", "Operator": "In", "Value": ["A", "B"]},
        ],
    }


def test_sdk_max_results(searchable: TrackingStore) -> None:
    results = list(TrialComponent.search(max_results=2, store=searchable))

    assert len(results) == 2


# -- invalid expressions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        (one_filter("Bogus", "Equals", 1), "'Bogus'"),
        (one_filter("Status", "Like", "x"), "'Like'"),
        (one_filter("Metrics.loss.Median", "GreaterThan", 1), "'loss.Median'"),
        (one_filter("Metrics.loss", "GreaterThan", 1), "'loss'"),
        (one_filter("Metrics.loss.Max", "GreaterThan", "high"), "'high'"),
        ({"Filters": [{"Name": "Status", "Operator": "Equals"}]}, "'Status'"),
        ({"Filters": [{"Operator": "Equals", "Value": 1}]}, "Name"),
        ({"Filters": ["Status"]}, "'Status'"),
        ({"Operator": "Xor"}, "'Xor'"),
        ({"Where": []}, "'Where'"),
        ({"NestedFilters": [{"NestedPropertyName": "Children", "Filters": []}]}, "'Children'"),
        (
            {
                "NestedFilters": [
                    {
                        "NestedPropertyName": "Parents",
                        "Filters": [{"Name": "Parents.Owner", "Operator": "Equals", "Value": 1}],
                    }
                ]
            },
            "'Parents.Owner'",
        ),
        (
            {
                "NestedFilters": [
                    {
                        "NestedPropertyName": "Parents",
                        "Filters": [
                            {"Name": "Parents.TrialName", "Operator": "Like", "Value": "t"}
                        ],
                    }
                ]
            },
            "'Like'",
        ),
        ({"SubExpressions": [{"Filters": [{"Name": "X", "Value": 1}]}]}, "'X'"),
    ],
)
def test_invalid_expression(store: TrackingStore, expression: dict, named: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(named)):
        store.search_components(search_expression=expression)


def test_sdk_filter_invalid_operator() -> None:
    with pytest.raises(ValidationError, match="'Like'"):
        Filter("Status", "Like", "x").to_dict()


def test_invalid_expression_type(store: TrackingStore) -> None:
    with pytest.raises(ValidationError, match="SearchExpression"):
        list(TrialComponent.search(search_expression="Status = 1", store=store))  # type: ignore[arg-type]


# -- sorting ------------------------------------------------------------------------------


@pytest.fixture
def sortable(store: TrackingStore) -> TrackingStore:
    """Components whose sort keys include numbers 2 < 9 < 10, NaN and missing values."""
    rows = [
        ("ten", 10, 0.9),
        ("two", 2, 0.5),
        ("nan", math.nan, math.nan),
        ("missing", None, None),
        ("nine", 9, 0.95),
    ]
    for name, channels, accuracy in rows:
        parameters = {} if channels is None else {"hidden_channels": channels}
        store.create_component(name, parameters=parameters)
        if accuracy is not None:
            store.log_metrics(name, [("test:accuracy", accuracy, 0, 1.0)])
    return store


def sorted_names(store: TrackingStore, sort_by: str, sort_order: str) -> list[str]:
    records = store.search_components(sort_by=sort_by, sort_order=sort_order)
    return [record["name"] for record in records]


def test_sort_parameter_ascending(sortable: TrackingStore) -> None:
    names = sorted_names(sortable, "parameters.hidden_channels", "Ascending")

    assert names[:3] == ["two", "nine", "ten"]
    assert set(names[3:]) == {"nan", "missing"}


def test_sort_parameter_descending(sortable: TrackingStore) -> None:
    names = sorted_names(sortable, "parameters.hidden_channels", "Descending")

    assert names[:3] == ["ten", "nine", "two"]
    assert set(names[3:]) == {"nan", "missing"}


def test_sort_metric_ascending(sortable: TrackingStore) -> None:
    names = sorted_names(sortable, "metrics.test:accuracy.max", "Ascending")

    assert names[:3] == ["two", "ten", "nine"]
    assert set(names[3:]) == {"nan", "missing"}


def test_sort_metric_descending(sortable: TrackingStore) -> None:
    names = sorted_names(sortable, "metrics.test:accuracy.max", "Descending")

    assert names[:3] == ["nine", "ten", "two"]
    assert set(names[3:]) == {"nan", "missing"}


def test_sort_strings_after_numbers(store: TrackingStore) -> None:
    store.create_component("word", parameters={"size": "large"})
    store.create_component("ten", parameters={"size": 10})
    store.create_component("two", parameters={"size": 2})

    assert sorted_names(store, "parameters.size", "Ascending") == ["two", "ten", "word"]
    assert sorted_names(store, "parameters.size", "Descending") == ["ten", "two", "word"]


def test_sort_by_name(sortable: TrackingStore) -> None:
    assert sorted_names(sortable, "Name", "Ascending") == ["missing", "nan", "nine", "ten", "two"]


def test_sort_default_newest(sortable: TrackingStore) -> None:
    records = sortable.search_components()

    assert [record["name"] for record in records] == ["nine", "missing", "nan", "two", "ten"]


def test_sort_paging(sortable: TrackingStore) -> None:
    first = sortable.search_components(sort_by="Name", sort_order="Ascending", limit=2)
    rest = sortable.search_components(sort_by="Name", sort_order="Ascending", offset=2)

    assert [record["name"] for record in first] == ["missing", "nan"]
    assert [record["name"] for record in rest] == ["nine", "ten", "two"]


@pytest.mark.parametrize(
    ("sort_by", "sort_order", "named"),
    [
        ("Colour", None, "'Colour'"),
        ("metrics.test:accuracy", None, "'test:accuracy'"),
        ("metrics.test:accuracy.median", None, "'test:accuracy.median'"),
        ("Name", "Upwards", "'Upwards'"),
    ],
)
def test_sort_invalid(store: TrackingStore, sort_by: str, sort_order: str, named: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(named)):
        store.search_components(sort_by=sort_by, sort_order=sort_order)


# -- experiments and trials ---------------------------------------------------------------


def test_experiment_search_tags(searchable: TrackingStore) -> None:
    expression = SearchExpression(filters=[Filter("Tags.dataset", Operator.EQUALS, "digits")])

    results = Experiment.search(search_expression=expression, store=searchable)

    assert [experiment.experiment_name for experiment in results] == ["mnist"]


def test_experiment_search_name(searchable: TrackingStore) -> None:
    expression = SearchExpression(filters=[Filter("ExperimentName", Operator.CONTAINS, "CIF")])

    results = Experiment.search(search_expression=expression, store=searchable)

    assert [experiment.experiment_name for experiment in results] == ["cifar"]


def test_trial_search_experiment(searchable: TrackingStore) -> None:
    expression = SearchExpression(filters=[Filter("ExperimentName", Operator.EQUALS, "mnist")])

    results = Trial.search(search_expression=expression, sort_by="Name", store=searchable)

    assert [trial.trial_name for trial in results] == ["mnist-t1", "mnist-t2"]


def test_trial_search_tags(searchable: TrackingStore) -> None:
    expression = SearchExpression(filters=[Filter("Tags.stage", Operator.EXISTS)])

    results = Trial.search(search_expression=expression, store=searchable)

    assert [trial.trial_name for trial in results] == ["mnist-t1"]


def test_trial_search_metric_invalid(searchable: TrackingStore) -> None:
    expression = {"Filters": [{"Name": "Metrics.loss.Max", "Operator": "Exists"}]}

    with pytest.raises(ValidationError, match=re.escape("'Metrics.loss.Max'")):
        searchable.list_trials(search_expression=expression)


#: Selections of the page tests: by names, which run statements compiled once per shape, and
#: with other filters, which are built per call.
PAGE_SELECTIONS = [
    {"experiment_names": ["e"]},
    {"trial_names": ["t"]},
    {"experiment_names": ["e"], "trial_names": ["t2"]},
    {"experiment_names": ["e", "other"]},
    {"experiment_names": ["e"], "name_contains": "c1"},
    {"experiment_names": ["e"], "unassigned": True},
    {
        "search_expression": {
            "Filters": [{"Name": "DisplayName", "Operator": "Contains", "Value": "c"}]
        }
    },
]


def create_page_components(store: TrackingStore, unassigned: Callable[[int], bool]) -> list[str]:
    """Create the store of the page tests and return its component names, c00 to c39.

    Experiment e has trial t, and experiment other has trial t2. Components c30 to c39 are in
    t2 and the others in t, except those that ``unassigned`` picks by index, which are in none.
    """
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_experiment("other")
    store.create_trial("t2", "other")
    names = []
    for index in range(40):
        name = f"c{index:02d}"
        store.create_component(name)
        if not unassigned(index):
            store.associate("t" if index < 30 else "t2", name)
        names.append(name)
    return names


@pytest.mark.parametrize("selection", PAGE_SELECTIONS)
@pytest.mark.parametrize("sort_order", ["Ascending", "Descending"])
def test_metric_page_matches_full_sort(
    store: TrackingStore, sort_order: str, selection: dict[str, Any]
) -> None:
    # Pages take an index-driven path; the full sort without a limit is the reference.
    rng = np.random.default_rng(7)
    for index, name in enumerate(create_page_components(store, unassigned=lambda index: False)):
        if index % 7 == 3:
            continue
        value = float(rng.integers(0, 6)) if index % 5 else math.nan
        store.log_metrics(name, [("acc", value, 0, 1.0)])
    store.create_component("outside")
    store.log_metrics("outside", [("acc", 100.0, 0, 1.0)])

    full = [
        row["name"]
        for row in store.search_components(
            **selection, sort_by="metrics.acc.max", sort_order=sort_order
        )
    ]
    assert len(full) >= 10
    for limit, offset in [(10, 0), (10, 25), (7, 30), (50, 0), (5, 38), (5, 45)]:
        page = store.search_components(
            **selection,
            sort_by="metrics.acc.max",
            sort_order=sort_order,
            limit=limit,
            offset=offset,
        )
        assert [row["name"] for row in page] == full[offset : offset + limit]


@pytest.mark.parametrize("selection", PAGE_SELECTIONS)
@pytest.mark.parametrize("sort_order", [None, "Ascending", "Descending"])
def test_creation_page_matches_full_sort(
    store: TrackingStore, sort_order: str | None, selection: dict[str, Any]
) -> None:
    # The default order takes the walk over creation times; the full sort is the reference.
    create_page_components(store, unassigned=lambda index: index % 9 == 4)

    full = [
        row["name"]
        for row in store.search_components(**selection, sort_order=sort_order, include=())
    ]
    assert len(full) >= 5
    for limit, offset in [(10, 0), (10, 25), (7, 30), (50, 0), (5, 38)]:
        page = store.search_components(
            **selection, sort_order=sort_order, limit=limit, offset=offset, include=()
        )
        assert [row["name"] for row in page] == full[offset : offset + limit]


@pytest.mark.parametrize("sort_order", ["Ascending", "Descending"])
def test_metric_page_walk_bounded_with_ties(
    store: TrackingStore, monkeypatch: pytest.MonkeyPatch, sort_order: str
) -> None:
    # An early page of a large selection is read from the first candidates of the summaries'
    # index, up to a bound on the value. A small selection falls back to reading the whole
    # selection. With few distinct values, the bound falls inside a run of ties.
    import jupyter_experiments.store.store as store_module

    monkeypatch.setattr(store_module, "FIRST_CANDIDATES_PER_ROW", 2)
    rng = np.random.default_rng(11)
    store.create_experiment("big")
    store.create_trial("big-trial", "big")
    store.create_experiment("small")
    store.create_trial("small-trial", "small")
    for index in range(70):
        name = f"c{index:02d}"
        store.create_component(name)
        if index < 60:
            store.associate("big-trial", name)
        elif index < 66:
            store.associate("small-trial", name)
        if index % 9 == 4:
            continue
        value = float(rng.integers(0, 4)) if index % 11 else math.nan
        store.log_metrics(name, [("acc", value, 0, 1.0), ("acc", value + 1, 1, 2.0)])

    fallbacks = []
    page_by_metric = TrackingStore._page_by_metric

    def counted(self: TrackingStore, *args: Any) -> list[int]:
        fallbacks.append(args[-2:])
        return page_by_metric(self, *args)

    monkeypatch.setattr(TrackingStore, "_page_by_metric", counted)
    for experiment, statistic in [("big", "max"), ("big", "first"), ("small", "max")]:
        fallbacks.clear()
        full = [
            row["name"]
            for row in store.search_components(
                experiment_names=[experiment],
                sort_by=f"metrics.acc.{statistic}",
                sort_order=sort_order,
                include=(),
            )
        ]
        assert not fallbacks
        for limit, offset in [(10, 0), (10, 10), (4, 20), (5, 52)]:
            page = store.search_components(
                experiment_names=[experiment],
                sort_by=f"metrics.acc.{statistic}",
                sort_order=sort_order,
                limit=limit,
                offset=offset,
                include=(),
            )
            assert [row["name"] for row in page] == full[offset : offset + limit]
        if experiment == "big":
            # The first pages were found among the first candidates; the last one, past the
            # components with a value, was not.
            assert fallbacks == [(5, 52)]
        else:
            assert (10, 0) in fallbacks


@pytest.mark.parametrize("sort_order", [None, "Ascending", "Descending"])
def test_creation_page_walk_bounded(
    store: TrackingStore, monkeypatch: pytest.MonkeyPatch, sort_order: str | None
) -> None:
    # The default order, newest first, takes the same bounded walk over the creation times.
    import jupyter_experiments.store.store as store_module

    monkeypatch.setattr(store_module, "FIRST_CANDIDATES_PER_ROW", 2)
    store.create_experiment("big")
    store.create_trial("big-trial", "big")
    store.create_experiment("small")
    store.create_trial("small-trial", "small")
    for index in range(60):
        name = f"c{index:02d}"
        store.create_component(name)
        if index % 10 == 3:
            store.associate("small-trial", name)
        elif index % 10 != 7:
            store.associate("big-trial", name)

    walks = []
    walk = TrackingStore._first_candidates_by_creation

    def recorded(self: TrackingStore, *args: Any) -> list[int] | None:
        found = walk(self, *args)
        walks.append((args[-2:], found is not None))
        return found

    monkeypatch.setattr(TrackingStore, "_first_candidates_by_creation", recorded)
    for experiment in ("big", "small"):
        walks.clear()
        full = [
            row["name"]
            for row in store.search_components(
                experiment_names=[experiment], sort_order=sort_order, include=()
            )
        ]
        for limit, offset in [(10, 0), (5, 8), (10, 40)]:
            page = store.search_components(
                experiment_names=[experiment],
                sort_order=sort_order,
                limit=limit,
                offset=offset,
                include=(),
            )
            assert [row["name"] for row in page] == full[offset : offset + limit]
        if experiment == "big":
            assert walks == [((10, 0), True), ((5, 8), True), ((10, 40), False)]
        else:
            assert ((10, 0), False) in walks
    newest_first = [row["name"] for row in store.search_components(limit=3, include=())]
    assert newest_first == ["c59", "c58", "c57"]


@pytest.mark.parametrize("statistic", ["last", "first"])
@pytest.mark.parametrize("sort_order", ["Ascending", "Descending"])
def test_sort_nan_first_last_at_end(store: TrackingStore, statistic: str, sort_order: str) -> None:
    # A series that starts or ends with NaN has a NaN first or last value, which sorts after
    # every number in both directions. PostgreSQL orders a stored NaN above every number.
    for name, values in [("nan", [math.nan]), ("one", [1.0]), ("two", [2.0])]:
        store.create_component(name)
        store.log_metrics(name, [("m", value, 0, 1.0) for value in values])
    numbers = ["one", "two"] if sort_order == "Ascending" else ["two", "one"]

    for limit in (None, 3):
        page = store.search_components(
            sort_by=f"metrics.m.{statistic}", sort_order=sort_order, limit=limit, include=()
        )
        assert [row["name"] for row in page] == [*numbers, "nan"]


@pytest.mark.parametrize("sort_order", ["Ascending", "Descending"])
def test_metric_ties_by_id_with_clock_skew(
    store: TrackingStore, monkeypatch: pytest.MonkeyPatch, sort_order: str
) -> None:
    # A clock that steps back, or writers on hosts with skewed clocks, give creation times out
    # of id order. A page and the full sort must still break a metric's ties the same way.
    import jupyter_experiments.store.store as store_module

    for name, created_at in (("first-id", 200.0), ("second-id", 100.0), ("third-id", 150.0)):
        monkeypatch.setattr(store_module, "_now", lambda created_at=created_at: created_at)
        store.create_component(name)
        store.log_metrics(name, [("m", 1.0, 0, 1.0)])
    monkeypatch.setattr(store_module, "_now", lambda: 120.0)
    store.create_component("no-metric")

    query = {"sort_by": "metrics.m.Max", "sort_order": sort_order, "include": ()}
    full = [row["name"] for row in store.search_components(**query)]
    by_id = ["first-id", "second-id", "third-id"]
    assert full == [*(by_id if sort_order == "Ascending" else by_id[::-1]), "no-metric"]
    for limit, offset in [(2, 0), (3, 0), (2, 2), (1, 3)]:
        page = store.search_components(**query, limit=limit, offset=offset)
        assert [row["name"] for row in page] == full[offset : offset + limit]
