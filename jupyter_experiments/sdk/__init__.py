"""The Python SDK: experiments, trials, trial components, trackers and search expressions."""

from .experiment import Experiment
from .search_expression import BooleanOperator, Filter, NestedFilter, Operator, SearchExpression
from .tracker import Tracker
from .trial import Trial
from .trial_component import MetricSummary, TrialComponent, TrialComponentArtifact

__all__ = [
    "BooleanOperator",
    "Experiment",
    "Filter",
    "MetricSummary",
    "NestedFilter",
    "Operator",
    "SearchExpression",
    "Tracker",
    "Trial",
    "TrialComponent",
    "TrialComponentArtifact",
]
