"""Tests of TrackingStore: records, links, deletes, parameters, metrics and change events."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from jupyter_experiments.errors import ConflictError, NotFoundError, ValidationError
from jupyter_experiments.store import TrackingStore

UNUSUAL_KEYS = [
    "train/loss",
    "test:accuracy",
    "learning rate",
    "精度",
    "точность",
    "دقة",
    "a.b.c",
    "emoji 🙂",
]


def names_of(records: list[dict]) -> list[str]:
    return [record["name"] for record in records]


def points(name: str, values: list[float], first_step: int = 0) -> list[tuple]:
    return [(name, value, first_step + i, 1000.0 + i) for i, value in enumerate(values)]


# -- experiments --------------------------------------------------------------------------


def test_experiment_create_get(store: TrackingStore) -> None:
    store.create_experiment("mnist", display_name="MNIST", description="digits", tags={"a": "1"})

    record = store.get_experiment("mnist")

    assert record["name"] == "mnist"
    assert record["display_name"] == "MNIST"
    assert record["description"] == "digits"
    assert record["tags"] == {"a": "1"}
    assert record["trial_count"] == 0
    assert record["created_at"] == pytest.approx(time.time(), abs=60)


def test_experiment_display_name_defaults(store: TrackingStore) -> None:
    record = store.create_experiment("mnist")

    assert record["display_name"] == "mnist"


def test_experiment_duplicate(store: TrackingStore) -> None:
    store.create_experiment("mnist", description="first")

    with pytest.raises(ConflictError, match="'mnist' already exists"):
        store.create_experiment("mnist", description="second")

    assert store.get_experiment("mnist")["description"] == "first"


def test_experiment_missing(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="'nope' not found"):
        store.get_experiment("nope")


def test_experiment_update(store: TrackingStore) -> None:
    store.create_experiment("mnist", description="old", tags={"a": "1"})

    store.update_experiment("mnist", description="new", tags={"b": "2"})

    record = store.get_experiment("mnist")
    assert record["description"] == "new"
    assert record["tags"] == {"b": "2"}
    assert record["display_name"] == "mnist"


def test_experiment_list_counts_trials(store: TrackingStore) -> None:
    store.create_experiment("a")
    store.create_experiment("b")
    store.create_trial("t1", "a")
    store.create_trial("t2", "a")

    counts = {record["name"]: record["trial_count"] for record in store.list_experiments()}

    assert counts == {"a": 2, "b": 0}


def test_experiment_list_newest_first(store: TrackingStore) -> None:
    for name in ("first", "second", "third"):
        store.create_experiment(name)

    assert names_of(store.list_experiments()) == ["third", "second", "first"]


# -- trials -------------------------------------------------------------------------------


def test_trial_create_get(store: TrackingStore) -> None:
    store.create_experiment("mnist")

    store.create_trial("run-1", "mnist", display_name="Run 1", tags={"k": "v"})

    record = store.get_trial("run-1")
    assert record["experiment_name"] == "mnist"
    assert record["display_name"] == "Run 1"
    assert record["tags"] == {"k": "v"}
    assert record["component_count"] == 0


def test_trial_needs_experiment(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="'nope' not found"):
        store.create_trial("run-1", "nope")

    assert store.list_trials() == []


def test_trial_duplicate(store: TrackingStore) -> None:
    store.create_experiment("a")
    store.create_experiment("b")
    store.create_trial("run-1", "a")

    with pytest.raises(ConflictError, match="'run-1' already exists"):
        store.create_trial("run-1", "b")

    assert store.get_trial("run-1")["experiment_name"] == "a"


def test_trial_status_counts(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    for name, status in (("c1", "Completed"), ("c2", "Completed"), ("c3", "Failed")):
        store.create_component(name, status=status)
        store.associate("t", name)

    record = store.get_trial("t")

    assert record["status_counts"] == {"Completed": 2, "Failed": 1}
    assert record["component_count"] == 3


# -- components and links -----------------------------------------------------------------


def test_component_create_get(store: TrackingStore) -> None:
    store.create_component(
        "train",
        display_name="Training",
        status="InProgress",
        start_time=100.0,
        source_arn="local:job/train",
        source_type="local-job",
        job_settings={"pid": 12},
        parameters={"lr": 0.1},
        input_artifacts={"data": {"value": "s3://b/d", "media_type": "text/csv"}},
        output_artifacts={"model": {"value": "file:///m.pt"}},
        tags={"team": "vision"},
    )

    record = store.get_component("train")

    assert record["display_name"] == "Training"
    assert record["status"] == "InProgress"
    assert record["start_time"] == 100.0
    assert record["end_time"] is None
    assert record["source_arn"] == "local:job/train"
    assert record["source_type"] == "local-job"
    assert record["job_settings"] == {"pid": 12}
    assert record["parameters"] == {"lr": 0.1}
    assert record["input_artifacts"] == {"data": {"value": "s3://b/d", "media_type": "text/csv"}}
    assert record["output_artifacts"] == {"model": {"value": "file:///m.pt", "media_type": None}}
    assert record["tags"] == {"team": "vision"}
    assert record["trials"] == []
    assert record["experiments"] == []


def test_component_duplicate(store: TrackingStore) -> None:
    store.create_component("c", parameters={"a": 1})

    with pytest.raises(ConflictError, match="'c' already exists"):
        store.create_component("c", parameters={"a": 2})

    assert store.get_component("c")["parameters"] == {"a": 1}


def test_component_update_merges(store: TrackingStore) -> None:
    store.create_component("c", parameters={"a": 1, "b": 2}, job_settings={"x": 1, "y": 2})

    store.update_component(
        "c",
        status="Completed",
        end_time=200.0,
        parameters={"b": 3, "c": 4},
        parameters_to_remove=["a"],
        job_settings={"y": 5},
    )

    record = store.get_component("c")
    assert record["parameters"] == {"b": 3, "c": 4}
    assert record["job_settings"] == {"x": 1, "y": 5}
    assert record["status"] == "Completed"
    assert record["end_time"] == 200.0


def test_component_update_missing(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="'nope' not found"):
        store.update_component("nope", status="Completed")


def test_component_exists(store: TrackingStore) -> None:
    store.create_component("c")

    assert store.component_exists("c")
    assert not store.component_exists("d")


def test_links_many_to_many(store: TrackingStore) -> None:
    store.create_experiment("e1")
    store.create_experiment("e2")
    store.create_trial("t1", "e1")
    store.create_trial("t2", "e2")
    store.create_component("shared")
    store.create_component("own")
    store.associate("t1", "shared")
    store.associate("t2", "shared")
    store.associate("t1", "own")

    shared = store.get_component("shared")

    assert sorted(shared["trials"]) == ["t1", "t2"]
    assert sorted(shared["experiments"]) == ["e1", "e2"]
    assert sorted(names_of(store.search_components(trial_names=["t1"]))) == ["own", "shared"]
    assert names_of(store.search_components(experiment_names=["e2"])) == ["shared"]
    assert names_of(store.list_trials(component_name="shared")) == ["t2", "t1"]


def test_associate_twice(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("c")

    store.associate("t", "c")
    store.associate("t", "c")

    assert store.get_trial("t")["component_count"] == 1


def test_associate_missing_component(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")

    with pytest.raises(NotFoundError, match="'nope' not found"):
        store.associate("t", "nope")


def test_disassociate_keeps_component(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("c")
    store.associate("t", "c")

    store.disassociate("t", "c")

    assert store.get_component("c")["trials"] == []
    assert store.get_trial("t")["component_count"] == 0


def test_unassigned_components(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("in-trial")
    store.create_component("alone")
    store.associate("t", "in-trial")

    unassigned = names_of(store.search_components(unassigned=True))

    assert unassigned == ["alone"]


def test_unassigned_union_with_trial(store: TrackingStore) -> None:
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("in-trial")
    store.create_component("alone")
    store.create_component("elsewhere")
    store.create_trial("t2", "e")
    store.associate("t", "in-trial")
    store.associate("t2", "elsewhere")

    found = names_of(store.search_components(trial_names=["t"], unassigned=True))

    assert sorted(found) == ["alone", "in-trial"]


def test_count_experiments_by_display_name(store: TrackingStore) -> None:
    store.create_experiment("e1", display_name="MNIST sweep")
    store.create_experiment("mnist-2")
    store.create_experiment("cifar")

    assert store.count_experiments(name_contains="mnist") == 2
    assert store.count_experiments() == 3


def test_count_components(store: TrackingStore) -> None:
    for name in ("a", "b", "c"):
        store.create_component(name)

    assert store.count_components() == 3
    assert store.count_components(names=["a", "b"]) == 2


# -- deletes ------------------------------------------------------------------------------


@pytest.fixture
def two_experiments(store: TrackingStore) -> TrackingStore:
    """Experiment e1 (trials t1, t2) and e2 (trial t3); 'shared' is in t1 and t3."""
    store.create_experiment("e1")
    store.create_experiment("e2")
    store.create_trial("t1", "e1")
    store.create_trial("t2", "e1")
    store.create_trial("t3", "e2")
    store.create_component("only-e1", parameters={"a": 1})
    store.log_metrics("only-e1", points("loss", [1.0, 0.5]))
    store.create_component("within-e1")
    store.create_component("shared", parameters={"b": 2})
    store.log_metrics("shared", points("loss", [3.0]))
    store.create_component("unassigned")
    store.associate("t1", "only-e1")
    store.associate("t1", "within-e1")
    store.associate("t2", "within-e1")
    store.associate("t1", "shared")
    store.associate("t3", "shared")
    return store


def test_experiment_delete_refused(two_experiments: TrackingStore) -> None:
    store = two_experiments

    with pytest.raises(ConflictError, match=r"'e1' still has 2 trial\(s\)"):
        store.delete_experiment("e1")

    assert store.get_experiment("e1")["trial_count"] == 2
    assert store.get_component("only-e1")["trials"] == ["t1"]


def test_experiment_delete_refused_hint(two_experiments: TrackingStore) -> None:
    with pytest.raises(ConflictError, match=r"delete_all\(action='--force'\)"):
        two_experiments.delete_experiment("e1")


def test_experiment_delete_empty(store: TrackingStore) -> None:
    store.create_experiment("e", tags={"a": "b"})

    store.delete_experiment("e")

    assert store.list_experiments() == []


def test_experiment_force_delete(two_experiments: TrackingStore) -> None:
    store = two_experiments

    result = store.delete_experiment("e1", force=True)

    assert sorted(result["trials"]) == ["t1", "t2"]
    assert sorted(result["trial_components"]) == ["only-e1", "within-e1"]
    assert result["kept_trial_components"] == ["shared"]
    assert names_of(store.list_experiments()) == ["e2"]
    assert names_of(store.list_trials()) == ["t3"]
    assert not store.component_exists("only-e1")
    assert not store.component_exists("within-e1")


def test_experiment_delete_dry_run(two_experiments: TrackingStore) -> None:
    store = two_experiments
    latest_change = store.latest_change_id()

    result = store.delete_experiment("e1", force=True, dry_run=True)

    assert sorted(result["trial_components"]) == ["only-e1", "within-e1"]
    assert result["kept_trial_components"] == ["shared"]
    assert sorted(names_of(store.list_experiments())) == ["e1", "e2"]
    assert store.component_exists("only-e1")
    assert store.latest_change_id() == latest_change


def test_trial_delete_dry_run(two_experiments: TrackingStore) -> None:
    store = two_experiments

    result = store.delete_trial("t1", delete_components=True, dry_run=True)

    assert result["trial_components"] == ["only-e1"]
    assert sorted(result["kept_trial_components"]) == ["shared", "within-e1"]
    assert store.get_trial("t1")["component_count"] == 3


def test_experiment_force_keeps_shared(two_experiments: TrackingStore) -> None:
    store = two_experiments

    store.delete_experiment("e1", force=True)

    shared = store.get_component("shared")
    assert shared["trials"] == ["t3"]
    assert shared["experiments"] == ["e2"]
    assert shared["parameters"] == {"b": 2}
    assert shared["metrics"]["loss"]["count"] == 1
    assert store.get_metric_series("shared", "loss")[0]["value"] == 3.0


def test_experiment_force_keeps_unassigned(two_experiments: TrackingStore) -> None:
    two_experiments.delete_experiment("e1", force=True)

    assert two_experiments.component_exists("unassigned")


def test_experiment_force_removes_points(two_experiments: TrackingStore) -> None:
    store = two_experiments
    store.delete_experiment("e1", force=True)

    # A new component with the same name must not inherit the old points or summaries.
    store.create_component("only-e1")

    assert store.get_component("only-e1")["metrics"] == {}
    assert store.get_component("only-e1")["parameters"] == {}
    assert store.get_metric_series("only-e1", "loss") == []


def test_trial_delete_keeps_components(two_experiments: TrackingStore) -> None:
    store = two_experiments

    result = store.delete_trial("t1")

    assert result["trial_components"] == []
    assert store.component_exists("only-e1")
    assert store.get_component("only-e1")["trials"] == []
    assert store.get_component("within-e1")["trials"] == ["t2"]
    assert store.get_experiment("e1")["trial_count"] == 1


def test_trial_delete_with_components(two_experiments: TrackingStore) -> None:
    store = two_experiments

    result = store.delete_trial("t1", delete_components=True)

    assert result["trial_components"] == ["only-e1"]
    assert sorted(result["kept_trial_components"]) == ["shared", "within-e1"]
    assert not store.component_exists("only-e1")
    assert store.component_exists("within-e1")


def test_component_delete_refused(two_experiments: TrackingStore) -> None:
    store = two_experiments

    with pytest.raises(ConflictError, match="belongs to trial"):
        store.delete_component("shared")

    assert sorted(store.get_component("shared")["trials"]) == ["t1", "t3"]


def test_component_delete_forced(two_experiments: TrackingStore) -> None:
    store = two_experiments

    store.delete_component("shared", force_disassociate=True)

    assert not store.component_exists("shared")
    assert store.get_trial("t1")["component_count"] == 2
    assert store.get_trial("t3")["component_count"] == 0


def test_component_delete_unassigned(two_experiments: TrackingStore) -> None:
    two_experiments.delete_component("unassigned")

    assert not two_experiments.component_exists("unassigned")


def test_delete_missing(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError):
        store.delete_experiment("nope")
    with pytest.raises(NotFoundError):
        store.delete_trial("nope")
    with pytest.raises(NotFoundError):
        store.delete_component("nope")


# -- parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (0, int),
        (-7, int),
        (2**53 + 1, int),
        (2**63 - 1, int),
        (-(2**70) - 3, int),
        (0.1, float),
        (-1e-300, float),
        (1.0, float),
        (math.inf, float),
        (-math.inf, float),
        (True, bool),
        (False, bool),
        ("text", str),
        ("", str),
        ("1", str),
        ("True", str),
        ("nan", str),
    ],
)
def test_parameter_round_trip(store: TrackingStore, value: object, kind: type) -> None:
    store.create_component("c", parameters={"p": value})

    stored = store.get_component("c")["parameters"]["p"]

    assert type(stored) is kind
    assert stored == value


def test_parameter_nan(store: TrackingStore) -> None:
    store.create_component("c", parameters={"p": math.nan})

    stored = store.get_component("c")["parameters"]["p"]

    assert type(stored) is float
    assert math.isnan(stored)


def test_parameter_numpy_scalar(store: TrackingStore) -> None:
    store.create_component("c", parameters={"f": np.float32(0.5), "i": np.int64(3)})

    stored = store.get_component("c")["parameters"]

    assert stored == {"f": 0.5, "i": 3}
    assert type(stored["i"]) is int


@pytest.mark.parametrize("key", UNUSUAL_KEYS)
def test_parameter_name_round_trip(store: TrackingStore, key: str) -> None:
    store.create_component("c", parameters={key: 1})

    assert list(store.get_component("c")["parameters"]) == [key]


def test_300_parameters(store: TrackingStore) -> None:
    values = {f"param_{i:03d}": i * 0.5 for i in range(300)}

    store.create_component("c", parameters=values)

    assert store.get_component("c")["parameters"] == values


def test_long_parameter_value(store: TrackingStore) -> None:
    value = "x" * 5_999 + "é"

    store.create_component("c", parameters={"p": value})

    assert store.get_component("c")["parameters"]["p"] == value


# -- metrics ------------------------------------------------------------------------------


def test_summary_matches_numpy(store: TrackingStore) -> None:
    values = np.random.default_rng(7).normal(loc=3.0, scale=2.0, size=1_000)
    store.create_component("c")
    for start in range(0, 1_000, 137):
        store.log_metrics("c", points("loss", list(values[start : start + 137]), start))

    summary = store.get_component("c")["metrics"]["loss"]

    assert summary["count"] == 1_000
    assert summary["nan_count"] == 0
    assert summary["min"] == values.min()
    assert summary["max"] == values.max()
    assert summary["avg"] == pytest.approx(values.mean(), rel=1e-12)
    assert summary["std_dev"] == pytest.approx(values.std(ddof=1), rel=1e-12)
    assert summary["first"] == values[0]
    assert summary["last"] == values[-1]


def test_summary_large_offset(store: TrackingStore) -> None:
    # A running sum of squares loses all precision here; Welford's algorithm keeps it.
    values = 1e9 + np.random.default_rng(3).normal(scale=1e-3, size=300)
    store.create_component("c")
    for start in range(0, 300, 50):
        store.log_metrics("c", points("m", list(values[start : start + 50]), start))

    summary = store.get_component("c")["metrics"]["m"]

    assert summary["std_dev"] == pytest.approx(values.std(ddof=1), rel=1e-4)


def test_summary_single_point(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", points("m", [4.0]))

    summary = store.get_component("c")["metrics"]["m"]

    assert summary["count"] == 1
    assert summary["avg"] == 4.0
    assert math.isnan(summary["std_dev"])


def test_nan_points_skipped(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", points("m", [1.0, math.nan, 3.0]))
    store.log_metrics("c", points("m", [math.nan], 3))

    summary = store.get_component("c")["metrics"]["m"]

    assert summary["count"] == 2
    assert summary["nan_count"] == 2
    assert summary["avg"] == 2.0
    assert summary["min"] == 1.0
    assert summary["max"] == 3.0
    assert summary["std_dev"] == pytest.approx(math.sqrt(2.0))


def test_nan_points_in_series(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", points("m", [1.0, math.nan, 3.0]))

    series = [point["value"] for point in store.get_metric_series("c", "m")]

    assert series[0] == 1.0
    assert math.isnan(series[1])
    assert series[2] == 3.0


def test_only_nan_points(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", points("m", [math.nan, math.nan]))

    summary = store.get_component("c")["metrics"]["m"]

    assert summary["count"] == 0
    assert summary["nan_count"] == 2
    for field in ("min", "max", "avg", "std_dev", "first", "last"):
        assert math.isnan(summary[field]), field


def test_infinity_points_stored(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", points("m", [math.inf, -math.inf, 1.0]))

    series = [point["value"] for point in store.get_metric_series("c", "m")]

    assert series == [math.inf, -math.inf, 1.0]


def test_infinity_summary(store: TrackingStore) -> None:
    values = [1.0, math.inf, 2.0]
    store.create_component("c")
    store.log_metrics("c", points("m", values))

    summary = store.get_component("c")["metrics"]["m"]

    assert summary["count"] == 3
    assert summary["min"] == 1.0
    assert summary["max"] == math.inf
    assert summary["avg"] == np.mean(values)
    assert summary["last"] == 2.0


def test_infinity_summary_batches(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", points("m", [1.0, math.inf]))
    store.log_metrics("c", points("m", [2.0], 2))
    store.log_metrics("c", points("m", [5.0], 3))

    summary = store.get_component("c")["metrics"]["m"]

    assert summary["count"] == 4
    assert summary["avg"] == math.inf
    assert summary["max"] == math.inf
    assert summary["min"] == 1.0


def test_both_infinities_avg_nan(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", points("m", [math.inf]))
    store.log_metrics("c", points("m", [-math.inf], 1))
    store.log_metrics("c", points("m", [0.0], 2))

    summary = store.get_component("c")["metrics"]["m"]

    assert summary["count"] == 3
    assert math.isnan(summary["avg"])
    assert math.isnan(summary["std_dev"])


def test_duplicate_steps(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", [("m", 1.0, 5, 1.0), ("m", 2.0, 5, 2.0)])
    store.log_metrics("c", [("m", 3.0, 5, 3.0)])

    series = store.get_metric_series("c", "m")
    summary = store.get_component("c")["metrics"]["m"]

    assert [point["value"] for point in series] == [1.0, 2.0, 3.0]
    assert summary["count"] == 3
    assert summary["first"] == 1.0
    assert summary["last"] == 3.0


def test_out_of_order_steps(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", [("m", 30.0, 3, 1.0), ("m", 10.0, 1, 1.0)])
    store.log_metrics("c", [("m", 20.0, 2, 1.0), ("m", 0.0, 0, 1.0)])

    series = store.get_metric_series("c", "m")

    assert [point["step"] for point in series] == [0, 1, 2, 3]
    assert [point["value"] for point in series] == [0.0, 10.0, 20.0, 30.0]


def test_last_is_highest_step(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", [("m", 9.0, 9, 1.0)])
    store.log_metrics("c", [("m", 1.0, 1, 2.0), ("m", 0.0, 0, 3.0)])

    summary = store.get_component("c")["metrics"]["m"]

    assert summary["last"] == 9.0
    assert summary["last_step"] == 9
    assert summary["first"] == 0.0


def test_series_fields(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", [("m", 0.5, 7, 1234.5)])

    assert store.get_metric_series("c", "m") == [{"step": 7, "timestamp": 1234.5, "value": 0.5}]


def test_series_missing_metric(store: TrackingStore) -> None:
    store.create_component("c")

    assert store.get_metric_series("c", "m") == []


def test_series_missing_component(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="'nope' not found"):
        store.get_metric_series("nope", "m")


def test_metrics_missing_component(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="'nope' not found"):
        store.log_metrics("nope", points("m", [1.0]))


@pytest.mark.parametrize("key", UNUSUAL_KEYS)
def test_metric_name_round_trip(store: TrackingStore, key: str) -> None:
    store.create_component("c")
    store.log_metrics("c", points(key, [1.0]))

    assert store.list_metric_names("c") == [key]
    assert list(store.get_component("c")["metrics"]) == [key]
    assert len(store.get_metric_series("c", key)) == 1


def test_metrics_separate_per_name(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", points("a", [1.0, 2.0]) + points("b", [10.0]))

    metrics = store.get_component("c")["metrics"]

    assert metrics["a"]["count"] == 2
    assert metrics["b"]["count"] == 1
    assert store.list_metric_names("c") == ["a", "b"]


def test_downsample_limits_points(store: TrackingStore) -> None:
    values = list(np.random.default_rng(1).normal(size=5_000))
    store.create_component("c")
    store.log_metrics("c", points("m", values))

    series = store.get_metric_series("c", "m", max_points=300)

    assert len(series) <= 300
    assert len(series) >= 100


def test_downsample_keeps_extremes(store: TrackingStore) -> None:
    values = list(np.random.default_rng(2).normal(size=5_000))
    values[1_234] = 50.0
    values[4_321] = -50.0
    store.create_component("c")
    store.log_metrics("c", points("m", values))

    series = store.get_metric_series("c", "m", max_points=100)
    kept = [point["value"] for point in series]

    assert max(kept) == 50.0
    assert min(kept) == -50.0


def test_downsample_ordered(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", points("m", [float(i % 17) for i in range(1_000)]))

    steps = [point["step"] for point in store.get_metric_series("c", "m", max_points=50)]

    assert steps == sorted(steps)
    assert steps[0] == 0


@pytest.mark.parametrize("size", [1_000, 1_001, 4_999])
def test_downsample_keeps_last(store: TrackingStore, size: int) -> None:
    store.create_component("c")
    store.log_metrics("c", points("m", [float(i % 13) for i in range(size)]))

    series = store.get_metric_series("c", "m", max_points=50)

    assert series[-1]["step"] == size - 1
    assert len(series) <= 50


@pytest.mark.parametrize("max_points", [3, 4, 7, 999])
def test_downsample_at_most(store: TrackingStore, max_points: int) -> None:
    store.create_component("c")
    store.log_metrics("c", points("m", [float(i) for i in range(1_000)]))

    series = store.get_metric_series("c", "m", max_points=max_points)

    assert len(series) <= max_points


def test_downsample_short_series(store: TrackingStore) -> None:
    store.create_component("c")
    store.log_metrics("c", points("m", [1.0, 2.0]))

    assert len(store.get_metric_series("c", "m", max_points=10)) == 2


def test_downsample_too_small(store: TrackingStore) -> None:
    store.create_component("c")

    with pytest.raises(ValidationError, match="max_points 2"):
        store.get_metric_series("c", "m", max_points=2)


# -- change events and jobs ---------------------------------------------------------------


def test_change_events(store: TrackingStore) -> None:
    start = store.latest_change_id()
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("c")
    store.associate("t", "c")
    store.log_metrics("c", points("m", [1.0]))

    events = [
        (event["resource_type"], event["resource_name"], event["action"])
        for event in store.changes_since(start)
    ]

    assert events == [
        ("experiment", "e", "created"),
        ("trial", "t", "created"),
        ("component", "c", "created"),
        ("component", "c", "associated"),
        ("component", "c", "metrics"),
    ]


def test_changes_since_latest(store: TrackingStore) -> None:
    store.create_experiment("e")
    latest = store.latest_change_id()

    store.create_component("c")

    assert [event["resource_name"] for event in store.changes_since(latest)] == ["c"]


def test_prune_changes(store: TrackingStore) -> None:
    store.create_experiment("e")

    assert store.prune_changes(older_than_s=3600) == 0
    assert store.prune_changes(older_than_s=-1) == 1
    assert store.changes_since(0) == []


def test_running_components(store: TrackingStore) -> None:
    store.create_component("a", status="InProgress", source_type="local-job")
    store.create_component("b", status="Stopping", source_type="local-job")
    store.create_component("c", status="Completed", source_type="local-job")
    store.create_component("d", status="InProgress", source_type="other")
    store.update_component("a", job_settings={"pid": 1})

    running = {item["name"]: item for item in store.running_components("local-job")}

    assert sorted(running) == ["a", "b"]
    assert running["a"]["job_settings"] == {"pid": 1}
    assert running["b"]["status"] == "Stopping"
