"""Estimator: run a training script as a tracked local job, SageMaker-style.

``Estimator(...).fit(...)`` creates the job's trial component, starts the script as a child
process with its hyperparameters as ``--name value`` arguments, turns matching log lines into
metric points while it runs, and records the outcome: status, times, exit code, and the model
directory and log file as output artifacts.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import shlex
import socket
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil

from ..errors import ExperimentsError, NotFoundError, ValidationError
from ..limits import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH
from ..names import generate_name
from ..sdk._store import StoreLike, get_store
from ..sdk.artifacts import ARTIFACT_ROOT_ENV, artifact_root, object_store_root
from ..sdk.tracker import TRIAL_COMPONENT_ENV, Tracker
from ..sdk.trial_component import TrialComponent
from ..store import DB_URL_ENV
from ..validation import check_key, check_name, check_parameter_value
from .host import host_details
from .metric_definitions import MetricParser, validate_metric_definitions
from .process import JobProcess
from .recovery import LOCAL_JOB_SOURCE

log = logging.getLogger("jupyter_experiments.jobs")

EXPERIMENT_CONFIG_KEYS = ("ExperimentName", "TrialName", "TrialComponentDisplayName")

#: Suffix of the trial component a job creates, as SageMaker names it.
COMPONENT_SUFFIX = "-training-job"

#: The channel a single path or URI passed as ``inputs`` becomes.
DEFAULT_CHANNEL = "training"

#: Base job name used when the script's file name has no letter or digit.
FALLBACK_BASE_JOB_NAME = "job"

# Runs of characters that a job name may not contain. The default base job name replaces each
# run with "-".
_INVALID_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9-]+")


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()


class JobFailedError(ExperimentsError):
    """A training job ended with status Failed; ``job`` is its :class:`TrainingJob`."""

    def __init__(self, message: str, job: TrainingJob) -> None:
        super().__init__(message)
        self.job = job


class Estimator:
    """A training script and how to run it: hyperparameters, metric definitions, environment.

    Parameters
    ----------
    entry_point:
        The script to run, relative to ``source_dir`` when that is given.
    source_dir:
        Working directory of the job; default: the folder of ``entry_point``.
    hyperparameters:
        Passed to the script as ``--name value``; recorded as parameters with their types.
    metric_definitions:
        ``[{"Name": ..., "Regex": ...}]``: every output line is matched against every regex
        and each match becomes a metric point. Validated before anything starts.
    environment:
        Extra environment variables for the script.
    python:
        The interpreter; default: the one running this code.
    """

    def __init__(
        self,
        entry_point: str | os.PathLike[str],
        source_dir: str | os.PathLike[str] | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        metric_definitions: Sequence[Mapping[str, str]] | None = None,
        environment: Mapping[str, str] | None = None,
        python: str | os.PathLike[str] | None = None,
        base_job_name: str | None = None,
        store: StoreLike = None,
    ) -> None:
        self.source_dir = Path(source_dir).resolve() if source_dir is not None else None
        script = Path(entry_point)
        if self.source_dir is not None and not script.is_absolute():
            script = self.source_dir / script
        if not script.is_file():
            raise ValidationError(
                f"Invalid entry_point {os.fspath(entry_point)!r}: {script} is not a file. Pass "
                "the training script's path, relative to source_dir if you give one."
            )
        self.entry_point = script.resolve()
        # The checked values are kept: they are plain Python types (numpy scalars converted),
        # which SM_HPS needs as JSON and the store records with their types.
        self.hyperparameters = {
            check_key(key, "hyperparameter name"): check_parameter_value(key, value)
            for key, value in (hyperparameters or {}).items()
        }
        self.metric_definitions = validate_metric_definitions(list(metric_definitions or []))
        self.environment = {str(key): str(value) for key, value in (environment or {}).items()}
        self.python = os.fspath(python) if python is not None else sys.executable
        self.base_job_name = base_job_name or _default_base_job_name(self.entry_point)
        self._store = get_store(store)

    def fit(
        self,
        inputs: str | os.PathLike[str] | Mapping[str, str | os.PathLike[str]] | None = None,
        job_name: str | None = None,
        experiment_config: Mapping[str, str] | None = None,
        wait: bool = True,
        logs: bool = True,
    ) -> TrainingJob:
        """Run the script as a job and return its handle.

        ``inputs`` is a path or URI (the ``training`` channel) or a mapping of channel names to
        paths or URIs. With ``wait`` the call returns when the job has ended, and raises
        :class:`JobFailedError` if it failed, as SageMaker's ``fit`` does; an interrupt stops
        the job. Without ``wait`` it returns at once, and the handle's ``wait()`` and ``stop()``
        control the job.
        """
        channels = _check_channels(inputs)
        config = _check_experiment_config(experiment_config)
        job_name = check_name(job_name or generate_name(self.base_job_name[:80]), "job name")
        component_name = f"{job_name}{COMPONENT_SUFFIX}"
        if len(component_name) > MAX_NAME_LENGTH:
            raise ValidationError(
                f"Invalid job name {job_name!r}: the trial component name {component_name!r} "
                f"would exceed {MAX_NAME_LENGTH} characters. Use a shorter job name."
            )
        self._check_experiment(config)

        job = TrainingJob(self, job_name, component_name, channels, config, logs)
        job.start()
        if wait:
            try:
                job.wait()
            except KeyboardInterrupt:
                log.info("Interrupted: stopping job %s", job_name)
                job.stop()
                raise
            if job.status == "Failed":
                component = job.trial_component
                raise JobFailedError(
                    f"Job {job_name} failed: {component.status_message} "
                    f"The full output is in {job.log_path}.",
                    job,
                )
        return job

    def _check_experiment(self, config: Mapping[str, str]) -> None:
        experiment = config.get("ExperimentName")
        trial = config.get("TrialName")
        if experiment:
            self._store.get_experiment(experiment)
        if not trial:
            return
        try:
            found = self._store.get_trial(trial)
        except NotFoundError:
            if experiment:
                return
            raise NotFoundError(
                f"Trial {trial!r} not found. Create it first, or add ExperimentName to "
                "experiment_config so that the job creates it."
            ) from None
        if experiment and found["experiment_name"] != experiment:
            raise ValidationError(
                f"Invalid experiment_config: trial {trial!r} belongs to experiment "
                f"{found['experiment_name']!r}, not {experiment!r}. Set ExperimentName to "
                f"{found['experiment_name']!r}, or choose another TrialName."
            )


class TrainingJob:
    """A running or finished local training job."""

    def __init__(
        self,
        estimator: Estimator,
        job_name: str,
        component_name: str,
        channels: Mapping[str, str],
        experiment_config: Mapping[str, str],
        logs: bool,
    ) -> None:
        self.estimator = estimator
        self.job_name = job_name
        self.trial_component_name = component_name
        self.channels = dict(channels)
        self.experiment_config = dict(experiment_config)
        self._store = estimator._store
        self._echo = logs
        self.job_dir = artifact_root(self._store) / component_name
        self.model_dir = self.job_dir / "model"
        self.output_dir = self.job_dir / "output"
        self.log_path = self.job_dir / "job.log"
        self.exit_code: int | None = None
        self._process: JobProcess | None = None
        self._tracker: Tracker | None = None
        self._parser = MetricParser(estimator.metric_definitions)
        self._finisher: threading.Thread | None = None
        self._stop_requested = False
        self._created_at = time.time()
        self._started_at: float | None = None
        # An interrupt inside Thread.start() can leave both the finisher and _abandon_start
        # finishing the job. The first one records the outcome.
        self._finish_lock = threading.Lock()
        self._finished = False

    def __repr__(self) -> str:
        return f"TrainingJob(job_name={self.job_name!r}, status={self.status!r})"

    # -- public -----------------------------------------------------------------------------

    @property
    def status(self) -> str | None:
        """The job's status as stored: InProgress, Completed, Failed, Stopping or Stopped."""
        return self._store.get_component(self.trial_component_name)["status"]

    @property
    def trial_component(self) -> TrialComponent:
        """The job's trial component, freshly loaded."""
        return TrialComponent.load(self.trial_component_name, store=self._store)

    @property
    def command(self) -> list[str]:
        """The command line that runs the script."""
        arguments = [self.estimator.python, "-u", str(self.estimator.entry_point)]
        for key, value in self.estimator.hyperparameters.items():
            arguments += [f"--{key}", _argument_text(value)]
        return arguments

    def logs(self) -> str:
        """Return the job's output so far, stdout and stderr interleaved."""
        try:
            return self.log_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def wait(self, timeout: float | None = None) -> str | None:
        """Wait until the job has ended and its outcome is recorded; return the status."""
        if self._finisher is not None:
            self._finisher.join(timeout)
        return self.status

    def stop(self) -> None:
        """Stop the job: status Stopping, SIGTERM, SIGKILL after a grace period, then Stopped."""
        if self._process is None or self._process.poll() is not None:
            return
        self._stop_requested = True
        self._store.update_component(
            self.trial_component_name, status="Stopping", job_settings={"status": "Stopping"}
        )
        self._process.stop()
        self.wait()

    # -- running ----------------------------------------------------------------------------

    def start(self) -> None:
        """Create the job's trial component and start the script."""
        estimator = self.estimator
        self.model_dir.mkdir(parents=True, exist_ok=True)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        host = socket.gethostname()
        monitor = psutil.Process()
        cwd = estimator.source_dir or estimator.entry_point.parent
        settings = {
            "job_name": self.job_name,
            "status": "InProgress",
            "creation_time": _iso(self._created_at),
            "command_line": shlex.join(self.command),
            "working_directory": str(cwd),
            "host": host,
            "monitor_process_id": monitor.pid,
            "monitor_process_create_time": monitor.create_time(),
            "metric_definitions": [
                {"Name": d.name, "Regex": d.pattern.pattern} for d in estimator.metric_definitions
            ],
        }
        parameters = {**estimator.hyperparameters, **host_details()}
        self._store.create_component(
            self.trial_component_name,
            display_name=self.experiment_config.get("TrialComponentDisplayName", "Training"),
            status="InProgress",
            start_time=self._created_at,
            source_arn=f"training-job/{self.job_name}",
            source_type=LOCAL_JOB_SOURCE,
            job_settings=settings,
            parameters=parameters,
            input_artifacts={name: {"value": value} for name, value in self.channels.items()},
            output_artifacts={
                "model": {
                    "value": self.model_dir.as_uri(),
                    "media_type": "application/x-directory",
                },
                "log": {"value": self.log_path.as_uri(), "media_type": "text/plain"},
            },
        )

        # From here on the component exists, so a failure must record a final status. Recovery
        # would not, because this process (the job's monitor) is still alive.
        try:
            self._associate()
            self._tracker = Tracker(
                TrialComponent.load(self.trial_component_name, store=self._store),
                owns_status=False,
            )
            self._process = JobProcess(
                self.command,
                cwd=cwd,
                env=self._environment(),
                log_path=self.log_path,
                on_line=self._on_line,
                echo=self._echo,
            )
            self._started_at = time.time()
            self._store.update_component(
                self.trial_component_name,
                start_time=self._started_at,
                job_settings={
                    "process_id": self._process.pid,
                    # With the pid, identifies the process for a stop from another process
                    # (the server) and for recovery, even after the pid is reused.
                    "process_create_time": self._process.create_time,
                    "start_time": _iso(self._started_at),
                },
            )
            log.info("Job %s started as process %d", self.job_name, self._process.pid)
            finisher = threading.Thread(
                target=self._wait_and_finish, name=f"job-{self.job_name}", daemon=True
            )
            finisher.start()
            self._finisher = finisher
        except BaseException as error:
            self._abandon_start(error)
            raise

    def _abandon_start(self, error: BaseException) -> None:
        """Stop the process of a start cut short by ``error`` and record the final status.

        An interrupt (Ctrl+C in a notebook) ends the job as Stopped, any other error as Failed.
        """
        interrupted = isinstance(error, KeyboardInterrupt)
        self._stop_requested = interrupted
        if self._process is not None:
            self._process.stop()
        if self._finisher is not None:
            # The finisher records the outcome once the stopped process has been reaped.
            self._finisher.join()
            return

        exit_code = self._process.wait() if self._process is not None else None
        failure = None if interrupted else f"The job did not start: {error}"
        self._finish(exit_code, failure)

    def _associate(self) -> None:
        experiment = self.experiment_config.get("ExperimentName")
        trial = self.experiment_config.get("TrialName")
        if not trial:
            return
        if experiment:
            try:
                self._store.get_trial(trial)
            except NotFoundError:
                self._store.create_trial(trial, experiment)
        self._store.associate(trial, self.trial_component_name)

    def _environment(self) -> dict[str, str]:
        estimator = self.estimator
        host = socket.gethostname()
        environment = dict(os.environ)
        environment.update(
            {
                DB_URL_ENV: self._store.url,
                # An object-store root is passed on as it is, so that the script's own
                # log_artifact calls upload there too instead of writing to this machine's disk.
                ARTIFACT_ROOT_ENV: object_store_root() or str(artifact_root(self._store)),
                TRIAL_COMPONENT_ENV: self.trial_component_name,
                "SM_MODEL_DIR": str(self.model_dir),
                "SM_OUTPUT_DATA_DIR": str(self.output_dir),
                "SM_HOSTS": json.dumps([host]),
                "SM_CURRENT_HOST": host,
                "SM_NUM_GPUS": str(host_details().get("host:gpu_count", 0)),
                "SM_NUM_CPUS": str(os.cpu_count() or 1),
                "SM_CHANNELS": json.dumps(sorted(self.channels)),
                "SM_HPS": json.dumps(estimator.hyperparameters),
                "SM_TRAINING_JOB_NAME": self.job_name,
            }
        )
        for name, value in self.channels.items():
            environment[f"SM_CHANNEL_{name.upper()}"] = value
            # A shell cannot read a name with '-', so the '_' spelling is set as well.
            environment[f"SM_CHANNEL_{name.upper().replace('-', '_')}"] = value
        environment.update(estimator.environment)
        return environment

    def _on_line(self, stream: str, line: str, timestamp: float) -> None:
        assert self._tracker is not None
        for point in self._parser.parse_line(line, timestamp):
            self._tracker.log_metric(point.name, point.value, point.timestamp, point.step)

    def _wait_and_finish(self) -> None:
        assert self._process is not None
        exit_code = self._process.wait()
        self._finish(exit_code)

    def _finish(self, exit_code: int | None, failure: str | None = None) -> None:
        with self._finish_lock:
            if self._finished:
                return
            self._finished = True
        self.exit_code = exit_code
        end = time.time()
        if self._tracker is not None:
            try:
                self._tracker.close()
            except Exception:
                log.exception("Could not write the last metrics of job %s", self.job_name)
        if failure is not None:
            status, message = "Failed", _failure_message(exit_code, "", failure)
        elif (
            self._stop_requested
            or (self._process is not None and self._process.stopped)
            or self._stop_requested_elsewhere()
        ):
            status, message = "Stopped", "Stopped on request."
        elif exit_code == 0:
            status, message = "Completed", None
        else:
            status = "Failed"
            tail = self._process.stderr_tail() if self._process is not None else ""
            message = _failure_message(exit_code, tail, None)
        self._store.update_component(
            self.trial_component_name,
            status=status,
            status_message=message,
            end_time=end,
            job_settings={
                "status": status,
                "end_time": _iso(end),
                "training_time_s": round(end - (self._started_at or end), 3),
                "exit_code": exit_code,
                "skipped_metric_values": self._parser.skipped,
            },
        )
        log.info("Job %s ended: %s (exit code %s)", self.job_name, status, exit_code)

    def _stop_requested_elsewhere(self) -> bool:
        """Return whether another process (the server's stop endpoint) set the status Stopping."""
        try:
            return self.status == "Stopping"
        except Exception:
            log.exception("Could not read the status of job %s; it is not Stopping.", self.job_name)
            return False


