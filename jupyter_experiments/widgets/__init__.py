"""Notebook widgets: a table of trial components and bqplot charts of their metrics.

Both widgets read the tracking store directly, page or cap what they load, and can follow the
store's change feed in live mode::

    from jupyter_experiments.widgets import MetricChart, TrialComponentTable

    table = TrialComponentTable("mnist")
    chart = MetricChart("mnist", metric="test:loss", x_parameter="hidden_channels")
    table.link_chart(chart)
"""

from .chart import MetricChart
from .table import TrialComponentTable

__all__ = ["MetricChart", "TrialComponentTable"]
