"""Create the tracking store tables

Revision ID: 0001
Revises:
Create Date: 2026-12-04 20:16:23.304931
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "change_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("resource_name", sa.String(length=120), nullable=False),
        sa.Column("experiment_name", sa.String(length=120), nullable=True),
        sa.Column("trial_name", sa.String(length=120), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_events")),
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("modified_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("name", name=op.f("uq_experiments_name")),
    )
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_experiments_created_at"), ["created_at"], unique=False)

    op.create_table(
        "tags",
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("resource_type", "resource_id", "key", name=op.f("pk_tags")),
    )
    op.create_table(
        "trial_components",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("start_time", sa.Double(), nullable=True),
        sa.Column("end_time", sa.Double(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("modified_at", sa.Double(), nullable=False),
        sa.Column("source_arn", sa.String(length=2048), nullable=True),
        sa.Column("source_type", sa.String(length=64), nullable=True),
        sa.Column("job_settings", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_components")),
        sa.UniqueConstraint("name", name=op.f("uq_trial_components_name")),
    )
    with op.batch_alter_table("trial_components", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trial_components_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_trial_components_status"), ["status"], unique=False)

    op.create_table(
        "artifacts",
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["trial_components.id"],
            name=op.f("fk_artifacts_component_id_trial_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("component_id", "kind", "name", name=op.f("pk_artifacts")),
    )
    op.create_table(
        "metric_points",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("timestamp", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["trial_components.id"],
            name=op.f("fk_metric_points_component_id_trial_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_points")),
    )
    with op.batch_alter_table("metric_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_metric_points_component_id_name_step"),
            ["component_id", "name", "step"],
            unique=False,
        )

    op.create_table(
        "metric_summaries",
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("nan_count", sa.BigInteger(), nullable=False),
        sa.Column("min", sa.Double(), nullable=True),
        sa.Column("max", sa.Double(), nullable=True),
        sa.Column("avg", sa.Double(), nullable=True),
        sa.Column("m2", sa.Double(), nullable=True),
        sa.Column("std_dev", sa.Double(), nullable=True),
        sa.Column("first", sa.Double(), nullable=True),
        sa.Column("first_step", sa.BigInteger(), nullable=True),
        sa.Column("last", sa.Double(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("last_timestamp", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["trial_components.id"],
            name=op.f("fk_metric_summaries_component_id_trial_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("component_id", "name", name=op.f("pk_metric_summaries")),
    )
    with op.batch_alter_table("metric_summaries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_metric_summaries_name_avg"), ["name", "avg"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_metric_summaries_name_count"), ["name", "count"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_metric_summaries_name_last"), ["name", "last"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_metric_summaries_name_max"), ["name", "max"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_metric_summaries_name_min"), ["name", "min"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_metric_summaries_name_std_dev"), ["name", "std_dev"], unique=False
        )

    op.create_table(
        "parameters",
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value_type", sa.String(length=8), nullable=False),
        sa.Column("number_value", sa.Double(), nullable=True),
        sa.Column("string_value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["trial_components.id"],
            name=op.f("fk_parameters_component_id_trial_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("component_id", "name", name=op.f("pk_parameters")),
    )
    with op.batch_alter_table("parameters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parameters_name_number_value"), ["name", "number_value"], unique=False
        )

    op.create_table(
        "trials",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("modified_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_trials_experiment_id_experiments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trials")),
        sa.UniqueConstraint("name", name=op.f("uq_trials_name")),
    )
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trials_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_trials_experiment_id"), ["experiment_id"], unique=False
        )

    op.create_table(
        "trial_component_links",
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["trial_components.id"],
            name=op.f("fk_trial_component_links_component_id_trial_components"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trials.id"],
            name=op.f("fk_trial_component_links_trial_id_trials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("trial_id", "component_id", name=op.f("pk_trial_component_links")),
    )
    with op.batch_alter_table("trial_component_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trial_component_links_component_id"), ["component_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("trial_component_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trial_component_links_component_id"))

    op.drop_table("trial_component_links")
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trials_experiment_id"))
        batch_op.drop_index(batch_op.f("ix_trials_created_at"))

    op.drop_table("trials")
    with op.batch_alter_table("parameters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parameters_name_number_value"))

    op.drop_table("parameters")
    with op.batch_alter_table("metric_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_summaries_name_std_dev"))
        batch_op.drop_index(batch_op.f("ix_metric_summaries_name_min"))
        batch_op.drop_index(batch_op.f("ix_metric_summaries_name_max"))
        batch_op.drop_index(batch_op.f("ix_metric_summaries_name_last"))
        batch_op.drop_index(batch_op.f("ix_metric_summaries_name_count"))
        batch_op.drop_index(batch_op.f("ix_metric_summaries_name_avg"))

    op.drop_table("metric_summaries")
    with op.batch_alter_table("metric_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_points_component_id_name_step"))

    op.drop_table("metric_points")
    op.drop_table("artifacts")
    with op.batch_alter_table("trial_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trial_components_status"))
        batch_op.drop_index(batch_op.f("ix_trial_components_created_at"))

    op.drop_table("trial_components")
    op.drop_table("tags")
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_experiments_created_at"))

    op.drop_table("experiments")
    op.drop_table("change_events")
