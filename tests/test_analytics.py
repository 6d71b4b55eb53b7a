"""Tests of ExperimentAnalytics: columns, dtypes, filters, name collisions and CSV export."""

from __future__ import annotations

import copy
import csv
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_experiments import (
    ExperimentAnalytics,
    Filter,
    Operator,
    SearchExpression,
    ValidationError,
)
from jupyter_experiments.csv_export import csv_cell
from jupyter_experiments.store import TrackingStore

STATISTICS = ["Min", "Max", "Avg", "StdDev", "Last", "Count"]

EXPECTED_COLUMNS = [
    "TrialComponentName",
    "DisplayName",
    "SourceArn",
    "batch_size",
    "lr",
    *[f"test:accuracy - {stat}" for stat in STATISTICS],
    *[f"train:loss - {stat}" for stat in STATISTICS],
    "training-data - MediaType",
    "training-data - Value",
    "model - MediaType",
    "model - Value",
    "Trials",
    "Experiments",
]


@pytest.fixture
def mnist(store: TrackingStore) -> TrackingStore:
    """Experiment 'mnist' with two training components, and 'other' with one."""
    store.create_experiment("mnist")
    store.create_experiment("other")
    store.create_trial("trial-1", "mnist")
    store.create_trial("trial-2", "mnist")
    store.create_trial("trial-3", "other")
    store.create_component(
        "train-1",
        display_name="Training 1",
        source_arn="local:job/train-1",
        parameters={"lr": 0.01, "batch_size": 64},
        input_artifacts={"training-data": {"value": "s3://data/train", "media_type": "text/csv"}},
        output_artifacts={"model": {"value": "file:///models/1.pt"}},
    )
    store.log_metrics(
        "train-1",
        [("train:loss", value, step, 1.0) for step, value in enumerate([0.9, 0.5, 0.3])]
        + [("test:accuracy", value, step, 1.0) for step, value in enumerate([0.8, 0.92])],
    )
    store.create_component("train-2", display_name="Training 2", parameters={"lr": 0.1})
    store.log_metrics("train-2", [("train:loss", 0.7, 0, 1.0), ("train:loss", 0.6, 1, 1.0)])
    store.create_component("elsewhere", parameters={"lr": 5.0})
    store.associate("trial-1", "train-1")
    store.associate("trial-2", "train-2")
    store.associate("trial-3", "train-2")
    store.associate("trial-3", "elsewhere")
    return store


def frame_of(**kwargs: object) -> pd.DataFrame:
    return ExperimentAnalytics(**kwargs).dataframe()  # type: ignore[arg-type]


