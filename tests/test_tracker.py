"""Tests of Tracker: status handling, buffered metrics, parameters and artifacts."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from jupyter_experiments import Tracker, TrialComponent, ValidationError
from jupyter_experiments.sdk import tracker as tracker_module
from jupyter_experiments.sdk.artifacts import artifact_folder_name
from jupyter_experiments.store import TrackingStore


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def path_of(uri: str) -> Path:
    parsed = urlparse(uri)
    assert parsed.scheme == "file"
    return Path(unquote(parsed.path))


def metric_count(store: TrackingStore, component: str, metric: str) -> int:
    return len(store.get_metric_series(component, metric))


# -- status -------------------------------------------------------------------------------


def test_create_name(store: TrackingStore) -> None:
    tracker = Tracker.create(display_name="Training", base_trial_component_name="train")

    component = store.get_component(tracker.trial_component.trial_component_name)
    assert re.fullmatch(r"train-\d{8}T\d{6}-[a-z]{4}", component["name"])
    assert component["display_name"] == "Training"
    assert component["status"] is None
    tracker.close()


def test_context_in_progress(store: TrackingStore) -> None:
    before = time.time()

    with Tracker.create() as tracker:
        inside = store.get_component(tracker.trial_component.trial_component_name)

    assert inside["status"] == "InProgress"
    assert inside["start_time"] >= before - 1
    assert inside["end_time"] is None


def test_context_completed(store: TrackingStore) -> None:
    with Tracker.create() as tracker:
        pass
    after = time.time()

    component = store.get_component(tracker.trial_component.trial_component_name)
    assert component["status"] == "Completed"
    assert component["start_time"] <= component["end_time"] <= after + 1
    assert tracker.trial_component.status == "Completed"


def test_context_failed(store: TrackingStore) -> None:
    with pytest.raises(KeyError, match="missing column"), Tracker.create() as tracker:
        tracker.log_metric("loss", 1.0)
        raise KeyError("missing column")

    component = store.get_component(tracker.trial_component.trial_component_name)
    assert component["status"] == "Failed"
    assert component["status_message"] == "KeyError: 'missing column'"
    assert component["end_time"] is not None
    assert component["metrics"]["loss"]["count"] == 1


# -- metrics ------------------------------------------------------------------------------


def test_metrics_buffered(store: TrackingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker_module, "FLUSH_INTERVAL_S", 60.0)
    tracker = Tracker.create()
    name = tracker.trial_component.trial_component_name

    for step in range(5):
        tracker.log_metric("loss", 1.0 / (step + 1))
    assert metric_count(store, name, "loss") == 0

    assert tracker.flush() == 5
    assert metric_count(store, name, "loss") == 5
    tracker.close()


def test_close_flushes(store: TrackingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker_module, "FLUSH_INTERVAL_S", 60.0)
    tracker = Tracker.create()
    tracker.log_metric("loss", 0.5)

    tracker.close()

    summary = store.get_component(tracker.trial_component.trial_component_name)["metrics"]
    assert summary["loss"]["count"] == 1


def test_background_flush(store: TrackingStore) -> None:
    tracker = Tracker.create()
    name = tracker.trial_component.trial_component_name

    tracker.log_metric("loss", 0.5)
    tracker.log_metric("loss", 0.25)

    assert wait_until(lambda: metric_count(store, name, "loss") == 2, timeout_s=5.0)
    tracker.close()


def test_full_buffer_flushes(store: TrackingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker_module, "FLUSH_INTERVAL_S", 60.0)
    monkeypatch.setattr(tracker_module, "FLUSH_POINTS", 10)
    tracker = Tracker.create()
    name = tracker.trial_component.trial_component_name

    for step in range(10):
        tracker.log_metric("loss", float(step))

    assert metric_count(store, name, "loss") == 10
    tracker.close()


def test_steps_count_up(store: TrackingStore) -> None:
    with Tracker.create() as tracker:
        for value in (3.0, 2.0, 1.0):
            tracker.log_metric("loss", value)
        tracker.log_metric("accuracy", 0.5)

    name = tracker.trial_component.trial_component_name
    assert [p["step"] for p in store.get_metric_series(name, "loss")] == [0, 1, 2]
    assert [p["step"] for p in store.get_metric_series(name, "accuracy")] == [0]


def test_iteration_number(store: TrackingStore) -> None:
    with Tracker.create() as tracker:
        tracker.log_metric("loss", 1.0, iteration_number=10)
        tracker.log_metric("loss", 2.0)
        tracker.log_metrics({"a": 1.0, "b": 2.0}, iteration_number=4)

    name = tracker.trial_component.trial_component_name
    assert [p["step"] for p in store.get_metric_series(name, "loss")] == [10, 11]
    assert [p["step"] for p in store.get_metric_series(name, "b")] == [4]


def test_timestamp(store: TrackingStore) -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)

    with Tracker.create() as tracker:
        tracker.log_metric("loss", 1.0, timestamp=moment)
        tracker.log_metric("loss", 2.0, timestamp=1_000.5)

    series = store.get_metric_series(tracker.trial_component.trial_component_name, "loss")
    assert series[0]["timestamp"] == moment.timestamp()
    assert series[1]["timestamp"] == 1_000.5


def test_nan_and_infinity(store: TrackingStore) -> None:
    with Tracker.create() as tracker:
        for value in (math.nan, math.inf, -math.inf, 1.0):
            tracker.log_metric("m", value)

    values = [
        point["value"]
        for point in store.get_metric_series(tracker.trial_component.trial_component_name, "m")
    ]
    assert math.isnan(values[0])
    assert values[1:] == [math.inf, -math.inf, 1.0]


def test_numpy_values(store: TrackingStore) -> None:
    np = pytest.importorskip("numpy")

    with Tracker.create() as tracker:
        tracker.log_metric("m", np.float32(0.5))
        tracker.log_metric("m", np.int64(2))

    summary = tracker.trial_component.metrics["m"]
    assert summary.count == 2
    assert summary.max == 2.0


def test_steps_continue_after_reload(store: TrackingStore) -> None:
    with Tracker.create() as first:
        first.log_metric("loss", 1.0)
        first.log_metric("loss", 0.5)
    name = first.trial_component.trial_component_name

    with Tracker.load(name) as second:
        second.log_metric("loss", 0.25)

    assert [p["step"] for p in store.get_metric_series(name, "loss")] == [0, 1, 2]


def test_steps_continue_after_nan(store: TrackingStore) -> None:
    with Tracker.create() as first:
        first.log_metric("loss", 1.0)
        first.log_metric("loss", math.nan)
    name = first.trial_component.trial_component_name

    with Tracker.load(name) as second:
        second.log_metric("loss", 0.25)

    assert [p["step"] for p in store.get_metric_series(name, "loss")] == [0, 1, 2]


def test_log_after_close(store: TrackingStore) -> None:
    tracker = Tracker.create()
    tracker.close()

    with pytest.raises(ValidationError, match="closed"):
        tracker.log_metric("loss", 1.0)


def test_invalid_metric_keeps_buffer(store: TrackingStore) -> None:
    tracker = Tracker.create()
    tracker.log_metric("loss", 1.0)

    with pytest.raises(ValidationError, match=r"'a\\nb'"):
        tracker.log_metric("a\nb", 1.0)
    with pytest.raises(ValidationError, match="'high'"):
        tracker.log_metric("loss", "high")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"1\.5"):
        tracker.log_metric("loss", 2.0, iteration_number=1.5)  # type: ignore[arg-type]
    tracker.close()

    series = store.get_metric_series(tracker.trial_component.trial_component_name, "loss")
    assert [point["value"] for point in series] == [1.0]


# -- parameters and artifacts -------------------------------------------------------------


def test_parameters(store: TrackingStore) -> None:
    with Tracker.create() as tracker:
        tracker.log_parameter("lr", 0.001)
        tracker.log_parameters({"epochs": 10, "optimizer": "adam", "shuffle": True})

    stored = store.get_component(tracker.trial_component.trial_component_name)["parameters"]
    assert stored == {"lr": 0.001, "epochs": 10, "optimizer": "adam", "shuffle": True}
    assert type(stored["epochs"]) is int
    assert type(stored["shuffle"]) is bool


def test_input_output(store: TrackingStore) -> None:
    with Tracker.create() as tracker:
        tracker.log_input("train", "s3://bucket/train.csv", media_type="text/csv")
        tracker.log_output("model", "file:///tmp/model.pt")

    component = store.get_component(tracker.trial_component.trial_component_name)
    assert component["input_artifacts"] == {
        "train": {"value": "s3://bucket/train.csv", "media_type": "text/csv"}
    }
    assert component["output_artifacts"] == {
        "model": {"value": "file:///tmp/model.pt", "media_type": None}
    }


def test_log_artifact(store: TrackingStore, tmp_path: Path) -> None:
    source = tmp_path / "work" / "report.json"
    source.parent.mkdir()
    source.write_text('{"ok": true}')

    with Tracker.create() as tracker:
        uri = tracker.log_artifact(source)

    name = tracker.trial_component.trial_component_name
    copy = path_of(uri)
    assert uri.startswith("file://")
    assert (
        copy == tmp_path / "artifacts" / name / artifact_folder_name("report.json") / "report.json"
    )
    assert copy.parent.name.startswith("report_json-")
    assert copy.read_text() == '{"ok": true}'
    assert store.get_component(name)["output_artifacts"]["report.json"] == {
        "value": uri,
        "media_type": "application/json",
    }


def test_log_artifact_name(store: TrackingStore, tmp_path: Path) -> None:
    source = tmp_path / "weights.bin"
    source.write_bytes(b"\x00\x01")

    with Tracker.create() as tracker:
        uri = tracker.log_artifact(source, name="model weights", media_type="x/custom")

    stored = store.get_component(tracker.trial_component.trial_component_name)
    assert stored["output_artifacts"]["model weights"] == {"value": uri, "media_type": "x/custom"}
    assert path_of(uri).read_bytes() == b"\x00\x01"


def test_log_artifact_same_file_name(store: TrackingStore, tmp_path: Path) -> None:
    for folder, text in (("a", "first"), ("b", "second")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "model.txt").write_text(text)

    with Tracker.create() as tracker:
        first = tracker.log_artifact(tmp_path / "a" / "model.txt", name="first")
        tracker.log_artifact(tmp_path / "b" / "model.txt", name="second")

    assert path_of(first).read_text() == "first"


def test_log_artifact_missing(store: TrackingStore, tmp_path: Path) -> None:
    with Tracker.create() as tracker, pytest.raises(ValidationError, match=r"nothing\.txt"):
        tracker.log_artifact(tmp_path / "nothing.txt")

    assert (
        store.get_component(tracker.trial_component.trial_component_name)["output_artifacts"] == {}
    )


def test_log_artifacts_folder(store: TrackingStore, tmp_path: Path) -> None:
    folder = tmp_path / "plots"
    (folder / "nested").mkdir(parents=True)
    (folder / "loss.png").write_bytes(b"png")
    (folder / "notes.txt").write_text("text")
    (folder / "nested" / "skipped.txt").write_text("nested")

    with Tracker.create() as tracker:
        uris = tracker.log_artifacts(folder)

    outputs = store.get_component(tracker.trial_component.trial_component_name)["output_artifacts"]
    assert sorted(outputs) == ["loss.png", "notes.txt"]
    assert outputs["loss.png"]["media_type"] == "image/png"
    assert [path_of(uri).name for uri in uris] == ["loss.png", "notes.txt"]
    assert all(path_of(uri).is_file() for uri in uris)


def test_log_artifacts_not_folder(store: TrackingStore, tmp_path: Path) -> None:
    with Tracker.create() as tracker, pytest.raises(ValidationError, match="missing-dir"):
        tracker.log_artifacts(tmp_path / "missing-dir")


def test_artifact_root_beside_store(
    store: TrackingStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUPYTER_EXPERIMENTS_ARTIFACT_ROOT")
    source = tmp_path / "a.txt"
    source.write_text("a")
    other = tmp_path / "elsewhere" / "store.db"

    with Tracker.create(store=other) as tracker:
        uri = tracker.log_artifact(source)

    assert path_of(uri).is_relative_to(other.parent / "artifacts")


# -- Tracker.load -------------------------------------------------------------------------


def test_load_without_name(store: TrackingStore) -> None:
    with pytest.raises(ValidationError, match="JUPYTER_EXPERIMENTS_TRIAL_COMPONENT"):
        Tracker.load()


def test_load_missing(store: TrackingStore) -> None:
    with pytest.raises(LookupError, match="'nope'"):
        Tracker.load("nope")


def test_load_from_env(store: TrackingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.create_component("job-component", status="InProgress", start_time=5.0)
    monkeypatch.setenv(tracker_module.TRIAL_COMPONENT_ENV, "job-component")

    with Tracker.load() as tracker:
        tracker.log_metric("loss", 1.0)

    component = store.get_component("job-component")
    assert tracker.trial_component.trial_component_name == "job-component"
    assert component["status"] == "InProgress"
    assert component["start_time"] == 5.0
    assert component["end_time"] is None
    assert component["metrics"]["loss"]["count"] == 1


def test_load_from_env_error(store: TrackingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.create_component("job-component", status="InProgress")
    monkeypatch.setenv(tracker_module.TRIAL_COMPONENT_ENV, "job-component")

    with pytest.raises(RuntimeError), Tracker.load():
        raise RuntimeError("boom")

    # The job runner, not the script's Tracker, records the final status.
    assert store.get_component("job-component")["status"] == "InProgress"


def test_load_by_name_owns_status(store: TrackingStore) -> None:
    TrialComponent.create("c")

    with Tracker.load("c"):
        pass

    assert store.get_component("c")["status"] == "Completed"
