"""jupyter-experiments: track machine-learning experiments and compare trials in JupyterLab."""

from .analytics import ExperimentAnalytics
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

__version__ = "0.1.0"

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
