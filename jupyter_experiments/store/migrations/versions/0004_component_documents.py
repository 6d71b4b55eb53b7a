"""Keep each trial component's parameters and metric statistics as JSON documents

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 06:00:00.000000

Every existing component gets a row with NULL documents, filled when its parameters or metrics
next change; until then the REST table query reads its values from the tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "component_documents",
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("parameters_json", sa.Text(), nullable=True),
        sa.Column("metrics_json", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["trial_components.id"],
            name=op.f("fk_component_documents_component_id_trial_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("component_id", name=op.f("pk_component_documents")),
    )
    op.execute("INSERT INTO component_documents (component_id) SELECT id FROM trial_components")


def downgrade() -> None:
    op.drop_table("component_documents")
