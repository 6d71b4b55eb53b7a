"""The statements that load what a page of trial components shows, given the page's ids.

Each takes the ids as the one list parameter ``ids`` (except the count of an experiment's
components, which takes its name) and runs on the driver's cursor through
:class:`~jupyter_experiments.store.driver.DriverQuery`. ``TrackingStore._load_components``
turns their rows into records.
"""

from __future__ import annotations

import sqlalchemy as sa

from .collation import CodePointText
from .driver import DriverQuery, InList
from .schema import (
    artifacts,
    component_documents,
    experiments,
    metric_summaries,
    parameters,
    tags,
    trial_component_links,
    trial_components,
    trials,
)

#: The keys of a row of :data:`COMPONENTS`, in order. :data:`COMPONENTS_WITH_DOCUMENTS` adds
#: the parameters and metrics documents after them.
COMPONENT_KEYS = tuple(column.name for column in trial_components.c)

COMPONENTS = DriverQuery(sa.select(trial_components).where(InList(trial_components.c.id, "ids")))

COMPONENTS_WITH_DOCUMENTS = DriverQuery(
    sa.select(
        trial_components,
        component_documents.c.parameters_json,
        component_documents.c.metrics_json,
    )
    .select_from(
        trial_components.outerjoin(
            component_documents, component_documents.c.component_id == trial_components.c.id
        )
    )
    .where(InList(trial_components.c.id, "ids"))
)

PARAMETERS = DriverQuery(
    sa.select(
        parameters.c.component_id,
        parameters.c.name,
        parameters.c.value_type,
        parameters.c.string_value,
    ).where(InList(parameters.c.component_id, "ids"))
)

ARTIFACTS = DriverQuery(
    sa.select(
        artifacts.c.component_id,
        artifacts.c.kind,
        artifacts.c.name,
        artifacts.c.value,
        artifacts.c.media_type,
    ).where(InList(artifacts.c.component_id, "ids"))
)

SUMMARIES = DriverQuery(
    sa.select(
        metric_summaries.c.component_id,
        metric_summaries.c.name,
        metric_summaries.c.min,
        metric_summaries.c.max,
        metric_summaries.c.avg,
        metric_summaries.c.std_dev,
        metric_summaries.c.last,
        metric_summaries.c.first,
        metric_summaries.c.count,
        metric_summaries.c.nan_count,
        metric_summaries.c.last_step,
        metric_summaries.c.last_timestamp,
    ).where(InList(metric_summaries.c.component_id, "ids"))
)

#: A component's trials and their experiments, in the order the component joined them.
PARENTS = DriverQuery(
    sa.select(trial_component_links.c.component_id, trials.c.name, experiments.c.name)
    .join(trials, trials.c.id == trial_component_links.c.trial_id)
    .join(experiments, experiments.c.id == trials.c.experiment_id)
    .where(InList(trial_component_links.c.component_id, "ids"))
    .order_by(trial_component_links.c.created_at, CodePointText(trials.c.name))
)

TAGS = DriverQuery(
    sa.select(tags.c.resource_id, tags.c.key, tags.c.value).where(
        tags.c.resource_type == "component", InList(tags.c.resource_id, "ids")
    )
)

#: The count of an experiment's trial components that the store's writes keep.
EXPERIMENT_COMPONENT_COUNT = DriverQuery(
    sa.select(experiments.c.component_count).where(experiments.c.name == sa.bindparam("name")),
    lists=(),
)
