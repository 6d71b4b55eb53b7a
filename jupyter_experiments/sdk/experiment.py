"""Experiments: named groups of trials that are compared with each other."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from ..errors import ValidationError
from ..names import generate_name
from ._base import to_datetime, to_seconds
from ._store import StoreLike, get_store, ignore_sagemaker_arguments
from .search_expression import SearchExpression, expression_to_dict


class Experiment:
    """An experiment: a name, a description, tags, and the trials it contains.

    Create one with :meth:`create` or :meth:`load`; change its attributes, then :meth:`save`.
    """

    experiment_name: str
    display_name: str | None
    description: str | None
    tags: dict[str, str]
    creation_time: datetime | None
    last_modified_time: datetime | None
    trial_count: int

    def __init__(self, record: Mapping[str, Any], store: StoreLike = None) -> None:
        self._store = get_store(store)
        self._apply(record)

    def _apply(self, record: Mapping[str, Any]) -> None:
        self.experiment_name = record["name"]
        self.display_name = record.get("display_name")
        self.description = record.get("description")
        self.tags = dict(record.get("tags") or {})
        self.creation_time = to_datetime(record.get("created_at"))
        self.last_modified_time = to_datetime(record.get("modified_at"))
        self.trial_count = int(record.get("trial_count") or 0)

    def __repr__(self) -> str:
        return f"Experiment(experiment_name={self.experiment_name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Experiment) and other.experiment_name == self.experiment_name

    def __hash__(self) -> int:
        return hash(("experiment", self.experiment_name))

    @classmethod
    def create(
        cls,
        experiment_name: str | None = None,
        description: str | None = None,
        display_name: str | None = None,
        tags: Mapping[str, str] | list[dict[str, str]] | None = None,
        store: StoreLike = None,
        **sagemaker_arguments: Any,
    ) -> Experiment:
        """Create an experiment; a name is generated when none is given."""
        ignore_sagemaker_arguments("Experiment.create", sagemaker_arguments)
        resolved = get_store(store)
        record = resolved.create_experiment(
            generate_name("Experiment") if experiment_name is None else experiment_name,
            display_name=display_name,
            description=description,
            tags=tags,  # type: ignore[arg-type]
        )
        return cls(record, resolved)

    @classmethod
    def load(
        cls, experiment_name: str, store: StoreLike = None, **sagemaker_arguments: Any
    ) -> Experiment:
        """Load an existing experiment; raise NotFoundError if there is none by that name."""
        ignore_sagemaker_arguments("Experiment.load", sagemaker_arguments)
        resolved = get_store(store)
        return cls(resolved.get_experiment(experiment_name), resolved)

    @classmethod
    def list(
        cls,
        created_before: datetime | float | None = None,
        created_after: datetime | float | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        store: StoreLike = None,
        **sagemaker_arguments: Any,
    ) -> Iterator[Experiment]:
        """Iterate over experiments, newest first unless ``sort_by`` says otherwise.

        ``sort_by`` is ``Name``, ``CreationTime`` or ``LastModifiedTime``; ``sort_order`` is
        ``Ascending`` or ``Descending``.
        """
        ignore_sagemaker_arguments("Experiment.list", sagemaker_arguments)
        resolved = get_store(store)
        records = resolved.list_experiments(
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
    ) -> Iterator[Experiment]:
        """Iterate over experiments matching a search expression on names, times or tags."""
        ignore_sagemaker_arguments("Experiment.search", sagemaker_arguments)
        resolved = get_store(store)
        records = resolved.list_experiments(
            search_expression=expression_to_dict(search_expression),
            sort_by=sort_by,
            sort_order=sort_order,
            limit=max_results,
        )
        return iter([cls(record, resolved) for record in records])

    def save(self) -> Experiment:
        """Store the changed display name, description and tags."""
        record = self._store.update_experiment(
            self.experiment_name,
            display_name=self.display_name,
            description=self.description,
            tags=self.tags,
        )
        self._apply(record)
        return self

    def delete(self) -> None:
        """Delete the experiment; raise ConflictError while it still has trials."""
        self._store.delete_experiment(self.experiment_name, force=False)

    def delete_all(self, action: str) -> dict[str, Any]:
        """Delete the experiment with its trials and the trial components no other experiment uses.

        ``action`` must be ``"--force"``, as in the SageMaker SDK, so that a mistyped call
        does not delete anything. Returns what was deleted and which shared components were kept.
        """
        if action != "--force":
            raise ValidationError(
                f"Invalid action {action!r}: call delete_all(action='--force') to delete the "
                "experiment with all its trials and their trial components."
            )
        return self._store.delete_experiment(self.experiment_name, force=True)

    def list_trials(
        self,
        created_before: datetime | float | None = None,
        created_after: datetime | float | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> Iterator[Any]:
        """Iterate over the experiment's trials."""
        from .trial import Trial

        return Trial.list(
            experiment_name=self.experiment_name,
            created_before=created_before,
            created_after=created_after,
            sort_by=sort_by,
            sort_order=sort_order,
            store=self._store,
        )

    def create_trial(self, trial_name: str | None = None, trial_name_prefix: str = "Trial") -> Any:
        """Create a trial in this experiment; its name is generated from the prefix if not given."""
        from .trial import Trial

        return Trial.create(
            experiment_name=self.experiment_name,
            trial_name=generate_name(trial_name_prefix) if trial_name is None else trial_name,
            store=self._store,
        )
