"""Tracker: record parameters, artifacts and metrics of one trial component as code runs.

Metric points are buffered in memory and written in batches: when the buffer holds
``FLUSH_POINTS`` points, at least every ``FLUSH_INTERVAL_S`` seconds from a background thread,
on :meth:`Tracker.flush`, on close, and at interpreter exit. One batch is one transaction.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import NotFoundError, ValidationError
from ..limits import MAX_METRIC_BATCH
from ..names import generate_name
from ..store.store import check_step
from ..validation import check_key, check_metric_value, to_epoch_seconds
from ._store import StoreLike, ignore_sagemaker_arguments
from .artifacts import artifact_root, copy_artifact
from .trial_component import TrialComponent

log = logging.getLogger("jupyter_experiments")

#: Environment variable through which a training job tells its script which component is its own.
TRIAL_COMPONENT_ENV = "JUPYTER_EXPERIMENTS_TRIAL_COMPONENT"

#: Buffered points that trigger a write.
FLUSH_POINTS = 10_000

#: Longest time a logged point waits in the buffer.
FLUSH_INTERVAL_S = 1.0

#: Shortest time between two log records of a background write that keeps failing.
FLUSH_ERROR_REPORT_INTERVAL_S = 60.0

_open_trackers: weakref.WeakSet[Tracker] = weakref.WeakSet()


@atexit.register
def _close_open_trackers() -> None:
    for tracker in list(_open_trackers):
        try:
            tracker.flush()
        except Exception:
            log.exception(
                "Could not write buffered metrics of trial component %s at exit",
                tracker.trial_component.trial_component_name,
            )


class Tracker:
    """Record what one step of a workflow did, into one trial component.

    Use it as a context manager: entering sets the start time and status ``InProgress``;
    leaving writes buffered metrics and sets the end time and status ``Completed``, or
    ``Failed`` with the exception's message (the exception still propagates).
    """

    def __init__(self, trial_component: TrialComponent, owns_status: bool = True) -> None:
        self.trial_component = trial_component
        self._store = trial_component.store
        self._name = trial_component.trial_component_name
        self._owns_status = owns_status
        self._buffer: list[tuple[str, float, int, float]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._known_metrics: set[str] = set()
        # A reloaded component continues each metric after its highest stored step.
        self._next_step: dict[str, int] = {
            name: step + 1 for name, step in self._store.max_steps(self._name).items()
        }
        self._closed = False
        self._wake = threading.Event()
        self._flusher: threading.Thread | None = None
        _open_trackers.add(self)

    def __repr__(self) -> str:
        return f"Tracker(trial_component_name={self._name!r})"

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        display_name: str | None = None,
        base_trial_component_name: str = "TrialComponent",
        store: StoreLike = None,
        **sagemaker_arguments: Any,
    ) -> Tracker:
        """Create a new, unassigned trial component and a tracker that records into it."""
        ignore_sagemaker_arguments("Tracker.create", sagemaker_arguments)
        component = TrialComponent.create(
            generate_name(base_trial_component_name), display_name=display_name, store=store
        )
        return cls(component)

    @classmethod
    def load(
        cls,
        trial_component_name: str | None = None,
        store: StoreLike = None,
        **sagemaker_arguments: Any,
    ) -> Tracker:
        """Load a tracker for an existing trial component.

        Without a name, inside a training job started by
        :class:`~jupyter_experiments.jobs.Estimator`, it loads the job's own component; the job
        keeps managing that component's status.
        """
        ignore_sagemaker_arguments("Tracker.load", sagemaker_arguments)
        if trial_component_name is None:
            trial_component_name = os.environ.get(TRIAL_COMPONENT_ENV)
            if not trial_component_name:
                raise ValidationError(
                    "Tracker.load() without a trial component name works only inside a training "
                    f"job, which sets {TRIAL_COMPONENT_ENV}. Pass the name, or use "
                    "Tracker.create() to start a new component."
                )
            return cls(TrialComponent.load(trial_component_name, store=store), owns_status=False)
        return cls(TrialComponent.load(trial_component_name, store=store))

    # -- context manager --------------------------------------------------------------------

    def __enter__(self) -> Tracker:
        if self._owns_status:
            self._store.update_component(self._name, status="InProgress", start_time=time.time())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self.flush()
        finally:
            if self._owns_status:
                if exc is None:
                    self._store.update_component(
                        self._name, status="Completed", end_time=time.time()
                    )
                else:
                    message = f"{type(exc).__name__}: {exc}"[:10_000]
                    self._store.update_component(
                        self._name, status="Failed", status_message=message, end_time=time.time()
                    )
            self.close()
            self.trial_component.refresh()

    # -- parameters and artifacts -----------------------------------------------------------

    def log_parameter(self, name: str, value: Any) -> None:
        """Record one parameter (number, string or boolean; the type is kept)."""
        self.log_parameters({name: value})

    def log_parameters(self, parameters: Mapping[str, Any]) -> None:
        """Record several parameters in one write."""
        self._store.update_component(self._name, parameters=parameters)
        self.trial_component.parameters.update(parameters)

    def log_input(self, name: str, value: str, media_type: str | None = None) -> None:
        """Record an input artifact, such as a dataset's URI."""
        self._store.update_component(
            self._name, input_artifacts={name: {"value": value, "media_type": media_type}}
        )

    def log_output(self, name: str, value: str, media_type: str | None = None) -> None:
        """Record an output artifact, such as a model's path."""
        self._store.update_component(
            self._name, output_artifacts={name: {"value": value, "media_type": media_type}}
        )

    def log_artifact(
        self,
        file_path: str | os.PathLike[str],
        name: str | None = None,
        media_type: str | None = None,
    ) -> str:
        """Copy a file into the artifact directory and record it as an output artifact.

        Returns the URI recorded, ``file://`` followed by the copy's absolute path.
        """
        name = name or Path(file_path).name
        check_key(name, "artifact name")
        destination, guessed = copy_artifact(
            artifact_root(self._store), self._name, file_path, name
        )
        uri = destination.as_uri()
        self.log_output(name, uri, media_type or guessed)
        return uri

    def log_artifacts(
        self, directory: str | os.PathLike[str], media_type: str | None = None
    ) -> list[str]:
        """Log every file directly inside ``directory`` as an artifact named after the file."""
        folder = Path(directory)
        if not folder.is_dir():
            raise ValidationError(
                f"Invalid artifact directory {os.fspath(directory)!r}: it does not exist or is "
                "not a directory."
            )
        return [
            self.log_artifact(path, media_type=media_type)
            for path in sorted(folder.iterdir())
            if path.is_file()
        ]

    # -- metrics ----------------------------------------------------------------------------

    def log_metric(
        self,
        metric_name: str,
        value: float,
        timestamp: Any = None,
        iteration_number: int | None = None,
    ) -> None:
        """Buffer one metric point; it is written within ``FLUSH_INTERVAL_S`` seconds.

        ``timestamp`` is a datetime or epoch seconds (default: now, UTC). Without
        ``iteration_number`` the step is one more than this metric's previous step here.
        """
        if self._closed:
            raise ValidationError(
                f"Tracker of {self._name!r} is closed; load it again with "
                f"Tracker.load({self._name!r}) to log more metrics."
            )
        if metric_name not in self._known_metrics:
            check_key(metric_name, "metric name")
            self._known_metrics.add(metric_name)
        number = value if type(value) is float else check_metric_value(metric_name, value)
        seconds = time.time() if timestamp is None else to_epoch_seconds(timestamp, "timestamp")
        with self._lock:
            if iteration_number is None:
                step = self._next_step.get(metric_name, 0)
            elif isinstance(iteration_number, bool) or not isinstance(iteration_number, int):
                raise ValidationError(
                    f"Invalid iteration_number {iteration_number!r} for metric {metric_name!r}: "
                    "use an integer."
                )
            else:
                # Checked here, because a buffered point that the store rejects would stay in
                # the buffer and fail every later flush.
                step = check_step(metric_name, iteration_number)
            self._next_step[metric_name] = step + 1
            self._buffer.append((metric_name, number, step, seconds))
            size = len(self._buffer)
        if size >= FLUSH_POINTS:
            self.flush()
        elif self._flusher is None:
            self._start_flusher()

    def log_metrics(
        self,
        metrics: Mapping[str, float],
        timestamp: Any = None,
        iteration_number: int | None = None,
    ) -> None:
        """Buffer one point for each metric in ``metrics``, with the same time and step."""
        for name, value in metrics.items():
            self.log_metric(name, value, timestamp, iteration_number)

    def flush(self) -> int:
        """Write buffered metric points now; return how many were written.

        If the write fails the points stay buffered for the next attempt, and the error is raised.
        """
        with self._write_lock:
            with self._lock:
                pending, self._buffer = self._buffer, []
            written = 0
            try:
                for start in range(0, len(pending), MAX_METRIC_BATCH):
                    batch = pending[start : start + MAX_METRIC_BATCH]
                    self._store.log_metrics(self._name, batch, checked=True)
                    written += len(batch)
            except BaseException:
                with self._lock:
                    self._buffer[:0] = pending[written:]
                raise
            return written

    def close(self) -> None:
        """Write buffered metrics and stop the background writer."""
        if self._closed:
            return
        self.flush()
        self._closed = True
        self._wake.set()
        _open_trackers.discard(self)

    def _start_flusher(self) -> None:
        with self._lock:
            if self._flusher is not None:
                return
            thread = threading.Thread(
                target=self._flush_periodically, name=f"tracker-{self._name}", daemon=True
            )
            self._flusher = thread
        thread.start()

    def _flush_periodically(self) -> None:
        # Holds only a weak reference, so that an unused Tracker can still be collected.
        reference = weakref.ref(self)
        wake = self._wake
        del self
        failures = 0
        next_report = 0.0
        while not wake.wait(FLUSH_INTERVAL_S):
            tracker = reference()
            if tracker is None:
                return
            try:
                tracker.flush()
                failures = 0
            except NotFoundError:
                # The component was deleted: its points can never be written.
                with tracker._lock:
                    dropped, tracker._buffer = len(tracker._buffer), []
                log.error(
                    "Trial component %s no longer exists; dropped %d buffered metric points "
                    "and stopped writing",
                    tracker._name,
                    dropped,
                )
                tracker._closed = True
                return
            except Exception:
                failures += 1
                # Report the first failure in full, then at most once a minute.
                if time.monotonic() >= next_report:
                    log.exception(
                        "Writing buffered metrics of trial component %s failed (%d times in a "
                        "row); retrying every %.1f s",
                        tracker._name,
                        failures,
                        FLUSH_INTERVAL_S,
                    )
                    next_report = time.monotonic() + FLUSH_ERROR_REPORT_INTERVAL_S
            del tracker
