"""Keep each experiment's count of trial components

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 09:00:00.000000

The count is the number of distinct components linked to the experiment's trials, computed here
once from the links and then kept by the store's writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER TABLE on SQLite too (3.35 and later can drop the column again): a batch
    # operation would copy the table, which its trials' foreign keys forbid.
    op.add_column(
        "experiments",
        sa.Column("component_count", sa.Integer(), server_default="0", nullable=False),
    )
    op.execute(
        "UPDATE experiments SET component_count = ("
        "SELECT count(DISTINCT trial_component_links.component_id) "
        "FROM trial_component_links "
        "JOIN trials ON trials.id = trial_component_links.trial_id "
        "WHERE trials.experiment_id = experiments.id)"
    )


def downgrade() -> None:
    op.drop_column("experiments", "component_count")
