"""Trial components: one stage of a trial, such as preprocessing or training, and its records."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..names import generate_name
from ._base import to_datetime, to_seconds
from ._store import StoreLike, get_store, ignore_sagemaker_arguments
from .search_expression import SearchExpression, expression_to_dict


@dataclass(frozen=True)
class TrialComponentArtifact:
    """An input or output of a trial component: a URI or path, and its media type."""

    value: str
    media_type: str | None = None


@dataclass(frozen=True)
class MetricSummary:
    """Summary statistics of one metric; NaN points are skipped and counted in ``nan_count``."""

    metric_name: str
    min: float
    max: float
    avg: float
    std_dev: float
    last: float
    first: float
    count: int
    nan_count: int
    last_step: int | None = None


class TrialComponent:
    """A trial component with its status, times, parameters, artifacts and metric summaries.

    Change ``display_name``, ``parameters``, ``input_artifacts``, ``output_artifacts``,
    ``status``, ``status_message`` or ``tags`` and call :meth:`save` to store them.
    """

    trial_component_name: str
    display_name: str | None
    status: str | None
    status_message: str | None
    start_time: datetime | None
    end_time: datetime | None
    creation_time: datetime | None
    last_modified_time: datetime | None
    source_arn: str | None
    source_type: str | None
    job_settings: dict[str, Any]
    parameters: dict[str, Any]
    input_artifacts: dict[str, TrialComponentArtifact]
    output_artifacts: dict[str, TrialComponentArtifact]
    metrics: dict[str, MetricSummary]
    trials: list[str]
    experiments: list[str]
    tags: dict[str, str]

    def __init__(self, record: Mapping[str, Any], store: StoreLike = None) -> None:
        self._store = get_store(store)
        self._apply(record)

    def _apply(self, record: Mapping[str, Any]) -> None:
        self.trial_component_name = record["name"]
        self.display_name = record.get("display_name")
        self.status = record.get("status")
        self.status_message = record.get("status_message")
        self.start_time = to_datetime(record.get("start_time"))
        self.end_time = to_datetime(record.get("end_time"))
        self.creation_time = to_datetime(record.get("created_at"))
        self.last_modified_time = to_datetime(record.get("modified_at"))
        self.source_arn = record.get("source_arn")
        self.source_type = record.get("source_type")
        self.job_settings = dict(record.get("job_settings") or {})
        self.parameters = dict(record.get("parameters") or {})
        self.input_artifacts = {
            name: TrialComponentArtifact(item["value"], item.get("media_type"))
            for name, item in (record.get("input_artifacts") or {}).items()
        }
        self.output_artifacts = {
            name: TrialComponentArtifact(item["value"], item.get("media_type"))
            for name, item in (record.get("output_artifacts") or {}).items()
        }
        self.metrics = {
            name: MetricSummary(
                metric_name=name,
                min=summary["min"],
                max=summary["max"],
                avg=summary["avg"],
                std_dev=summary["std_dev"],
                last=summary["last"],
                first=summary["first"],
                count=summary["count"],
                nan_count=summary["nan_count"],
                last_step=summary.get("last_step"),
            )
            for name, summary in (record.get("metrics") or {}).items()
        }
        self.trials = list(record.get("trials") or [])
        self.experiments = list(record.get("experiments") or [])
        self.tags = dict(record.get("tags") or {})
        self._saved_parameters = set(self.parameters)

    def __repr__(self) -> str:
        return f"TrialComponent(trial_component_name={self.trial_component_name!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TrialComponent)
            and other.trial_component_name == self.trial_component_name
        )

    def __hash__(self) -> int:
        return hash(("trial component", self.trial_component_name))

    @property
    def store(self) -> Any:
        """The TrackingStore this component reads from and writes to."""
        return self._store

    @classmethod
    def create(
        cls,
        trial_component_name: str | None = None,
        display_name: str | None = None,
        tags: Mapping[str, str] | list[dict[str, str]] | None = None,
        store: StoreLike = None,
        **sagemaker_arguments: Any,
    ) -> TrialComponent:
        """Create an unassigned trial component; a name is generated when none is given."""
        ignore_sagemaker_arguments("TrialComponent.create", sagemaker_arguments)
        resolved = get_store(store)
        record = resolved.create_component(
            (
                generate_name("TrialComponent")
                if trial_component_name is None
                else trial_component_name
            ),
            display_name=display_name,
            tags=tags,  # type: ignore[arg-type]
        )
        return cls(record, resolved)

    @classmethod
    def load(
        cls, trial_component_name: str, store: StoreLike = None, **sagemaker_arguments: Any
    ) -> TrialComponent:
        """Load a trial component; raise NotFoundError if there is none by that name."""
        ignore_sagemaker_arguments("TrialComponent.load", sagemaker_arguments)
        resolved = get_store(store)
        return cls(resolved.get_component(trial_component_name), resolved)

    @classmethod
    def list(
        cls,
        source_arn: str | None = None,
        created_before: datetime | float | None = None,
        created_after: datetime | float | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        experiment_name: str | None = None,
        trial_name: str | None = None,
        unassigned: bool = False,
        store: StoreLike = None,
        **sagemaker_arguments: Any,
    ) -> Iterator[TrialComponent]:
        """Iterate over trial components, of one experiment or trial, or the unassigned ones."""
        ignore_sagemaker_arguments("TrialComponent.list", sagemaker_arguments)
        resolved = get_store(store)
        expression = None
        if source_arn is not None:
            expression = {
                "Filters": [{"Name": "Source.SourceArn", "Operator": "Equals", "Value": source_arn}]
            }
        records = resolved.search_components(
            experiment_names=[experiment_name] if experiment_name else None,
            trial_names=[trial_name] if trial_name else None,
            unassigned=unassigned,
            search_expression=expression,
            created_before=to_seconds(created_before, "created_before"),
            created_after=to_seconds(created_after, "created_after"),
            sort_by=sort_by,
            sort_order=sort_order,
        )
        return iter([cls(record, resolved) for record in records])

    @classmethod
    def search(
        cls,
        search_expression: SearchExpression | dict[str, Any] | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        max_results: int | None = None,
        store: StoreLike = None,
        **sagemaker_arguments: Any,
    ) -> Iterator[TrialComponent]:
        """Iterate over trial components matching a search expression, sorted in the database.

        ``sort_by`` takes ``CreationTime``, ``Name``, ``metrics.<name>.<stat>`` or
        ``parameters.<name>``; missing values come last in both directions.
        """
        ignore_sagemaker_arguments("TrialComponent.search", sagemaker_arguments)
        resolved = get_store(store)
        records = resolved.search_components(
            search_expression=expression_to_dict(search_expression),
            sort_by=sort_by,
            sort_order=sort_order,
            limit=max_results,
        )
        return iter([cls(record, resolved) for record in records])

    def save(self) -> TrialComponent:
        """Store the changed display name, status, parameters, artifacts and tags.

        Parameters deleted from ``parameters`` since the load are deleted from the store too.
        """
        removed = self._saved_parameters - set(self.parameters)
        self._store.update_component(
            self.trial_component_name,
            display_name=self.display_name,
            status=self.status,
            status_message=self.status_message,
            start_time=to_seconds(self.start_time, "start_time"),
            end_time=to_seconds(self.end_time, "end_time"),
            parameters=self.parameters,
            parameters_to_remove=removed,
            input_artifacts={
                name: {"value": item.value, "media_type": item.media_type}
                for name, item in self.input_artifacts.items()
            },
            output_artifacts={
                name: {"value": item.value, "media_type": item.media_type}
                for name, item in self.output_artifacts.items()
            },
            tags=self.tags,
        )
        self._apply(self._store.get_component(self.trial_component_name))
        return self

    def refresh(self) -> TrialComponent:
        """Reload what is stored, such as metric summaries written by a running job."""
        self._apply(self._store.get_component(self.trial_component_name))
        return self

    def delete(self, force_disassociate: bool = False) -> None:
        """Delete the component; with ``force_disassociate`` remove it from its trials first."""
        self._store.delete_component(self.trial_component_name, force_disassociate)

    def list_trials(self) -> Iterator[Any]:
        """Iterate over the trials that hold this component."""
        from .trial import Trial

        return Trial.list(trial_component_name=self.trial_component_name, store=self._store)

    def metric_series(
        self, metric_name: str, max_points: int | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Return one metric's points (step, timestamp, value) ordered by step."""
        return self._store.get_metric_series(self.trial_component_name, metric_name, max_points)
