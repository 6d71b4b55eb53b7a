"""Tests of the SDK classes Experiment, Trial and TrialComponent, and of the shared stores."""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from jupyter_experiments import (
    ConflictError,
    Experiment,
    NotFoundError,
    Tracker,
    Trial,
    TrialComponent,
    ValidationError,
)
from jupyter_experiments.sdk import _store
from jupyter_experiments.sdk._store import get_store
from jupyter_experiments.sdk.trial_component import TrialComponentArtifact
from jupyter_experiments.store import TrackingStore

GENERATED_NAME = r"{prefix}-\d{{8}}T\d{{6}}-[a-z]{{4}}"


def experiment_names(experiments: object) -> list[str]:
    return [experiment.experiment_name for experiment in experiments]  # type: ignore[attr-defined]


def trial_names(trials: object) -> list[str]:
    return [trial.trial_name for trial in trials]  # type: ignore[attr-defined]


def component_names(components: object) -> list[str]:
    return [component.trial_component_name for component in components]  # type: ignore[attr-defined]


# -- Experiment ---------------------------------------------------------------------------


def test_experiment_create(store: TrackingStore) -> None:
    experiment = Experiment.create(
        experiment_name="mnist", description="digits", display_name="MNIST", tags={"a": "1"}
    )

    assert experiment.experiment_name == "mnist"
    assert experiment.description == "digits"
    assert experiment.display_name == "MNIST"
    assert experiment.tags == {"a": "1"}
    assert experiment.creation_time is not None
    assert experiment.creation_time.tzinfo is timezone.utc
    assert store.get_experiment("mnist")["description"] == "digits"


def test_experiment_sagemaker_tags(store: TrackingStore) -> None:
    experiment = Experiment.create("mnist", tags=[{"Key": "team", "Value": "vision"}])

    assert experiment.tags == {"team": "vision"}


def test_experiment_generated_name(store: TrackingStore) -> None:
    experiment = Experiment.create()

    assert re.fullmatch(GENERATED_NAME.format(prefix="Experiment"), experiment.experiment_name)


def test_experiment_load(store: TrackingStore) -> None:
    Experiment.create("mnist", description="digits")

    loaded = Experiment.load("mnist")

    assert loaded.description == "digits"
    assert loaded == Experiment.load("mnist")


def test_experiment_load_missing(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="'nope'"):
        Experiment.load("nope")


def test_experiment_save(store: TrackingStore) -> None:
    experiment = Experiment.create("mnist")
    experiment.description = "changed"
    experiment.display_name = "New name"
    experiment.tags["k"] = "v"

    experiment.save()

    loaded = Experiment.load("mnist")
    assert loaded.description == "changed"
    assert loaded.display_name == "New name"
    assert loaded.tags == {"k": "v"}


def test_experiment_list_sorted(store: TrackingStore) -> None:
    for name in ("b", "c", "a"):
        Experiment.create(name)

    assert experiment_names(Experiment.list()) == ["a", "c", "b"]
    assert experiment_names(Experiment.list(sort_by="Name")) == ["a", "b", "c"]
    assert experiment_names(Experiment.list(sort_by="Name", sort_order="Descending")) == [
        "c",
        "b",
        "a",
    ]
    assert experiment_names(Experiment.list(sort_by="CreationTime", sort_order="Ascending")) == [
        "b",
        "c",
        "a",
    ]


def test_experiment_list_created(store: TrackingStore) -> None:
    Experiment.create("old")
    time.sleep(0.01)
    middle = datetime.now(timezone.utc)
    time.sleep(0.01)
    Experiment.create("new")

    assert experiment_names(Experiment.list(created_before=middle)) == ["old"]
    assert experiment_names(Experiment.list(created_after=middle)) == ["new"]
    assert experiment_names(Experiment.list(created_after=middle.timestamp())) == ["new"]
    assert experiment_names(Experiment.list(created_after=middle + timedelta(hours=1))) == []


def test_experiment_list_naive_utc(store: TrackingStore) -> None:
    Experiment.create("only")
    naive_future = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(minutes=5)

    assert experiment_names(Experiment.list(created_before=naive_future)) == ["only"]


def test_experiment_search(store: TrackingStore) -> None:
    Experiment.create("mnist")
    Experiment.create("cifar")

    expression = {"Filters": [{"Name": "ExperimentName", "Operator": "Equals", "Value": "cifar"}]}

    assert experiment_names(Experiment.search(search_expression=expression)) == ["cifar"]


