"""Selection of the trial components a widget shows: an experiment, a search or an analytics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError
from ..sdk._store import StoreLike, get_store
from ..sdk.search_expression import SearchExpression, expression_to_dict
from ..store import TrackingStore
from ..store.search import compile_expression

if TYPE_CHECKING:
    from ..analytics import ExperimentAnalytics


@dataclass(frozen=True)
class Source:
    """The store and the selection arguments of a widget, with an analytics' preferences.

    ``sort_by``, ``sort_order``, ``parameter_names`` and ``metric_names`` come from an
    :class:`ExperimentAnalytics` when one is given, and are None otherwise.
    """

    store: TrackingStore
    experiment_name: str | None
    search_expression: dict[str, Any] | None
    sort_by: str | None = None
    sort_order: str | None = None
    parameter_names: list[str] | None = None
    metric_names: list[str] | None = None


def resolve_source(
    experiment_name: str | None = None,
    search_expression: SearchExpression | Mapping[str, Any] | None = None,
    analytics: ExperimentAnalytics | None = None,
    store: StoreLike = None,
) -> Source:
    """Return the source of a widget from exactly one kind of selection.

    An experiment name and a search expression may be combined (the expression narrows the
    experiment); an analytics brings its own experiment, expression and store.
    """
    if analytics is not None:
        if experiment_name is not None or search_expression is not None:
            raise ValidationError(
                "Pass either analytics= or experiment_name=/search_expression=, not both: an "
                "ExperimentAnalytics already names its experiment and search expression."
            )
        # The analytics keeps its selection in private attributes; reading them here keeps
        # widgets paging through the store instead of loading the whole DataFrame.
        return Source(
            store=analytics._store,
            experiment_name=analytics.experiment_name,
            search_expression=analytics._expression,
            sort_by=analytics.sort_by,
            sort_order=analytics.sort_order,
            parameter_names=analytics.parameter_names,
            metric_names=analytics.metric_names,
        )
    resolved = get_store(store)
    expression = check_search_expression(search_expression)
    if experiment_name is not None:
        # Raises NotFoundError with a hint when the experiment does not exist.
        resolved.get_experiment(experiment_name)
    return Source(store=resolved, experiment_name=experiment_name, search_expression=expression)


def check_search_expression(
    expression: SearchExpression | Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    """Return a search expression as plain data after checking that the store can compile it."""
    plain = expression_to_dict(dict(expression) if isinstance(expression, Mapping) else expression)
    # Compiling raises ValidationError naming the bad filter, before any widget shows.
    compile_expression("component", plain)
    return plain


def search_arguments(
    experiment_name: str | None, search_expression: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Return the selection keyword arguments of :meth:`TrackingStore.search_components`."""
    return {
        "experiment_names": [experiment_name] if experiment_name else None,
        "search_expression": dict(search_expression) if search_expression else None,
    }