def row(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame.set_index("TrialComponentName").loc[name]


# -- columns and values -------------------------------------------------------------------


def test_columns(mnist: TrackingStore) -> None:
    frame = frame_of(experiment_name="mnist", sort_by="Name", sort_order="Ascending")

    assert list(frame.columns) == EXPECTED_COLUMNS
    assert list(frame["TrialComponentName"]) == ["train-1", "train-2"]


def test_values(mnist: TrackingStore) -> None:
    first = row(frame_of(experiment_name="mnist"), "train-1")

    assert first["DisplayName"] == "Training 1"
    assert first["SourceArn"] == "local:job/train-1"
    assert first["lr"] == 0.01
    assert first["batch_size"] == 64
    assert first["train:loss - Min"] == 0.3
    assert first["train:loss - Max"] == 0.9
    assert first["train:loss - Avg"] == pytest.approx(np.mean([0.9, 0.5, 0.3]))
    assert first["train:loss - StdDev"] == pytest.approx(np.std([0.9, 0.5, 0.3], ddof=1))
    assert first["train:loss - Last"] == 0.3
    assert first["train:loss - Count"] == 3
    assert first["training-data - MediaType"] == "text/csv"
    assert first["training-data - Value"] == "s3://data/train"
    assert first["model - Value"] == "file:///models/1.pt"
    assert first["Trials"] == ["trial-1"]
    assert first["Experiments"] == ["mnist"]


def test_missing_values_nan(mnist: TrackingStore) -> None:
    second = row(frame_of(experiment_name="mnist"), "train-2")

    for column in (
        "SourceArn",
        "batch_size",
        "test:accuracy - Max",
        "test:accuracy - Count",
        "training-data - Value",
        "model - MediaType",
    ):
        assert pd.isna(second[column]), column


def test_media_type_missing_nan(mnist: TrackingStore) -> None:
    first = row(frame_of(experiment_name="mnist"), "train-1")

    assert pd.isna(first["model - MediaType"])


def test_parents_listed(mnist: TrackingStore) -> None:
    second = row(frame_of(experiment_name="mnist"), "train-2")

    assert sorted(second["Trials"]) == ["trial-2", "trial-3"]
    assert sorted(second["Experiments"]) == ["mnist", "other"]


def test_numeric_dtypes(mnist: TrackingStore) -> None:
    frame = frame_of(experiment_name="mnist")

    for column in ("lr", "batch_size", "train:loss - Min", "test:accuracy - Count"):
        assert pd.api.types.is_numeric_dtype(frame[column]), column


def test_mixed_parameter_keeps_values(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    for name, value in (("a", 3), ("b", "wide"), ("c", True)):
        store.create_component(name, parameters={"size": value})
        store.associate("t", name)

    frame = frame_of(experiment_name="e", sort_by="Name", sort_order="Ascending")

    assert list(frame["size"]) == [3, "wide", True]
    assert type(frame["size"][0]) is int


def test_no_source_column(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("c")
    store.associate("t", "c")

    columns = list(frame_of(experiment_name="e").columns)

    assert columns == ["TrialComponentName", "DisplayName", "Trials", "Experiments"]


def test_empty_experiment(store: TrackingStore) -> None:
    store.create_experiment("e")

    frame = frame_of(experiment_name="e")

    assert len(frame) == 0
    assert list(frame.columns) == ["TrialComponentName", "DisplayName", "Trials", "Experiments"]


def test_missing_experiment_warns(store: TrackingStore) -> None:
    with pytest.warns(UserWarning, match="Experiment 'nope' not found"):
        frame = frame_of(experiment_name="nope")

    assert len(frame) == 0


def test_empty_experiment_does_not_warn(store: TrackingStore) -> None:
    store.create_experiment("e")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = frame_of(experiment_name="e")

    assert len(frame) == 0


def test_needs_selection(store: TrackingStore) -> None:
    with pytest.raises(ValidationError, match="experiment_name or a search_expression"):
        ExperimentAnalytics()


# -- selection, sorting and filters -------------------------------------------------------


def test_sort_by_metric(mnist: TrackingStore) -> None:
    descending = frame_of(
        experiment_name="mnist", sort_by="metrics.train:loss.min", sort_order="Descending"
    )
    ascending = frame_of(
        experiment_name="mnist", sort_by="metrics.train:loss.min", sort_order="Ascending"
    )

    assert list(descending["TrialComponentName"]) == ["train-2", "train-1"]
    assert list(ascending["TrialComponentName"]) == ["train-1", "train-2"]


def test_sort_missing_last(mnist: TrackingStore) -> None:
    for order in ("Ascending", "Descending"):
        frame = frame_of(
            experiment_name="mnist", sort_by="metrics.test:accuracy.max", sort_order=order
        )

        assert list(frame["TrialComponentName"]) == ["train-1", "train-2"], order


def test_metric_names_filter(mnist: TrackingStore) -> None:
    frame = frame_of(experiment_name="mnist", metric_names=["train:loss"])

    metric_columns = [column for column in frame.columns if " - " in column]
    assert metric_columns[:6] == [f"train:loss - {stat}" for stat in STATISTICS]
    assert not any(column.startswith("test:accuracy") for column in frame.columns)


def test_parameter_names_filter(mnist: TrackingStore) -> None:
    frame = frame_of(experiment_name="mnist", parameter_names=["lr"])

    assert "lr" in frame.columns
    assert "batch_size" not in frame.columns


def test_search_expression(mnist: TrackingStore) -> None:
    expression = SearchExpression(filters=[Filter("Parameters.lr", Operator.LESS_THAN, 1)])

    frame = frame_of(search_expression=expression, sort_by="Name", sort_order="Ascending")

    assert list(frame["TrialComponentName"]) == ["train-1", "train-2"]


def test_experiment_and_expression(mnist: TrackingStore) -> None:
    expression = {"Filters": [{"Name": "Parameters.lr", "Operator": "GreaterThan", "Value": 0.05}]}

    frame = frame_of(experiment_name="other", search_expression=expression)

    assert sorted(frame["TrialComponentName"]) == ["elsewhere", "train-2"]


def test_dict_expression_not_mutated(mnist: TrackingStore) -> None:
    expression = {
        "Filters": [{"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": "mnist"}],
        "SubExpressions": [
            {"Filters": [{"Name": "Metrics.train:loss.Min", "Operator": "LessThan", "Value": 1}]}
        ],
    }
    before = copy.deepcopy(expression)

    analytics = ExperimentAnalytics(search_expression=expression)
    analytics.dataframe()
    analytics.dataframe(force_refresh=True)

    assert expression == before


def test_sdk_expression_not_mutated(mnist: TrackingStore) -> None:
    expression = SearchExpression(
        filters=[Filter("Parameters.lr", Operator.IN, [0.01, 0.1])],
        sub_expressions=[SearchExpression(filters=[Filter("Tags.x", Operator.NOT_EXISTS)])],
    )
    before = copy.deepcopy(expression)

    ExperimentAnalytics(search_expression=expression).dataframe()

    assert expression == before


def test_cache_and_refresh(mnist: TrackingStore) -> None:
    analytics = ExperimentAnalytics(experiment_name="mnist")
    assert len(analytics.dataframe()) == 2
    mnist.create_component("train-3")
    mnist.associate("trial-1", "train-3")

    assert len(analytics.dataframe()) == 2
    assert len(analytics.dataframe(force_refresh=True)) == 3


def test_dataframe_copy(mnist: TrackingStore) -> None:
    analytics = ExperimentAnalytics(experiment_name="mnist")
    frame = analytics.dataframe()
    frame["lr"] = 0

    assert sorted(analytics.dataframe()["lr"]) == [0.01, 0.1]


# -- name collisions ----------------------------------------------------------------------


def test_collision_distinct(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("c", parameters={"loss - Min": 123})
    store.log_metrics("c", [("loss", 0.5, 0, 1.0)])
    store.associate("t", "c")

    frame = frame_of(experiment_name="e")

    assert frame.columns.is_unique
    assert row(frame, "c")["loss - Min [parameter]"] == 123
    assert row(frame, "c")["loss - Min [metric]"] == 0.5


def test_collision_with_suffix(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("c", parameters={"loss - Min": 1, "loss - Min [metric]": 2})
    store.log_metrics("c", [("loss", 0.5, 0, 1.0)])
    store.associate("t", "c")

    frame = frame_of(experiment_name="e")
    values = sorted(row(frame, "c")[[c for c in frame.columns if c.startswith("loss - Min")]])

    assert frame.columns.is_unique
    assert values == [0.5, 1, 2]


def test_collision_artifacts(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component(
        "c",
        input_artifacts={"data": {"value": "in"}},
        output_artifacts={"data": {"value": "out"}},
    )
    store.associate("t", "c")

    frame = frame_of(experiment_name="e")

    assert frame.columns.is_unique
    assert row(frame, "c")["data - Value [input artifact]"] == "in"
    assert row(frame, "c")["data - Value [output artifact]"] == "out"


# -- CSV export ---------------------------------------------------------------------------


@pytest.fixture
def awkward(store: TrackingStore) -> TrackingStore:
    """One component whose parameters need quoting or formula neutralising in a CSV file."""
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component(
        "c",
        display_name='Run "one", first',
        parameters={
            "note": "line one\nline two",
            "formula": "=cmd|' /C calc'!A0",
            "plus": "+x",
            "minus": "-x",
            "at": "@SUM(A1)",
            "negative": -3,
            "negative_float": -0.5,
            "plain": "hello",
        },
    )
    store.log_metrics("c", [("loss", -1.5, 0, 1.0)])
    store.associate("t", "c")
    return store


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_csv_round_trip(awkward: TrackingStore, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"

    ExperimentAnalytics(experiment_name="e").export_csv(path)

    rows = read_csv_rows(path)
    assert len(rows) == 1
    assert rows[0]["DisplayName"] == 'Run "one", first'
    assert rows[0]["note"] == "line one\nline two"
    assert rows[0]["plain"] == "hello"
    assert rows[0]["Trials"] == "t"


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("formula", "'=cmd|' /C calc'!A0"),
        ("plus", "'+x"),
        ("minus", "'-x"),
        ("at", "'@SUM(A1)"),
    ],
)
def test_csv_formula_neutralised(
    awkward: TrackingStore, tmp_path: Path, column: str, expected: str
) -> None:
    path = tmp_path / "out.csv"

    ExperimentAnalytics(experiment_name="e").export_csv(path)

    assert read_csv_rows(path)[0][column] == expected


@pytest.mark.parametrize(
    ("column", "expected"),
    [("negative", -3.0), ("negative_float", -0.5), ("loss - Min", -1.5), ("loss - Count", 1.0)],
)
def test_csv_numbers_stay_numbers(
    awkward: TrackingStore, tmp_path: Path, column: str, expected: float
) -> None:
    path = tmp_path / "out.csv"

    ExperimentAnalytics(experiment_name="e").export_csv(path)

    assert float(read_csv_rows(path)[0][column]) == expected


def test_csv_missing_empty(mnist: TrackingStore, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"

    ExperimentAnalytics(experiment_name="mnist").export_csv(path)

    second = next(r for r in read_csv_rows(path) if r["TrialComponentName"] == "train-2")
    assert second["batch_size"] == ""
    assert second["SourceArn"] == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (math.nan, ""),
        (True, "True"),
        (-2, "-2"),
        (-0.25, "-0.25"),
        (np.float64(-0.25), "-0.25"),
        (np.int64(-3), "-3"),
        (np.bool_(True), "True"),
        (math.inf, "inf"),
        (["a", "b"], "a; b"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
    ],
)
def test_csv_cell(value: object, expected: str) -> None:
    assert csv_cell(value) == expected