def test_experiment_create_trial(store: TrackingStore) -> None:
    experiment = Experiment.create("mnist")

    named = experiment.create_trial("run-1")
    generated = experiment.create_trial(trial_name_prefix="sweep")

    assert named.trial_name == "run-1"
    assert named.experiment_name == "mnist"
    assert re.fullmatch(GENERATED_NAME.format(prefix="sweep"), generated.trial_name)
    assert sorted(trial_names(experiment.list_trials())) == sorted(["run-1", generated.trial_name])


def test_experiment_delete(store: TrackingStore) -> None:
    experiment = Experiment.create("mnist")

    experiment.delete()

    assert experiment_names(Experiment.list()) == []


def test_experiment_delete_with_trials(store: TrackingStore) -> None:
    experiment = Experiment.create("mnist")
    experiment.create_trial("run-1")

    with pytest.raises(ConflictError, match="'mnist' still has 1 trial"):
        experiment.delete()

    assert trial_names(experiment.list_trials()) == ["run-1"]


def test_experiment_delete_all(store: TrackingStore) -> None:
    experiment = Experiment.create("mnist")
    other = Experiment.create("cifar")
    trial = experiment.create_trial("run-1")
    other_trial = other.create_trial("run-2")
    own = TrialComponent.create("own")
    shared = TrialComponent.create("shared")
    trial.add_trial_component(own)
    trial.add_trial_component(shared)
    other_trial.add_trial_component(shared)

    result = experiment.delete_all(action="--force")

    assert result["trial_components"] == ["own"]
    assert result["kept_trial_components"] == ["shared"]
    assert experiment_names(Experiment.list()) == ["cifar"]
    assert component_names(TrialComponent.list()) == ["shared"]
    assert TrialComponent.load("shared").trials == ["run-2"]


def test_experiment_delete_all_needs_force(store: TrackingStore) -> None:
    experiment = Experiment.create("mnist")
    experiment.create_trial("run-1")

    with pytest.raises(ValidationError, match="'force'"):
        experiment.delete_all(action="force")

    assert trial_names(experiment.list_trials()) == ["run-1"]


# -- Trial --------------------------------------------------------------------------------


def test_trial_create_with_components(store: TrackingStore) -> None:
    Experiment.create("mnist")
    by_object = TrialComponent.create("by-object")
    TrialComponent.create("by-name")
    tracker = Tracker.create(base_trial_component_name="by-tracker")

    trial = Trial.create(
        experiment_name="mnist",
        trial_name="run-1",
        trial_components=[by_object, "by-name", tracker],
    )

    listed = component_names(trial.list_trial_components())
    assert sorted(listed) == sorted(
        ["by-object", "by-name", tracker.trial_component.trial_component_name]
    )
    assert Trial.load("run-1").component_count == 3


def test_trial_create_missing_component(store: TrackingStore) -> None:
    Experiment.create("mnist")

    with pytest.raises(NotFoundError, match="'nope'"):
        Trial.create(experiment_name="mnist", trial_name="run-1", trial_components=["nope"])

    # The rejected call must not leave a half-made trial behind.
    assert trial_names(Trial.list()) == []


def test_trial_create_invalid_component(store: TrackingStore) -> None:
    Experiment.create("mnist")

    with pytest.raises(ValidationError, match="42"):
        Trial.create(experiment_name="mnist", trial_name="run-1", trial_components=[42])

    assert trial_names(Trial.list()) == []


def test_trial_generated_name(store: TrackingStore) -> None:
    Experiment.create("mnist")

    trial = Trial.create(experiment_name="mnist")

    assert re.fullmatch(GENERATED_NAME.format(prefix="Trial"), trial.trial_name)


def test_trial_missing_experiment(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="'nope'"):
        Trial.create(experiment_name="nope", trial_name="run-1")


def test_trial_add_remove(store: TrackingStore) -> None:
    Experiment.create("mnist")
    trial = Trial.create(experiment_name="mnist", trial_name="run-1")
    component = TrialComponent.create("c")
    tracker = Tracker.load("c")

    trial.add_trial_component("c")
    assert component_names(trial.list_trial_components()) == ["c"]

    trial.remove_trial_component(tracker)
    assert component_names(trial.list_trial_components()) == []

    trial.add_trial_component(tracker)
    trial.remove_trial_component(component)
    assert component_names(trial.list_trial_components()) == []
    assert component_names(TrialComponent.list(unassigned=True)) == ["c"]


def test_trial_save(store: TrackingStore) -> None:
    Experiment.create("mnist")
    trial = Trial.create(experiment_name="mnist", trial_name="run-1", tags={"a": "1"})
    trial.display_name = "Run one"
    trial.tags = {"b": "2"}

    trial.save()

    loaded = Trial.load("run-1")
    assert loaded.display_name == "Run one"
    assert loaded.tags == {"b": "2"}


