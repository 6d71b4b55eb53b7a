"""Tests of rejected input: each rule raises ValidationError naming the value, and nothing
changes in the store."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

from jupyter_experiments import Experiment, Tracker, Trial, TrialComponent
from jupyter_experiments.errors import ValidationError
from jupyter_experiments.limits import MAX_PARAMETER_VALUE_LENGTH, MAX_PARAMETERS_PER_COMPONENT
from jupyter_experiments.store import TrackingStore
from jupyter_experiments.validation import check_key, check_name

BAD_NAMES: list[tuple[Any, str]] = [
    ("", "empty"),
    ("a" * 121, "121 characters"),
    ("-leading", "start with an ASCII letter or digit"),
    ("_leading", "start with an ASCII letter or digit"),
    ("a/b", "only ASCII letters and digits"),
    ("with space", "only ASCII letters and digits"),
    ("é-accent", "start with an ASCII letter or digit"),
    ("ok\n", "only ASCII letters and digits"),
    ("expérience", "only ASCII letters and digits"),
    (42, "expected a string"),
    (None, "expected a string"),
]

# In the SDK, None means "generate a name".
BAD_SDK_NAMES = [(value, rule) for value, rule in BAD_NAMES if value is not None]

GOOD_NAMES = ["a", "A", "0", "a" * 120, "mnist-2024_v1.2", "9lives"]

CONTROL_KEYS = ["a\nb", "tab\there", "nul\x00", "del\x7f", "c1\x85", "\r"]


def named(value: object) -> str:
    # Long values are shortened in messages, so the first 50 characters of the repr must appear.
    return re.escape(repr(value)[:50])


def snapshot(store: TrackingStore) -> dict[str, Any]:
    """Everything a rejected call could have changed, with times dropped."""

    def strip(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k not in ("modified_at", "id")}

    components = store.search_components()
    return {
        "experiments": [strip(record) for record in store.list_experiments()],
        "trials": [strip(record) for record in store.list_trials()],
        "components": [strip(record) for record in components],
        "series": {
            record["name"]: {
                metric: store.get_metric_series(record["name"], metric)
                for metric in store.list_metric_names(record["name"])
            }
            for record in components
        },
    }


@pytest.fixture
def recorded(store: TrackingStore) -> TrackingStore:
    """A store with one of everything, to check that rejected calls leave it intact."""
    store.create_experiment("mnist", description="digits", tags={"a": "1"})
    store.create_trial("trial-1", "mnist")
    store.create_component(
        "train",
        status="InProgress",
        parameters={"lr": 0.1, "name": "adam"},
        output_artifacts={"model": {"value": "file:///m.pt"}},
        tags={"team": "vision"},
    )
    store.log_metrics("train", [("loss", 0.5, 0, 1.0), ("loss", 0.25, 1, 2.0)])
    store.associate("trial-1", "train")
    return store


def test_error_is_value_error() -> None:
    assert issubclass(ValidationError, ValueError)


# -- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "rule"), BAD_NAMES)
def test_check_name_rejects(value: Any, rule: str) -> None:
    with pytest.raises(ValidationError, match=named(value)) as caught:
        check_name(value, "experiment name")

    assert rule in str(caught.value)


@pytest.mark.parametrize("value", GOOD_NAMES)
def test_check_name_accepts(value: str) -> None:
    assert check_name(value) == value


@pytest.mark.parametrize(("value", "rule"), BAD_SDK_NAMES)
def test_experiment_name_rejected(recorded: TrackingStore, value: Any, rule: str) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=named(value)):
        Experiment.create(experiment_name=value)

    assert snapshot(recorded) == before


@pytest.mark.parametrize(("value", "rule"), BAD_SDK_NAMES)
def test_trial_name_rejected(recorded: TrackingStore, value: Any, rule: str) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=named(value)):
        Trial.create(experiment_name="mnist", trial_name=value)

    assert snapshot(recorded) == before


@pytest.mark.parametrize(("value", "rule"), BAD_SDK_NAMES)
def test_component_name_rejected(recorded: TrackingStore, value: Any, rule: str) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=named(value)):
        TrialComponent.create(trial_component_name=value)

    assert snapshot(recorded) == before


@pytest.mark.parametrize(("value", "rule"), BAD_NAMES)
def test_store_names_rejected(recorded: TrackingStore, value: Any, rule: str) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=named(value)):
        recorded.create_experiment(value)
    with pytest.raises(ValidationError, match=named(value)):
        recorded.create_trial(value, "mnist")
    with pytest.raises(ValidationError, match=named(value)):
        recorded.create_component(value)
    with pytest.raises(ValidationError, match=named(value)):
        recorded.create_trial("trial-2", value)

    assert snapshot(recorded) == before


def test_name_limit_accepted(store: TrackingStore) -> None:
    name = "n" * 120

    Experiment.create(name)
    TrialComponent.create(name)

    assert Experiment.load(name).experiment_name == name
    assert TrialComponent.load(name).trial_component_name == name


def test_generated_prefix_long(store: TrackingStore) -> None:
    component = TrialComponent.create(trial_component_name=None)
    tracker = Tracker.create(base_trial_component_name="p" * 200)

    assert len(tracker.trial_component.trial_component_name) <= 120
    assert component.trial_component_name.startswith("TrialComponent-")
    tracker.close()


# -- keys: metric, parameter, tag and artifact names --------------------------------------


@pytest.mark.parametrize("key", CONTROL_KEYS)
def test_check_key_control(key: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        check_key(key, "metric name")


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_check_key_length(key: str) -> None:
    with pytest.raises(ValidationError, match="1-255 characters"):
        check_key(key, "metric name")


@pytest.mark.parametrize("key", CONTROL_KEYS)
def test_metric_name_rejected(recorded: TrackingStore, key: str) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=named(key)):
        recorded.log_metrics("train", [("loss", 1.0, 2, 3.0), (key, 1.0, 0, 3.0)])

    assert snapshot(recorded) == before


@pytest.mark.parametrize("key", CONTROL_KEYS)
def test_tracker_metric_name_rejected(recorded: TrackingStore, key: str) -> None:
    tracker = Tracker.load("train")
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=named(key)):
        tracker.log_metric(key, 1.0)
    tracker.close()

    assert snapshot(recorded) == before


@pytest.mark.parametrize("key", CONTROL_KEYS)
def test_parameter_name_rejected(recorded: TrackingStore, key: str) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=named(key)):
        recorded.update_component("train", parameters={"ok": 1, key: 2})

    assert snapshot(recorded) == before


def test_tag_name_rejected(recorded: TrackingStore) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=named("a\nb")):
        recorded.update_experiment("mnist", description="new", tags={"a\nb": "x"})

    assert snapshot(recorded) == before


# -- values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [[1, 2], {"a": 1}, None, b"bytes", (1,), {1, 2}, object()],
    ids=["list", "dict", "none", "bytes", "tuple", "set", "object"],
)
def test_parameter_value_rejected(recorded: TrackingStore, value: Any) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match="parameter 'bad'") as caught:
        recorded.update_component("train", status="Completed", parameters={"lr": 1, "bad": value})

    assert type(value).__name__ in str(caught.value)
    assert snapshot(recorded) == before


def test_parameter_array_rejected(recorded: TrackingStore) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match="not ndarray"):
        recorded.update_component("train", parameters={"shape": np.array([28, 28])})

    assert snapshot(recorded) == before


def test_metric_array_rejected(recorded: TrackingStore) -> None:
    before = snapshot(recorded)
    points: list[Any] = [("loss", np.array([0.1, 0.2]), 5, 1.0)]

    with pytest.raises(ValidationError, match="not ndarray"):
        recorded.log_metrics("train", points)

    assert snapshot(recorded) == before


def test_numpy_scalars_accepted(recorded: TrackingStore) -> None:
    recorded.update_component("train", parameters={"seed": np.int64(7)})
    recorded.log_metrics("train", [("loss", np.float32(0.125), 2, 3.0)])

    component = recorded.get_component("train")
    assert component["parameters"]["seed"] == 7
    assert component["metrics"]["loss"]["last"] == 0.125


def test_tracker_parameter_rejected(recorded: TrackingStore) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=r"\[1, 2\]"):
        Tracker.load("train").log_parameters({"lr": 2.0, "layers": [1, 2]})

    assert snapshot(recorded) == before


def test_parameter_too_long(recorded: TrackingStore) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=str(MAX_PARAMETER_VALUE_LENGTH + 1)):
        recorded.update_component("train", parameters={"p": "x" * (MAX_PARAMETER_VALUE_LENGTH + 1)})

    assert snapshot(recorded) == before


def test_too_many_parameters(recorded: TrackingStore) -> None:
    before = snapshot(recorded)
    values = {f"p{i}": i for i in range(MAX_PARAMETERS_PER_COMPONENT)}

    with pytest.raises(ValidationError, match="Too many parameters"):
        recorded.update_component("train", parameters=values)

    assert snapshot(recorded) == before


@pytest.mark.parametrize(
    "value", ["0.5", None, [1.0], True], ids=["string", "none", "list", "bool"]
)
def test_metric_value_rejected(recorded: TrackingStore, value: Any) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=named(value)):
        recorded.log_metrics("train", [("loss", 1.0, 2, 3.0), ("loss", value, 3, 3.0)])

    assert snapshot(recorded) == before


@pytest.mark.parametrize("step", [1.5, "3", None, True], ids=["float", "string", "none", "bool"])
def test_metric_step_rejected(recorded: TrackingStore, step: Any) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=named(step)):
        recorded.log_metrics("train", [("loss", 1.0, 2, 3.0), ("loss", 1.0, step, 3.0)])

    assert snapshot(recorded) == before


@pytest.mark.parametrize("status", ["Done", "completed", "", "none", 3])
def test_status_rejected(recorded: TrackingStore, status: Any) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=f"Invalid status {named(status)}"):
        recorded.create_component("new", status=status)
    with pytest.raises(ValidationError, match=f"Invalid status {named(status)}"):
        recorded.update_component("train", status=status, parameters={"lr": 1})

    assert snapshot(recorded) == before


def test_status_rejected_on_save(recorded: TrackingStore) -> None:
    component = TrialComponent.load("train")
    component.status = "Finished"
    component.parameters["lr"] = 0.5
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match="'Finished'"):
        component.save()

    assert snapshot(recorded) == before


def test_description_too_long(recorded: TrackingStore) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match="10001 characters"):
        recorded.update_experiment("mnist", description="d" * 10_001, tags={"b": "2"})

    assert snapshot(recorded) == before


@pytest.mark.parametrize(
    ("artifact", "message"),
    [
        ({"value": 3}, "'value'"),
        ({"media_type": "text/csv"}, "'value'"),
        (5, "'value'"),
        ({"value": "x", "media_type": "a\nb"}, "control characters"),
    ],
)
def test_artifact_rejected(recorded: TrackingStore, artifact: Any, message: str) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match=re.escape(message)):
        recorded.update_component("train", output_artifacts={"model": artifact})

    assert snapshot(recorded) == before


@pytest.mark.parametrize(
    "tags",
    [["a"], "a=b", [{"Value": "x"}], {"k": "v" * 4_097}],
    ids=["list", "string", "no-key", "long-value"],
)
def test_tags_rejected(recorded: TrackingStore, tags: Any) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError):
        recorded.update_trial("trial-1", display_name="New", tags=tags)

    assert snapshot(recorded) == before


def test_job_settings_rejected(recorded: TrackingStore) -> None:
    before = snapshot(recorded)

    with pytest.raises(ValidationError, match="job settings"):
        recorded.update_component("train", job_settings={"x": math.nan})

    assert snapshot(recorded) == before


@pytest.mark.parametrize(
    "created_after", ["yesterday", math.nan, True], ids=["string", "nan", "bool"]
)
def test_time_argument_rejected(store: TrackingStore, created_after: Any) -> None:
    with pytest.raises(ValidationError, match="created_after"):
        Experiment.list(created_after=created_after)
