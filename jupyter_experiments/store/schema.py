"""Tables of the tracking store, as SQLAlchemy Core metadata.

Times are UTC seconds since the epoch in double-precision columns, which sort and compare the
same way on SQLite and PostgreSQL. A NaN metric value is stored as NULL, because SQLite turns
NaN into NULL on its own and the store must return the same thing on every backend; infinities
are stored as they are.

The Alembic migrations under ``store/migrations`` create exactly these tables; a test compares
the two.
"""

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

#: VARCHAR lengths of a trial component's source; PostgreSQL enforces them, SQLite does not.
MAX_SOURCE_ARN_LENGTH = 2048
MAX_SOURCE_TYPE_LENGTH = 64

# SQLite only auto-increments a column declared exactly as INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(120), nullable=False, unique=True),
    sa.Column("display_name", sa.String(255)),
    sa.Column("description", sa.Text),
    sa.Column("created_at", sa.Double, nullable=False, index=True),
    sa.Column("modified_at", sa.Double, nullable=False),
    # How many distinct trial components the experiment's trials hold, kept by every write that
    # adds or removes a link, so that the table of one experiment needs no count query.
    sa.Column("component_count", sa.Integer, nullable=False, server_default="0"),
)

trials = sa.Table(
    "trials",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(120), nullable=False, unique=True),
    sa.Column("display_name", sa.String(255)),
    sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("experiments.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    ),
    sa.Column("created_at", sa.Double, nullable=False, index=True),
    sa.Column("modified_at", sa.Double, nullable=False),
)

trial_components = sa.Table(
    "trial_components",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(120), nullable=False, unique=True),
    sa.Column("display_name", sa.String(255)),
    sa.Column("status", sa.String(16), index=True),
    sa.Column("status_message", sa.Text),
    sa.Column("start_time", sa.Double),
    sa.Column("end_time", sa.Double),
    sa.Column("created_at", sa.Double, nullable=False, index=True),
    sa.Column("modified_at", sa.Double, nullable=False),
    sa.Column("source_arn", sa.String(MAX_SOURCE_ARN_LENGTH)),
    sa.Column("source_type", sa.String(MAX_SOURCE_TYPE_LENGTH)),
    # A JSON object, kept as text so that both backends read it back the same way.
    sa.Column("job_settings", sa.Text),
)

trial_component_links = sa.Table(
    "trial_component_links",
    metadata,
    sa.Column(
        "trial_id",
        sa.Integer,
        sa.ForeignKey("trials.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "component_id",
        sa.Integer,
        sa.ForeignKey("trial_components.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    sa.Column("created_at", sa.Double, nullable=False),
)

# resource_type is 'experiment', 'trial' or 'component'; rows are deleted with their resource.
tags = sa.Table(
    "tags",
    metadata,
    sa.Column("resource_type", sa.String(16), primary_key=True),
    sa.Column("resource_id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# A component's parameters and metric statistics as JSON objects, rewritten in the transaction
# that changes them; only the REST table query reads these (see store/documents.py). They are
# a table of their own so that scans of trial_components stay short. NULL, or a component
# without a row, means "read the parameters and summaries tables".
component_documents = sa.Table(
    "component_documents",
    metadata,
    sa.Column(
        "component_id",
        sa.Integer,
        sa.ForeignKey("trial_components.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("parameters_json", sa.Text),
    sa.Column("metrics_json", sa.Text),
)

# value_type is 'integer', 'float', 'string' or 'boolean'. string_value holds the exact value of
# every type (repr of numbers), so integers beyond 2**53 and NaN round-trip; number_value holds
# integers, floats and booleans as a double so that sorting and comparing are numeric.
parameters = sa.Table(
    "parameters",
    metadata,
    sa.Column(
        "component_id",
        sa.Integer,
        sa.ForeignKey("trial_components.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("value_type", sa.String(8), nullable=False),
    sa.Column("number_value", sa.Double),
    sa.Column("string_value", sa.Text, nullable=False),
    sa.Index(None, "name", "number_value"),
)

# kind is 'input' or 'output'.
artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column(
        "component_id",
        sa.Integer,
        sa.ForeignKey("trial_components.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("kind", sa.String(6), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("media_type", sa.String(255)),
)

metric_points = sa.Table(
    "metric_points",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "component_id",
        sa.Integer,
        sa.ForeignKey("trial_components.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # Declared in the order of a metric point tuple (name, value, step, timestamp), so that the
    # store can pass the tuples to the driver as they are.
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("value", sa.Double),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("timestamp", sa.Double, nullable=False),
    sa.Index(None, "component_id", "name", "step"),
)

# One row per (component, metric), updated in the same transaction as every batch of points.
# count, min, max, avg and std_dev skip NaN points, which nan_count counts; m2 is the running sum
# of squared deviations of Welford's algorithm, from which std_dev (sample, n - 1) follows.
# first and last are the values at the lowest and highest step; of two points with the same
# step, the one written later wins for last and loses for first.
metric_summaries = sa.Table(
    "metric_summaries",
    metadata,
    sa.Column(
        "component_id",
        sa.Integer,
        sa.ForeignKey("trial_components.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("nan_count", sa.BigInteger, nullable=False),
    sa.Column("min", sa.Double),
    sa.Column("max", sa.Double),
    sa.Column("avg", sa.Double),
    sa.Column("m2", sa.Double),
    sa.Column("std_dev", sa.Double),
    sa.Column("first", sa.Double),
    sa.Column("first_step", sa.BigInteger),
    sa.Column("last", sa.Double),
    sa.Column("last_step", sa.BigInteger),
    sa.Column("last_timestamp", sa.Double),
    sa.Index(None, "name", "min"),
    sa.Index(None, "name", "max"),
    sa.Index(None, "name", "avg"),
    sa.Index(None, "name", "std_dev"),
    sa.Index(None, "name", "last"),
    sa.Index(None, "name", "count"),
)

# An append-only feed of what changed, read by the live-update endpoint with "id > last seen":
# one indexed range query per poll, whichever process wrote. Old rows are pruned.
change_events = sa.Table(
    "change_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("resource_type", sa.String(16), nullable=False),
    sa.Column("resource_name", sa.String(120), nullable=False),
    sa.Column("experiment_name", sa.String(120)),
    sa.Column("trial_name", sa.String(120)),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
)

# Idempotency keys of metric batches: a client that retries a batch sends the same key, and a
# key found here gets the stored result instead of a second write. Each row is written in the
# transaction of its batch, and deleted with its trial component or once older than the store's
# METRIC_BATCH_KEY_RETENTION_S (by created_at, hence its index).
metric_batch_keys = sa.Table(
    "metric_batch_keys",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column(
        "component_id",
        sa.Integer,
        sa.ForeignKey("trial_components.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("written", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False, index=True),
)
