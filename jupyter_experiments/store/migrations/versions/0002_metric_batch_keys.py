"""Add the idempotency keys of metric batches

Revision ID: 0002
Revises: 0001
Create Date: 2027-01-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metric_batch_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("written", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["trial_components.id"],
            name=op.f("fk_metric_batch_keys_component_id_trial_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_metric_batch_keys")),
    )
    with op.batch_alter_table("metric_batch_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_metric_batch_keys_component_id"), ["component_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("metric_batch_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_batch_keys_component_id"))

    op.drop_table("metric_batch_keys")
