"""jupyter-experiments: track machine-learning experiments and compare trials in JupyterLab."""

from typing import TYPE_CHECKING

from .errors import ConflictError, NotFoundError, SchemaVersionError, ValidationError
from .sdk import (
    BooleanOperator,
    Experiment,
    Filter,
    NestedFilter,
    Operator,
    SearchExpression,
    Tracker,
    Trial,
    TrialComponent,
)

if TYPE_CHECKING:
    from .analytics import ExperimentAnalytics

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # pandas takes about half a second to import; training scripts that only need Tracker
    # should not pay for it, so ExperimentAnalytics is imported on first use.
    if name == "ExperimentAnalytics":
        from .analytics import ExperimentAnalytics

        return ExperimentAnalytics
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BooleanOperator",
    "ConflictError",
    "Experiment",
    "ExperimentAnalytics",
    "Filter",
    "NestedFilter",
    "NotFoundError",
    "Operator",
    "SchemaVersionError",
    "SearchExpression",
    "Tracker",
    "Trial",
    "TrialComponent",
    "ValidationError",
    "__version__",
]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Return where JupyterLab finds the prebuilt Lab extension of this package."""
    return [{"src": "labextension", "dest": "jupyter-experiments"}]
