"""Index the creation time of metric batch keys, which old keys are deleted by

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-19 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("metric_batch_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_metric_batch_keys_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("metric_batch_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_batch_keys_created_at"))
