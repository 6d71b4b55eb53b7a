"""End-to-end tests of local training jobs: ``Estimator.fit`` and the ``TrainingJob`` handle.

Every test writes a small training script into ``tmp_path`` and runs it as a real child process
that records into the test's store. No script imports torch.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import signal
import socket
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jupyter_experiments.errors import ConflictError, NotFoundError, ValidationError
from jupyter_experiments.jobs import Estimator, JobFailedError, TrainingJob
from jupyter_experiments.limits import MAX_DESCRIPTION_LENGTH
from jupyter_experiments.sdk.artifacts import artifact_root
from jupyter_experiments.sdk.trial_component import TrialComponent
from jupyter_experiments.store import TrackingStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="jobs use POSIX process groups")

LOGGER_NAME = "jupyter_experiments.jobs"

LOSS = {"Name": "train:loss", "Regex": r"loss: (\S+)"}

# Writes what the job gave the script (arguments, environment, working directory) to run.json
# in the job's output directory, so that tests can compare it with what the job recorded.
RECORDING_SCRIPT = """
    import json, os, sys

    open("ran.marker", "a").close()
    record = {
        "argv": sys.argv[1:],
        "cwd": os.getcwd(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("SM_", "EXTRA_"))},
    }
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "run.json"), "w") as f:
        json.dump(record, f)
    print("training done")
"""

HYPERPARAMETERS = {"lr": 0.1, "epochs": 3, "optimizer": "adam", "nesterov": True}

# Blocks until a file named "go" appears in its working directory, so a test can look at a
# running job without guessing how long the job takes.
GATED_SCRIPT = """
    import os, time

    print("epoch 1 waiting", flush=True)
    while not os.path.exists("go"):
        time.sleep(0.02)
    print("epoch 2 done", flush=True)
"""

SLEEPING_SCRIPT = """
    import time

    print("started", flush=True)
    while True:
        time.sleep(0.1)