def test_trial_delete_keeps_components(store: TrackingStore) -> None:
    Experiment.create("mnist")
    TrialComponent.create("c")
    trial = Trial.create(experiment_name="mnist", trial_name="run-1", trial_components=["c"])

    trial.delete()

    assert trial_names(Trial.list()) == []
    assert TrialComponent.load("c").trials == []


def test_trial_delete_all(store: TrackingStore) -> None:
    Experiment.create("mnist")
    TrialComponent.create("own")
    TrialComponent.create("shared")
    trial = Trial.create(
        experiment_name="mnist", trial_name="t1", trial_components=["own", "shared"]
    )
    Trial.create(experiment_name="mnist", trial_name="t2", trial_components=["shared"])

    trial.delete_all(action="--force")

    assert component_names(TrialComponent.list()) == ["shared"]


def test_trial_list_filters(store: TrackingStore) -> None:
    Experiment.create("mnist")
    Experiment.create("cifar")
    TrialComponent.create("c")
    Trial.create(experiment_name="mnist", trial_name="m1", trial_components=["c"])
    Trial.create(experiment_name="mnist", trial_name="m2")
    Trial.create(experiment_name="cifar", trial_name="c1")

    assert trial_names(Trial.list(experiment_name="mnist", sort_by="Name")) == ["m1", "m2"]
    assert trial_names(Trial.list(trial_component_name="c")) == ["m1"]


def test_trial_status_counts(store: TrackingStore) -> None:
    Experiment.create("mnist")
    trial = Trial.create(experiment_name="mnist", trial_name="t")
    with Tracker.create() as tracker:
        trial.add_trial_component(tracker)

    assert Trial.load("t").status_counts == {"Completed": 1}


# -- TrialComponent -----------------------------------------------------------------------


def test_component_create_load(store: TrackingStore) -> None:
    created = TrialComponent.create("c", display_name="Training", tags={"a": "b"})

    loaded = TrialComponent.load("c")

    assert loaded == created
    assert loaded.display_name == "Training"
    assert loaded.tags == {"a": "b"}
    assert loaded.status is None
    assert loaded.parameters == {}
    assert loaded.metrics == {}


def test_component_generated_name(store: TrackingStore) -> None:
    component = TrialComponent.create()

    assert re.fullmatch(
        GENERATED_NAME.format(prefix="TrialComponent"), component.trial_component_name
    )


def test_component_save(store: TrackingStore) -> None:
    component = TrialComponent.create("c")
    component.parameters = {"lr": 0.1, "epochs": 3}
    component.status = "Completed"
    component.status_message = "done"
    component.input_artifacts["data"] = TrialComponentArtifact("s3://b/k", "text/csv")
    component.start_time = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

    component.save()

    loaded = TrialComponent.load("c")
    assert loaded.parameters == {"lr": 0.1, "epochs": 3}
    assert loaded.status == "Completed"
    assert loaded.status_message == "done"
    assert loaded.input_artifacts == {"data": TrialComponentArtifact("s3://b/k", "text/csv")}
    assert loaded.start_time == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_component_save_removes_parameter(store: TrackingStore) -> None:
    component = TrialComponent.create("c")
    component.parameters = {"a": 1, "b": 2}
    component.save()

    del component.parameters["a"]
    component.save()

    assert TrialComponent.load("c").parameters == {"b": 2}


def test_component_list(store: TrackingStore) -> None:
    Experiment.create("mnist")
    TrialComponent.create("in-trial")
    TrialComponent.create("alone")
    Trial.create(experiment_name="mnist", trial_name="t", trial_components=["in-trial"])

    assert sorted(component_names(TrialComponent.list())) == ["alone", "in-trial"]
    assert component_names(TrialComponent.list(experiment_name="mnist")) == ["in-trial"]
    assert component_names(TrialComponent.list(trial_name="t")) == ["in-trial"]
    assert component_names(TrialComponent.list(unassigned=True)) == ["alone"]
    assert component_names(TrialComponent.list(sort_by="Name", sort_order="Ascending")) == [
        "alone",
        "in-trial",
    ]


def test_component_list_source_arn(store: TrackingStore) -> None:
    store.create_component("job", source_arn="local:job/1")
    TrialComponent.create("manual")

    assert component_names(TrialComponent.list(source_arn="local:job/1")) == ["job"]


def test_component_search(store: TrackingStore) -> None:
    TrialComponent.create("a", display_name="first")
    TrialComponent.create("b", display_name="second")

    expression = {"Filters": [{"Name": "DisplayName", "Operator": "Equals", "Value": "second"}]}

    assert component_names(TrialComponent.search(search_expression=expression)) == ["b"]


def test_component_delete(store: TrackingStore) -> None:
    component = TrialComponent.create("c")

    component.delete()

    assert component_names(TrialComponent.list()) == []


