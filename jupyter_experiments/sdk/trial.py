"""Trials: one run of an experiment, made of trial components such as preprocessing and training."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from ..errors import NotFoundError, ValidationError
from ..names import generate_name
from ._base import to_datetime, to_seconds
from ._store import StoreLike, get_store, ignore_sagemaker_arguments
from .search_expression import SearchExpression, expression_to_dict


def component_name_of(value: Any) -> str:
    """Return the trial component name of a Tracker, a TrialComponent or a name."""
    from .tracker import Tracker
    from .trial_component import TrialComponent

    if isinstance(value, Tracker):
        return value.trial_component.trial_component_name
    if isinstance(value, TrialComponent):
        return value.trial_component_name
    if isinstance(value, str):
        return value
    raise ValidationError(
        f"Invalid trial component {value!r}: pass a Tracker, a TrialComponent or a trial "
        "component name."
    )


class Trial:
    """A trial of one experiment, holding trial components (many-to-many)."""

    trial_name: str
    experiment_name: str
    display_name: str | None
    tags: dict[str, str]
    creation_time: datetime | None
    last_modified_time: datetime | None
    component_count: int
    status_counts: dict[str, int]

    def __init__(self, record: Mapping[str, Any], store: StoreLike = None) -> None:
        self._store = get_store(store)
        self._apply(record)

    def _apply(self, record: Mapping[str, Any]) -> None:
        self.trial_name = record["name"]
        self.experiment_name = record["experiment_name"]
        self.display_name = record.get("display_name")
        self.tags = dict(record.get("tags") or {})
        self.creation_time = to_datetime(record.get("created_at"))
        self.last_modified_time = to_datetime(record.get("modified_at"))
        self.component_count = int(record.get("component_count") or 0)
        self.status_counts = dict(record.get("status_counts") or {})

    def __repr__(self) -> str:
        return f"Trial(trial_name={self.trial_name!r}, experiment_name={self.experiment_name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Trial) and other.trial_name == self.trial_name

    def __hash__(self) -> int:
        return hash(("trial", self.trial_name))

    @classmethod
    def create(
        cls,
        experiment_name: str,
        trial_name: str | None = None,
        trial_components: Iterable[Any] | None = None,
        tags: Mapping[str, str] | list[dict[str, str]] | None = None,
        display_name: str | None = None,
        store: StoreLike = None,
        **sagemaker_arguments: Any,
    ) -> Trial:
        """Create a trial in an existing experiment, optionally with trial components."""
        ignore_sagemaker_arguments("Trial.create", sagemaker_arguments)
        resolved = get_store(store)
        names = [component_name_of(item) for item in trial_components or []]
        # Checked before the trial is created, so that a missing component leaves nothing behind.
        for name in names:
            if not resolved.component_exists(name):
                raise NotFoundError(
                    f"Trial component {name!r} not found. Check the name, or list them with "
                    "TrialComponent.list()."
                )
        record = resolved.create_trial(
            generate_name("Trial") if trial_name is None else trial_name,
            experiment_name,
            display_name=display_name,
            tags=tags,  # type: ignore[arg-type]
        )
        trial = cls(record, resolved)
        for name in names:
            trial.add_trial_component(name)
        return trial

    @classmethod
    def load(cls, trial_name: str, store: StoreLike = None, **sagemaker_arguments: Any) -> Trial:
        """Load an existing trial; raise NotFoundError if there is none by that name."""
        ignore_sagemaker_arguments("Trial.load", sagemaker_arguments)
        resolved = get_store(store)
        return cls(resolved.get_trial(trial_name), resolved)

    @classmethod
    def list(
        cls,
        experiment_name: str | None = None,
        trial_component_name: str | None = None,
        created_before: datetime | float | None = None,
        created_after: datetime | float | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        store: StoreLike = None,
        **sagemaker_arguments: Any,
    ) -> Iterator[Trial]:
        """Iterate over trials, of one experiment or holding one component if given."""
        ignore_sagemaker_arguments("Trial.list", sagemaker_arguments)
        resolved = get_store(store)
        records = resolved.list_trials(
            experiment_name=experiment_name,
            component_name=trial_component_name,
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
    ) -> Iterator[Trial]:
        """Iterate over trials matching a search expression (``TrialName``, ``ExperimentName``…)."""
        ignore_sagemaker_arguments("Trial.search", sagemaker_arguments)
        resolved = get_store(store)
        records = resolved.list_trials(
            search_expression=expression_to_dict(search_expression),
            sort_by=sort_by,
            sort_order=sort_order,
            limit=max_results,
        )
        return iter([cls(record, resolved) for record in records])

    def save(self) -> Trial:
        """Store the changed display name and tags."""
        self._apply(
            self._store.update_trial(
                self.trial_name, display_name=self.display_name, tags=self.tags
            )
        )
        return self

    def delete(self) -> None:
        """Delete the trial; its trial components are kept."""
        self._store.delete_trial(self.trial_name)

    def delete_all(self, action: str) -> dict[str, Any]:
        """Delete the trial and the trial components that no other trial uses.

        ``action`` must be ``"--force"``; components shared with other trials are kept.
        """
        if action != "--force":
            raise ValidationError(
                f"Invalid action {action!r}: call delete_all(action='--force') to delete the "
                "trial with its trial components."
            )
        return self._store.delete_trial(self.trial_name, delete_components=True)

    def add_trial_component(self, trial_component: Any) -> None:
        """Add a Tracker's component, a TrialComponent or a component name to this trial."""
        self._store.associate(self.trial_name, component_name_of(trial_component))

    def remove_trial_component(self, trial_component: Any) -> None:
        """Remove a component from this trial; the component is kept."""
        self._store.disassociate(self.trial_name, component_name_of(trial_component))

    def list_trial_components(
        self,
        created_before: datetime | float | None = None,
        created_after: datetime | float | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> Iterator[Any]:
        """Iterate over this trial's components."""
        from .trial_component import TrialComponent

        return TrialComponent.list(
            trial_name=self.trial_name,
            created_before=created_before,
            created_after=created_after,
            sort_by=sort_by,
            sort_order=sort_order,
            store=self._store,
        )