def _argument_text(value: Any) -> str:
    return str(value)


def _default_base_job_name(entry_point: Path) -> str:
    """Return the script's file name without suffix, reduced to a valid job name prefix."""
    name = _INVALID_NAME_CHARACTERS.sub("-", entry_point.stem).strip("-")
    return name or FALLBACK_BASE_JOB_NAME


def _failure_message(exit_code: int | None, stderr_tail: str, failure: str | None) -> str:
    """Return the status message of a failed job, cut to the store's limit.

    The end of stderr is kept, because that is where a traceback names the error.
    """
    text = failure or f"The script exited with code {exit_code}.\n{stderr_tail}".strip()
    if len(text) <= MAX_DESCRIPTION_LENGTH:
        return text
    marker = "\n[...]\n"
    if failure is not None:
        return text[: MAX_DESCRIPTION_LENGTH - len(marker)] + marker
    head = f"The script exited with code {exit_code}."
    room = MAX_DESCRIPTION_LENGTH - len(head) - len(marker)
    return head + marker + stderr_tail[-room:]


def _check_channels(
    inputs: str | os.PathLike[str] | Mapping[str, str | os.PathLike[str]] | None,
) -> dict[str, str]:
    if inputs is None:
        return {}
    if isinstance(inputs, (str, os.PathLike)):
        inputs = {DEFAULT_CHANNEL: inputs}
    if not isinstance(inputs, Mapping):
        raise ValidationError(
            f"Invalid inputs {inputs!r}: pass a path or URI, or a mapping of channel names to "
            "paths or URIs."
        )
    channels = {}
    for name, value in inputs.items():
        if not isinstance(name, str) or not name.replace("-", "_").replace("_", "").isalnum():
            raise ValidationError(
                f"Invalid channel name {name!r}: use letters, digits, '-' and '_' "
                "(it becomes the environment variable SM_CHANNEL_<NAME>)."
            )
        if not isinstance(value, (str, os.PathLike)):
            raise ValidationError(
                f"Invalid input {value!r} for channel {name!r}: pass a path or a URI string."
            )
        text = os.fspath(value)
        if "://" not in text:
            text = str(Path(text).expanduser().resolve())
        channels[name] = text
    return channels


def _check_experiment_config(config: Mapping[str, str] | None) -> dict[str, str]:
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ValidationError(
            f"Invalid experiment_config {config!r}: pass a mapping with ExperimentName, "
            "TrialName and TrialComponentDisplayName."
        )
    for key in config:
        if key not in EXPERIMENT_CONFIG_KEYS:
            close = difflib.get_close_matches(str(key), EXPERIMENT_CONFIG_KEYS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValidationError(
                f"Invalid experiment_config key {key!r}: use {', '.join(EXPERIMENT_CONFIG_KEYS)}."
                + hint
            )
    checked = dict(config)
    if "ExperimentName" in checked and "TrialName" not in checked:
        raise ValidationError(
            "Invalid experiment_config: it has ExperimentName but no TrialName. Add "
            "TrialName; the job creates that trial in the experiment if it does not exist."
        )
    if "ExperimentName" in checked:
        check_name(checked["ExperimentName"], "experiment name")
    if "TrialName" in checked:
        check_name(checked["TrialName"], "trial name")
    if "TrialComponentDisplayName" in checked:
        check_key(checked["TrialComponentDisplayName"], "trial component display name")
    return checked