"""


def write_script(folder: Path, body: str, name: str = "train.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def read_run(job: TrainingJob) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((job.output_dir / "run.json").read_text(encoding="utf-8"))
    return record


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def series(store: TrackingStore, job: TrainingJob, metric: str) -> list[dict[str, Any]]:
    return store.get_metric_series(job.trial_component_name, metric)


@pytest.fixture
def recorded_job(store: TrackingStore, tmp_path: Path) -> TrainingJob:
    """Run the recording script with hyperparameters, two channels and an extra variable."""
    train_dir = tmp_path / "data" / "train"
    train_dir.mkdir(parents=True)
    script = write_script(tmp_path, RECORDING_SCRIPT)
    estimator = Estimator(script, hyperparameters=HYPERPARAMETERS, environment={"EXTRA_SEED": "7"})
    return estimator.fit(
        inputs={"train": train_dir, "test": "s3://bucket/test"}, job_name="recorded", logs=False
    )


# Records of a completed job


def test_fit_completes(recorded_job: TrainingJob) -> None:
    assert recorded_job.status == "Completed"
    assert recorded_job.exit_code == 0


def test_fit_names_component_after_job(recorded_job: TrainingJob) -> None:
    component = recorded_job.trial_component

    assert component.trial_component_name == "recorded-training-job"
    assert component.source_type == "local-job"


def test_fit_passes_hyperparameters_as_arguments(recorded_job: TrainingJob) -> None:
    assert read_run(recorded_job)["argv"] == [
        "--lr",
        "0.1",
        "--epochs",
        "3",
        "--optimizer",
        "adam",
        "--nesterov",
        "True",
    ]


def test_fit_records_hyperparameters_with_types(recorded_job: TrainingJob) -> None:
    parameters = recorded_job.trial_component.parameters

    assert parameters["lr"] == 0.1
    assert type(parameters["lr"]) is float
    assert parameters["epochs"] == 3
    assert type(parameters["epochs"]) is int
    assert parameters["optimizer"] == "adam"
    assert parameters["nesterov"] is True


def test_fit_records_host_details(recorded_job: TrainingJob) -> None:
    parameters = recorded_job.trial_component.parameters

    assert parameters["host:name"] == socket.gethostname()
    assert parameters["host:cpu_count"] == os.cpu_count()
    assert parameters["host:python_version"] == platform.python_version()
    assert type(parameters["host:gpu_count"]) is int


def test_fit_records_channels_as_inputs(recorded_job: TrainingJob, tmp_path: Path) -> None:
    inputs = recorded_job.trial_component.input_artifacts

    assert sorted(inputs) == ["test", "train"]
    assert inputs["train"].value == str(tmp_path / "data" / "train")
    assert inputs["test"].value == "s3://bucket/test"


def test_fit_records_model_and_log_outputs(recorded_job: TrainingJob) -> None:
    outputs = recorded_job.trial_component.output_artifacts

    assert outputs["model"].value == recorded_job.model_dir.as_uri()
    assert outputs["log"].value == recorded_job.log_path.as_uri()
    assert recorded_job.model_dir.is_dir()
    assert "training done" in recorded_job.log_path.read_text(encoding="utf-8")


def test_fit_records_job_settings(recorded_job: TrainingJob, tmp_path: Path) -> None:
    settings = recorded_job.trial_component.job_settings

    assert settings["job_name"] == "recorded"
    assert settings["status"] == "Completed"
    assert settings["exit_code"] == 0
    assert settings["working_directory"] == str(tmp_path)
    assert settings["command_line"].endswith(
        "train.py --lr 0.1 --epochs 3 --optimizer adam --nesterov True"
    )
    assert isinstance(settings["process_id"], int)
    assert settings["process_id"] != os.getpid()


def test_fit_records_job_times(recorded_job: TrainingJob) -> None:
    settings = recorded_job.trial_component.job_settings
    created = parse_time(settings["creation_time"])
    started = parse_time(settings["start_time"])
    ended = parse_time(settings["end_time"])

    assert created <= started
    assert started < ended
    assert settings["training_time_s"] == pytest.approx(ended - started, abs=0.002)


def test_fit_records_component_times(recorded_job: TrainingJob) -> None:
    component = recorded_job.trial_component
    settings = component.job_settings

    assert component.start_time is not None
    assert component.start_time.timestamp() == pytest.approx(parse_time(settings["start_time"]))
    assert component.end_time is not None
    assert component.end_time.timestamp() == pytest.approx(parse_time(settings["end_time"]))


def test_fit_sets_sagemaker_environment(recorded_job: TrainingJob, tmp_path: Path) -> None:
    env = read_run(recorded_job)["env"]

    assert env["SM_CHANNEL_TRAIN"] == str(tmp_path / "data" / "train")
    assert env["SM_CHANNEL_TEST"] == "s3://bucket/test"
    assert env["SM_MODEL_DIR"] == str(recorded_job.model_dir)
    assert env["SM_OUTPUT_DATA_DIR"] == str(recorded_job.output_dir)
    assert json.loads(env["SM_HOSTS"]) == [socket.gethostname()]
    assert env["SM_CURRENT_HOST"] == socket.gethostname()
    assert env["SM_NUM_GPUS"] == str(recorded_job.trial_component.parameters["host:gpu_count"])
    assert json.loads(env["SM_HPS"]) == HYPERPARAMETERS


def test_fit_passes_extra_environment(recorded_job: TrainingJob) -> None:
    assert read_run(recorded_job)["env"]["EXTRA_SEED"] == "7"


def test_fit_passes_object_store_root(
    store: TrackingStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The script's own log_artifact calls must upload to the object store too.
    monkeypatch.setenv("JUPYTER_EXPERIMENTS_ARTIFACT_ROOT", "memory://team-bucket/runs")
    script = write_script(
        tmp_path, "import os; print('root', os.environ['JUPYTER_EXPERIMENTS_ARTIFACT_ROOT'])"
    )

    job = Estimator(script).fit(job_name="object-root", logs=False)

    assert "root memory://team-bucket/runs" in job.logs()


def test_fit_runs_in_source_dir(store: TrackingStore, tmp_path: Path) -> None:
    source_dir = tmp_path / "src"
    source_dir.mkdir()
    write_script(source_dir, RECORDING_SCRIPT)

    job = Estimator("train.py", source_dir=source_dir).fit(job_name="in-src", logs=False)

    assert job.status == "Completed"
    assert read_run(job)["cwd"] == str(source_dir)
    assert job.trial_component.job_settings["working_directory"] == str(source_dir)


def test_fit_runs_given_python(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, "import sys; print('python', sys.executable)")

    job = Estimator(script, python=sys.executable).fit(job_name="own-python", logs=False)

    assert job.status == "Completed"
    assert f"python {sys.executable}" in job.logs()


def test_numpy_hyperparameter_runs(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, RECORDING_SCRIPT)

    job = Estimator(script, hyperparameters={"lr": np.float32(0.5)}).fit(
        job_name="numpy-lr", logs=False
    )

    assert job.status == "Completed"
    assert read_run(job)["argv"] == ["--lr", "0.5"]
    assert type(job.trial_component.parameters["lr"]) is float


def test_generated_job_name_from_script(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, "print('ok')", name="_train_v2.py")

    job = Estimator(script).fit(logs=False)

    assert job.job_name.startswith("train-v2-")
    assert job.status == "Completed"


# Experiment config


def test_config_creates_trial_in_experiment(store: TrackingStore, tmp_path: Path) -> None:
    store.create_experiment("mnist")
    script = write_script(tmp_path, RECORDING_SCRIPT)
    config = {
        "ExperimentName": "mnist",
        "TrialName": "lr-0-1",
        "TrialComponentDisplayName": "Training lr 0.1",
    }

    job = Estimator(script).fit(job_name="with-trial", experiment_config=config, logs=False)
    component = job.trial_component

    assert store.get_trial("lr-0-1")["experiment_name"] == "mnist"
    assert component.trials == ["lr-0-1"]
    assert component.experiments == ["mnist"]
    assert component.display_name == "Training lr 0.1"


def test_config_uses_existing_trial(store: TrackingStore, tmp_path: Path) -> None:
    store.create_experiment("mnist")
    store.create_trial("baseline", "mnist")
    script = write_script(tmp_path, RECORDING_SCRIPT)

    job = Estimator(script).fit(
        job_name="existing-trial", experiment_config={"TrialName": "baseline"}, logs=False
    )

    assert job.trial_component.trials == ["baseline"]
    assert store.get_trial("baseline")["component_count"] == 1


def test_config_missing_experiment_rejected(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, RECORDING_SCRIPT)
    config = {"ExperimentName": "no-such-experiment", "TrialName": "t"}

    with pytest.raises(NotFoundError, match="no-such-experiment"):
        Estimator(script).fit(job_name="no-experiment", experiment_config=config, logs=False)

    assert store.count_components() == 0
    assert not (tmp_path / "ran.marker").exists()


def test_config_missing_trial_rejected(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, RECORDING_SCRIPT)

    with pytest.raises(NotFoundError) as raised:
        Estimator(script).fit(
            job_name="no-trial", experiment_config={"TrialName": "no-such-trial"}, logs=False
        )

    assert "'no-such-trial' not found" in str(raised.value)
    assert "ExperimentName" in str(raised.value)
    assert store.count_components() == 0
    assert not (tmp_path / "ran.marker").exists()


def test_config_trial_of_other_experiment_rejected(store: TrackingStore, tmp_path: Path) -> None:
    store.create_experiment("mnist")
    store.create_experiment("cifar")
    store.create_trial("baseline", "mnist")
    script = write_script(tmp_path, RECORDING_SCRIPT)
    config = {"ExperimentName": "cifar", "TrialName": "baseline"}

    with pytest.raises(ValidationError) as raised:
        Estimator(script).fit(job_name="wrong-experiment", experiment_config=config, logs=False)

    assert "'mnist'" in str(raised.value)
    assert store.count_components() == 0
    assert not (tmp_path / "ran.marker").exists()


def test_config_misspelled_key_rejected(store: TrackingStore, tmp_path: Path) -> None:
    store.create_experiment("mnist")
    script = write_script(tmp_path, RECORDING_SCRIPT)
    config = {"ExperimentName": "mnist", "TrialNam": "t"}

    with pytest.raises(ValidationError, match="Did you mean 'TrialName'"):
        Estimator(script).fit(job_name="typo", experiment_config=config, logs=False)

    assert store.count_components() == 0
    assert not (tmp_path / "ran.marker").exists()


# Bad inputs


@pytest.mark.parametrize("job_name", ["my job", "-leading-dash", "x" * 121, "tab\tname"])
def test_invalid_job_name_rejected(store: TrackingStore, tmp_path: Path, job_name: str) -> None:
    script = write_script(tmp_path, RECORDING_SCRIPT)

    with pytest.raises(ValidationError, match="Invalid job name"):
        Estimator(script).fit(job_name=job_name, logs=False)

    assert store.count_components() == 0
    assert not (tmp_path / "ran.marker").exists()


def test_duplicate_job_name_rejected(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, RECORDING_SCRIPT)
    Estimator(script).fit(job_name="twice", logs=False)
    (tmp_path / "ran.marker").unlink()

    with pytest.raises(ConflictError, match="twice-training-job"):
        Estimator(script).fit(job_name="twice", logs=False)

    assert store.get_component("twice-training-job")["status"] == "Completed"
    assert not (tmp_path / "ran.marker").exists()


def test_list_hyperparameter_rejected(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, RECORDING_SCRIPT)

    with pytest.raises(ValidationError, match="'layers'"):
        Estimator(script, hyperparameters={"layers": [64, 32]})


def test_missing_entry_point_rejected(store: TrackingStore, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="is not a file"):
        Estimator(tmp_path / "missing.py")


def test_invalid_channel_value_rejected(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, RECORDING_SCRIPT)

    with pytest.raises(ValidationError, match="'train'"):
        Estimator(script).fit(inputs={"train": 5}, job_name="bad-channel", logs=False)  # type: ignore[dict-item]

    assert store.count_components() == 0


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"Name": "loss", "Regx": r"loss: (\S+)"}, "Did you mean 'Regex'"),
        ({"Regex": r"loss: (\S+)"}, "missing key 'Name'"),
        ({"Name": "loss"}, "missing key 'Regex'"),
        ({"Name": "loss", "Regex": r"loss: (\S+"}, "does not compile"),
        ({"Name": "loss", "Regex": r"loss: \S+"}, "has no capture group"),
    ],
    ids=["misspelled-key", "missing-name", "missing-regex", "no-compile", "no-group"],
)
def test_invalid_metric_definition_rejected(
    store: TrackingStore, tmp_path: Path, definition: dict[str, str], message: str
) -> None:
    script = write_script(tmp_path, RECORDING_SCRIPT)

    with pytest.raises(ValidationError, match=message):
        Estimator(script, metric_definitions=[definition]).fit(job_name="bad-def", logs=False)

    assert store.count_components() == 0
    assert not (tmp_path / "ran.marker").exists()


# Metric definitions


def test_metrics_from_stdout_and_stderr(store: TrackingStore, tmp_path: Path) -> None:
    # Sleeps between lines fix the order of lines across the two pipes.
    script = write_script(
        tmp_path,
        """
        import sys, time

        print("loss: 0.5", flush=True)
        time.sleep(0.3)
        print("loss: 1.5e-3", file=sys.stderr, flush=True)
        time.sleep(0.3)
        print("loss: 2E+2", flush=True)
        """,
    )

    job = Estimator(script, metric_definitions=[LOSS]).fit(job_name="both-streams", logs=False)
    points = series(store, job, "train:loss")

    assert [p["value"] for p in points] == [0.5, 0.0015, 200.0]
    assert [p["step"] for p in points] == [0, 1, 2]


def test_metric_points_take_line_time(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """
        import json, os, time

        printed = []
        for value in (0.9, 0.6):
            printed.append(time.time())
            print(f"loss: {value}", flush=True)
            time.sleep(0.5)
        with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "printed.json"), "w") as f:
            json.dump(printed, f)
        """,
    )

    job = Estimator(script, metric_definitions=[LOSS]).fit(job_name="line-times", logs=False)
    printed = json.loads((job.output_dir / "printed.json").read_text(encoding="utf-8"))
    points = series(store, job, "train:loss")

    assert len(points) == 2
    assert points[0]["timestamp"] == pytest.approx(printed[0], abs=0.25)
    assert points[1]["timestamp"] == pytest.approx(printed[1], abs=0.25)


def test_several_matches_on_one_line(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, 'print("loss: 3 loss: 2 loss: 1")\nprint("loss: 0")')

    job = Estimator(script, metric_definitions=[LOSS]).fit(job_name="many-per-line", logs=False)
    points = series(store, job, "train:loss")

    assert [p["value"] for p in points] == [3.0, 2.0, 1.0, 0.0]
    assert [p["step"] for p in points] == [0, 1, 2, 3]


def test_every_definition_matches_every_line(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, 'print("loss: 0.5 acc: 0.75")\nprint("acc: 0.875")')
    definitions = [LOSS, {"Name": "train:acc", "Regex": r"acc: (\S+)"}]

    job = Estimator(script, metric_definitions=definitions).fit(job_name="two-defs", logs=False)

    assert [p["value"] for p in series(store, job, "train:loss")] == [0.5]
    assert [p["value"] for p in series(store, job, "train:acc")] == [0.75, 0.875]
    assert [p["step"] for p in series(store, job, "train:acc")] == [0, 1]


def test_non_numeric_capture_skipped(
    store: TrackingStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script = write_script(tmp_path, 'print("loss: abc")\nprint("loss: 0.5")\nprint("loss: n/a")')
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)

    job = Estimator(script, metric_definitions=[LOSS]).fit(job_name="non-numeric", logs=False)
    points = series(store, job, "train:loss")
    warnings = [r for r in caplog.records if "train:loss" in r.getMessage()]

    assert job.status == "Completed"
    assert [p["value"] for p in points] == [0.5]
    assert [p["step"] for p in points] == [0]
    assert len(warnings) == 1
    assert job.trial_component.job_settings["skipped_metric_values"] == {"train:loss": 2}


def test_metric_definitions_recorded(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, "print('no metrics')")

    job = Estimator(script, metric_definitions=[LOSS]).fit(job_name="defs-kept", logs=False)

    assert job.trial_component.job_settings["metric_definitions"] == [LOSS]


def test_tracker_load_inside_job(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """
        from jupyter_experiments.sdk.tracker import Tracker

        tracker = Tracker.load()
        tracker.log_metric("direct", 2.5)
        tracker.log_parameter("from_script", "yes")
        tracker.close()
        """,
    )

    job = Estimator(script).fit(job_name="tracker-load", logs=False)
    component = job.trial_component

    assert job.status == "Completed"
    assert component.metrics["direct"].last == 2.5
    assert component.parameters["from_script"] == "yes"


# Running without waiting


def test_wait_false_returns_running_handle(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, GATED_SCRIPT)

    job = Estimator(script).fit(job_name="no-wait", wait=False, logs=False)
    try:
        assert job.status == "InProgress"
        assert wait_until(lambda: "epoch 1 waiting" in job.logs(), timeout_s=10)
        assert "epoch 2 done" not in job.logs()
    finally:
        (tmp_path / "go").touch()
        final_status = job.wait(timeout=20)

    assert final_status == "Completed"
    assert "epoch 2 done" in job.logs()


def test_metrics_stream_while_running(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """
        import json, os, time

        printed = time.time()
        print("loss: 0.5", flush=True)
        with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "printed.json"), "w") as f:
            json.dump(printed, f)
        time.sleep(4)
        print("loss: 0.25", flush=True)
        """,
    )

    job = Estimator(script, metric_definitions=[LOSS]).fit(
        job_name="streaming", wait=False, logs=False
    )
    try:
        assert wait_until(lambda: len(series(store, job, "train:loss")) > 0, timeout_s=10)
        stored_at = time.time()
        status = job.status
        printed = json.loads((job.output_dir / "printed.json").read_text(encoding="utf-8"))
    finally:
        # The second line would only arrive 4 s later; stopping saves the wait.
        job.stop()

    assert stored_at - printed < 2.5
    assert status == "InProgress"
    assert [p["value"] for p in series(store, job, "train:loss")] == [0.5]


def test_concurrent_jobs_share_store(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """
        import time
        from jupyter_experiments.sdk.tracker import Tracker

        tracker = Tracker.load()
        for step in range(30):
            print(f"loss: {step}", flush=True)
            if step % 3 == 0:
                tracker.log_metric("direct", step)
            time.sleep(0.005)
        tracker.close()
        """,
    )
    estimator = Estimator(script, metric_definitions=[LOSS])

    jobs = [estimator.fit(job_name=f"parallel-{i}", wait=False, logs=False) for i in range(3)]
    statuses = [job.wait(timeout=60) for job in jobs]

    assert statuses == ["Completed"] * 3
    for job in jobs:
        assert [p["value"] for p in series(store, job, "train:loss")] == list(range(30))
        assert [p["value"] for p in series(store, job, "direct")] == list(range(0, 30, 3))


# Logs


def test_logs_echoed_and_kept(
    store: TrackingStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(
        tmp_path,
        """
        import sys, time

        print("to stdout", flush=True)
        time.sleep(0.1)
        print("to stderr", file=sys.stderr, flush=True)
        """,
    )

    job = Estimator(script).fit(job_name="echo", logs=True)
    echoed = capsys.readouterr().out

    assert "to stdout\n" in echoed
    assert "to stderr\n" in echoed
    assert job.log_path.read_text(encoding="utf-8") == "to stdout\nto stderr\n"
    assert job.logs() == "to stdout\nto stderr\n"


def test_logs_false_echoes_nothing(
    store: TrackingStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write_script(tmp_path, "print('quiet line')")

    job = Estimator(script).fit(job_name="quiet", logs=False)

    assert "quiet line" not in capsys.readouterr().out
    assert job.logs() == "quiet line\n"


# Failure and stop


def test_script_error_fails_job(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """
        print("epoch 1")
        raise ValueError("batch size 7 does not divide 100")
        """,
    )

    with pytest.raises(JobFailedError) as raised:
        Estimator(script).fit(job_name="raises", logs=False)
    job = raised.value.job
    component = job.trial_component

    assert "ValueError: batch size 7 does not divide 100" in str(raised.value)

    assert component.status == "Failed"
    assert component.status_message is not None
    assert "ValueError: batch size 7 does not divide 100" in component.status_message
    assert 'raise ValueError("batch size 7 does not divide 100")' in component.status_message
    assert job.exit_code == 1
    assert component.job_settings["exit_code"] == 1
    assert component.job_settings["status"] == "Failed"
    assert component.end_time is not None


def test_long_stderr_fails_job(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """
        import sys

        sys.stderr.write("x" * 30000 + "\\n")
        sys.stderr.write("last words\\n")
        sys.exit(3)
        """,
    )

    with pytest.raises(JobFailedError) as raised:
        Estimator(script).fit(job_name="long-stderr", logs=False)
    component = raised.value.job.trial_component

    assert component.status == "Failed"
    assert component.status_message is not None
    assert len(component.status_message) <= MAX_DESCRIPTION_LENGTH
    assert "code 3" in component.status_message
    assert component.status_message.endswith("last words")


def test_missing_python_fails_job(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, RECORDING_SCRIPT)
    python = tmp_path / "no-such-python"

    with pytest.raises(OSError, match="no-such-python"):
        Estimator(script, python=python).fit(job_name="no-python", logs=False)
    component = store.get_component("no-python-training-job")

    assert component["status"] == "Failed"
    assert "no-such-python" in component["status_message"]
    assert component["end_time"] is not None


def test_stop_running_job(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, SLEEPING_SCRIPT)
    job = Estimator(script).fit(job_name="stopped", wait=False, logs=False)
    assert wait_until(lambda: "started" in job.logs(), timeout_s=10)

    job.stop()
    component = job.trial_component

    assert job.status == "Stopped"
    assert job.exit_code == -signal.SIGTERM
    assert component.job_settings["exit_code"] == -signal.SIGTERM
    assert component.job_settings["status"] == "Stopped"
    assert component.end_time is not None
    assert "end_time" in component.job_settings


def test_stop_finished_job_keeps_status(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, "print('done')")
    job = Estimator(script).fit(job_name="stop-after", logs=False)

    job.stop()

    assert job.status == "Completed"
    assert job.exit_code == 0


def test_trial_component_of_job_loads(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, "print('loss: 1')")

    Estimator(script, metric_definitions=[LOSS]).fit(job_name="loadable", logs=False)
    component = TrialComponent.load("loadable-training-job")

    assert component.status == "Completed"
    assert component.metrics["train:loss"].count == 1


def test_stop_shows_stopping(store: TrackingStore, tmp_path: Path) -> None:
    # The script takes 1 s to shut down after SIGTERM, which leaves time to see Stopping.
    script = write_script(
        tmp_path,
        """
        import signal, sys, time

        def shut_down(signum, frame):
            print("shutting down", flush=True)
            time.sleep(1)
            sys.exit(0)

        signal.signal(signal.SIGTERM, shut_down)
        print("started", flush=True)
        while True:
            time.sleep(0.1)
        """,
    )
    job = Estimator(script).fit(job_name="graceful", wait=False, logs=False)
    assert wait_until(lambda: "started" in job.logs(), timeout_s=10)
    stopper = threading.Thread(target=job.stop)

    stopper.start()
    saw_stopping = wait_until(lambda: job.status == "Stopping", timeout_s=5)
    stopper.join(timeout=20)

    assert saw_stopping
    assert job.status == "Stopped"
    assert job.exit_code == 0
    assert "shutting down" in job.logs()


def test_interrupted_fit_stops_job(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(tmp_path, SLEEPING_SCRIPT)
    name = "interrupted-training-job"
    log_path = artifact_root(store) / name / "job.log"

    def job_running() -> bool:
        # The process id is stored after JobProcess is constructed. An interrupt inside its
        # constructor would leave the child running, so the test does not send one there.
        return (
            log_path.exists()
            and "started" in log_path.read_text()
            and "process_id" in store.get_component(name)["job_settings"]
        )

    def interrupt_once_started() -> None:
        # Interrupts even if the job never runs, so that the test fails instead of hanging.
        wait_until(job_running, 10)
        os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_once_started)
    interrupter.start()
    with pytest.raises(KeyboardInterrupt):
        Estimator(script).fit(job_name="interrupted", logs=False)
    interrupter.join()
    component = store.get_component(name)

    assert component["status"] == "Stopped"
    assert component["job_settings"]["exit_code"] == -signal.SIGTERM


def test_experiment_without_trial_rejected(store: TrackingStore, tmp_path: Path) -> None:
    store.create_experiment("mnist")
    script = write_script(tmp_path, RECORDING_SCRIPT)

    with pytest.raises(ValidationError) as raised:
        Estimator(script).fit(experiment_config={"ExperimentName": "mnist"}, logs=False)

    assert "no TrialName" in str(raised.value)
    assert store.search_components() == []


def test_hyphenated_channel_variables(store: TrackingStore, tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """
        import os

        print("dash", os.environ["SM_CHANNEL_TRAIN-DATA"])
        print("underscore", os.environ["SM_CHANNEL_TRAIN_DATA"])
        """,
    )

    job = Estimator(script).fit(inputs={"train-data": str(tmp_path)}, logs=False)

    assert f"dash {tmp_path}" in job.logs()
    assert f"underscore {tmp_path}" in job.logs()