def test_component_delete_in_trial(store: TrackingStore) -> None:
    Experiment.create("mnist")
    component = TrialComponent.create("c")
    Trial.create(experiment_name="mnist", trial_name="t", trial_components=[component])

    with pytest.raises(ConflictError, match="force_disassociate"):
        component.delete()
    assert TrialComponent.load("c").trials == ["t"]

    component.delete(force_disassociate=True)
    assert component_names(TrialComponent.list()) == []
    assert Trial.load("t").component_count == 0


def test_component_list_trials(store: TrackingStore) -> None:
    Experiment.create("mnist")
    component = TrialComponent.create("c")
    Trial.create(experiment_name="mnist", trial_name="t1", trial_components=[component])
    Trial.create(experiment_name="mnist", trial_name="t2", trial_components=[component])
    Trial.create(experiment_name="mnist", trial_name="t3")

    assert sorted(trial_names(component.list_trials())) == ["t1", "t2"]


def test_component_refresh(store: TrackingStore) -> None:
    component = TrialComponent.create("c")
    store.log_metrics("c", [("loss", 0.5, 0, 1.0)])

    component.refresh()

    assert component.metrics["loss"].count == 1
    assert component.metrics["loss"].last == 0.5


def test_component_metric_series(store: TrackingStore) -> None:
    component = TrialComponent.create("c")
    store.log_metrics("c", [("loss", 0.5, 0, 1.0), ("loss", 0.25, 1, 2.0)])

    assert [point["value"] for point in component.metric_series("loss")] == [0.5, 0.25]


# -- SageMaker arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: Experiment.create("mnist", sagemaker_boto_client=object()),
        lambda: Experiment.list(sagemaker_boto_client=object()),
        lambda: TrialComponent.create("c", sagemaker_boto_client=object()),
        lambda: Tracker.create(sagemaker_boto_client=object()),
    ],
    ids=["experiment-create", "experiment-list", "component-create", "tracker-create"],
)
def test_sagemaker_argument_accepted(store: TrackingStore, call: object) -> None:
    call()  # type: ignore[operator]


def test_sagemaker_argument_logged_once(
    store: TrackingStore, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_store, "_reported_arguments", set())
    caplog.set_level(logging.INFO, logger="jupyter_experiments")

    Experiment.create("a", sagemaker_boto_client=object())
    Experiment.create("b", sagemaker_boto_client=object())

    records = [r for r in caplog.records if "sagemaker_boto_client" in r.getMessage()]
    assert len(records) == 1
    assert records[0].levelno == logging.INFO
    assert records[0].name == "jupyter_experiments"


@pytest.mark.parametrize(
    "call",
    [
        lambda: Experiment.create("mnist", colour="red"),
        lambda: Trial.load("t", colour="red"),
        lambda: TrialComponent.search(colour="red"),
        lambda: Tracker.create(colour="red"),
    ],
    ids=["experiment-create", "trial-load", "component-search", "tracker-create"],
)
def test_unknown_argument(store: TrackingStore, call: object) -> None:
    with pytest.raises(TypeError, match="colour"):
        call()  # type: ignore[operator]


# -- shared stores ------------------------------------------------------------------------


def test_one_store_per_url(tmp_path: Path) -> None:
    path = tmp_path / "other.db"

    by_path = get_store(path)

    assert get_store(str(path)) is by_path
    assert get_store(f"sqlite:///{path.resolve()}") is by_path
    assert get_store(by_path) is by_path


def test_default_store_from_env(tmp_path: Path) -> None:
    Experiment.create("mnist")

    assert (tmp_path / "experiments.db").is_file()
    assert experiment_names(Experiment.list(store=tmp_path / "experiments.db")) == ["mnist"]


def test_store_argument_isolates(tmp_path: Path) -> None:
    Experiment.create("in-default")
    Experiment.create("in-other", store=tmp_path / "other.db")

    assert experiment_names(Experiment.list()) == ["in-default"]
    assert experiment_names(Experiment.list(store=tmp_path / "other.db")) == ["in-other"]


def test_store_object_argument(tmp_path: Path) -> None:
    other = TrackingStore(str(tmp_path / "direct.db"))
    try:
        experiment = Experiment.create("mnist", store=other)

        assert experiment_names(Experiment.list(store=other)) == ["mnist"]
        assert experiment_names(Experiment.list()) == []
        assert experiment.create_trial("t").experiment_name == "mnist"
        assert trial_names(Trial.list(store=other)) == ["t"]
    finally:
        other.dispose()


def test_no_real_data_dir(tmp_path: Path) -> None:
    from jupyter_experiments.store import default_db_path

    assert default_db_path().is_relative_to(tmp_path)
