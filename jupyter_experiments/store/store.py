"""The tracking store: every read and write of experiments, trials and trial components.

One :class:`TrackingStore` wraps one SQLAlchemy engine and is safe to share between threads;
several processes may open the same database at once. Records come back as plain dictionaries
(times in UTC seconds since the epoch) so that the SDK, the job runner and the REST API can each
shape them as they need.

Every write runs in one transaction: a rejected input raises before anything is written, and a
failure part-way rolls the whole call back, so what was recorded before stays intact.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError, OperationalError

from ..errors import ConflictError, NotFoundError, ValidationError
from ..limits import (
    MAX_ARTIFACT_VALUE_LENGTH,
    MAX_ARTIFACTS_PER_COMPONENT,
    MAX_METRIC_BATCH,
    MAX_METRICS_PER_COMPONENT,
    MAX_PARAMETERS_PER_COMPONENT,
)
from ..validation import (
    check_display_name,
    check_key,
    check_metric_value,
    check_name,
    check_parameter_value,
    check_status,
    check_tags,
    check_text,
    to_epoch_seconds,
)
from . import component_rows, migrations
from .collation import CodePointText
from .documents import JSONDocument, metrics_document, parameters_document, summary_entry
from .driver import DriverQuery, InList
from .engine import READ_ONLY_OPTION, create_engine, resolve_db_url
from .schema import (
    MAX_SOURCE_ARN_LENGTH,
    MAX_SOURCE_TYPE_LENGTH,
    change_events,
    component_documents,
    experiments,
    metric_batch_keys,
    metric_points,
    metric_summaries,
    trial_component_links,
    trial_components,
    trials,
)
from .schema import artifacts as artifacts_table
from .schema import parameters as parameters_table
from .schema import tags as tags_table
from .search import compile_expression, is_descending, metric_sort_key, order_by
from .summaries import Summary, nan_to_none

log = logging.getLogger("jupyter_experiments.store")

T = TypeVar("T")

#: Attempts of a write transaction that hits a lock or a serialization failure.
MAX_WRITE_ATTEMPTS = 8

#: Change events older than this are pruned.
CHANGE_EVENT_RETENTION_S = 3600.0

#: Idempotency keys of metric batches older than this are deleted. A client sends a batch
#: again only while it retries (minutes) or until its next flush, so a week is far beyond
#: the time in which a key can come back.
METRIC_BATCH_KEY_RETENTION_S = 7 * 24 * 3600.0

#: Shortest time between two deletions of old metric batch keys by one store object.
METRIC_BATCH_KEY_PRUNE_INTERVAL_S = 3600.0

#: A page sorted by a metric statistic is first looked for among this many candidates per row
#: of the page, read in the order of the summaries' index. A selection of less than about an
#: eighth of the components with the metric rarely fills it there, so the whole selection is
#: read instead.
FIRST_CANDIDATES_PER_ROW = 8

#: The deepest page (offset + limit) for which that first look is tried.
FIRST_CANDIDATES_MAX_ROWS = 500

#: PostgreSQL channel on which each write transaction announces its change event at commit;
#: the payload is the change id. The server's live-update feed LISTENs on it.
CHANGE_NOTIFY_CHANNEL = "jupyter_experiments_changes"

#: Key of the PostgreSQL advisory lock that makes change events commit in id order.
CHANGE_EVENT_LOCK_KEY = 0x6A65_785F_6368_6E67

#: SQLSTATEs after which a PostgreSQL write transaction is retried: serialization failure,
#: deadlock detected, and lock not available (a lock_timeout set for the role or database).
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})

#: Messages of SQLite errors after which a write transaction is retried.
SQLITE_BUSY_MESSAGES = ("database is locked", "database is busy")

#: Range of a metric step: the BIGINT column of both backends.
MIN_STEP = -(2**63)
MAX_STEP = 2**63 - 1

RowLock = Literal["share", "update", "delete"]
"""Kind of row lock a write transaction takes, by purpose; see :func:`_with_row_lock`."""

MetricPoint = tuple[str, float, int, float]
"""A metric point to write: (name, value, step, timestamp in UTC epoch seconds)."""

POINT_FIELDS = ("name", "value", "step", "timestamp")

_SUMMARY_FIELDS = ("min", "max", "avg", "std_dev", "last", "first", "count")


def _now() -> float:
    """Return the current UTC epoch time rounded to microseconds.

    The SDK shows times as datetimes, which have microsecond resolution. Rounding keeps such a
    datetime equal to the stored time, so that a filter like CreationTime Equals matches it.
    """
    return round(time.time(), 6)


def _none_to_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _check_storable(value: str | None, what: str) -> str | None:
    """Return ``value`` unless it contains a character that a backend cannot store as text.

    PostgreSQL rejects NUL in text columns, and a lone surrogate is not valid UTF-8 anywhere.
    Both are rejected on every backend, so that a store can move from SQLite to PostgreSQL.
    """
    if value is None:
        return None
    if "\x00" in value:
        raise ValidationError(
            f"Invalid {what}: it contains a NUL character ('\\x00'), which PostgreSQL cannot "
            "store in text. Remove it, or log the value as an artifact."
        )
    surrogate = _SURROGATES.search(value)
    if surrogate is not None:
        raise ValidationError(
            f"Invalid {what}: it contains the lone surrogate {surrogate.group()!r}, which is not "
            "valid UTF-8. Decode the text with errors='replace' first."
        )
    return value


def check_step(metric_name: str, step: object) -> int:
    """Return ``step`` if it is an integer that fits the BIGINT step column of every backend."""
    if isinstance(step, bool) or not isinstance(step, int):
        raise ValidationError(
            f"Invalid step {step!r} for metric {metric_name!r}: steps are integers."
        )
    if not MIN_STEP <= step <= MAX_STEP:
        raise ValidationError(
            f"Invalid step {step} for metric {metric_name!r}: steps are 64-bit integers, from "
            f"{MIN_STEP} to {MAX_STEP}."
        )
    return step


def _check_timestamp(metric_name: str, timestamp: object) -> float:
    # SQLite stores a NaN timestamp as NULL, which its NOT NULL constraint rejects, while
    # PostgreSQL would keep it; neither is a time, on any backend.
    if (
        isinstance(timestamp, bool)
        or not isinstance(timestamp, (int, float))
        or not math.isfinite(timestamp)
    ):
        raise ValidationError(
            f"Invalid timestamp {timestamp!r} for metric {metric_name!r}: use a finite number "
            "of seconds since the epoch."
        )
    return float(timestamp)


def _check_source(value: Any, what: str, limit: int) -> str | None:
    """Return a source ARN or type if it is None or storable text of at most ``limit`` characters.

    PostgreSQL enforces the VARCHAR length, which SQLite ignores, so it is checked here.
    """
    return _check_storable(check_text(value, what, limit), what)


def _with_row_lock(query: sa.Select[Any], lock: RowLock) -> sa.Select[Any]:
    """Return ``query`` locking the rows it reads until the transaction ends, on PostgreSQL.

    "share" (FOR KEY SHARE) keeps a parent row from being deleted while a child row is added.
    "update" (FOR NO KEY UPDATE) makes the writers of one resource wait for each other.
    "delete" (FOR UPDATE) waits for every writer of the row and for every transaction that
    adds a child to it. SQLite needs no row locks, because its write transactions exclude each
    other, and SQLAlchemy renders none there.
    """
    if lock == "share":
        return query.with_for_update(read=True, key_share=True)
    if lock == "update":
        return query.with_for_update(key_share=True)
    return query.with_for_update()


def _check_tags(tags: object) -> dict[str, str]:
    """Return tags as :func:`check_tags` does, once every value is storable text."""
    checked = check_tags(tags)
    for key, value in checked.items():
        _check_storable(value, f"value of tag {key!r}")
    return checked


def _check_time(value: Any, what: str) -> float | None:
    """Return a time as epoch seconds; NaN and infinities are no times on any backend."""
    return None if value is None else to_epoch_seconds(value, what)


def _int_as_number(value: int) -> float:
    # Beyond the range of a double an integer sorts as an infinity of its sign; its exact value
    # stays in string_value.
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _encode_parameter(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"value_type": "boolean", "number_value": float(value), "string_value": str(value)}
    if isinstance(value, int):
        return {
            "value_type": "integer",
            "number_value": _int_as_number(value),
            "string_value": str(value),
        }
    if isinstance(value, float):
        return {
            "value_type": "float",
            "number_value": nan_to_none(value),
            "string_value": repr(value),
        }
    return {"value_type": "string", "number_value": None, "string_value": value}


def decode_parameter(value_type: str, string_value: str) -> Any:
    """Return a stored parameter value with its original Python type."""
    if value_type == "boolean":
        return string_value == "True"
    if value_type == "integer":
        return int(string_value)
    if value_type == "float":
        return float(string_value)
    return string_value


class TrackingStore:
    """Read and write experiments, trials, trial components and their metrics.

    Parameters
    ----------
    url:
        A SQLAlchemy URL or the path of a SQLite file. None uses ``JUPYTER_EXPERIMENTS_DB_URL``
        or, without it, ``experiments.db`` in the Jupyter data directory.
    """

    def __init__(self, url: str | None = None, *, engine: sa.Engine | None = None) -> None:
        self.url = resolve_db_url(url)
        self.engine = engine or create_engine(self.url)
        # time.monotonic() after which the next keyed metric batch deletes old keys.
        self._next_key_prune_at = 0.0
        try:
            migrations.ensure_schema(self.engine)
        except BaseException:
            if engine is None:
                self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"TrackingStore({self.engine.url.render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        """Backend name: 'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()

    # -- transactions -----------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self.engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
            yield connection

    def _write(self, work: Callable[[sa.Connection], T], what: str) -> T:
        """Run ``work`` in one write transaction, retrying when the database is busy.

        SQLite waits up to its busy timeout for the lock; PostgreSQL may abort a transaction on
        a serialization failure or deadlock. Both are retried with a jittered back-off so that
        "database is locked" does not reach the user under ordinary contention.
        """
        delay = 0.05
        for attempt in range(1, MAX_WRITE_ATTEMPTS + 1):
            try:
                with self.engine.begin() as connection:
                    return work(connection)
            except OperationalError as error:
                if not self._is_retryable(error) or attempt == MAX_WRITE_ATTEMPTS:
                    log.error("Write '%s' failed after %d attempts: %s", what, attempt, error)
                    raise
                log.warning(
                    "Write '%s' found the store busy (attempt %d of %d), retrying in %.2f s",
                    what,
                    attempt,
                    MAX_WRITE_ATTEMPTS,
                    delay,
                )
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")

    def _dry_run(self, work: Callable[[sa.Connection], T], what: str) -> T:
        """Run ``work`` in a write transaction and roll it back; return its result."""

        def rolled_back(connection: sa.Connection) -> T:
            result = work(connection)
            raise _RolledBack(result)

        try:
            self._write(rolled_back, f"{what} (dry run)")
        except _RolledBack as outcome:
            return outcome.result
        raise AssertionError("unreachable")

    @staticmethod
    def _is_retryable(error: OperationalError) -> bool:
        # PostgreSQL words its messages in the server's lc_messages language, so its errors are
        # recognized by SQLSTATE. sqlite3 errors have only the message.
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate is not None:
            return sqlstate in RETRYABLE_SQLSTATES
        text = str(error.orig).lower()
        return any(marker in text for marker in SQLITE_BUSY_MESSAGES)

    def _record_change(
        self,
        connection: sa.Connection,
        resource_type: str,
        name: str,
        action: str,
        experiment_name: str | None = None,
        trial_name: str | None = None,
    ) -> None:
        """Append a change event; call it last in a write transaction.

        On PostgreSQL it also sends the change id on :data:`CHANGE_NOTIFY_CHANNEL`, delivered
        at commit. Ids come from a sequence there, so one transaction could commit after
        another that took a higher id, and a reader that had moved past that id would miss the
        event. A transaction-scoped advisory lock, taken before the id and held until commit,
        makes events commit in id order. It serializes only the end of write transactions,
        which is why this call comes last.
        """
        insert = change_events.insert().values(
            resource_type=resource_type,
            resource_name=name,
            experiment_name=experiment_name,
            trial_name=trial_name,
            action=action,
            created_at=time.time(),
        )
        if self.dialect != "postgresql":
            # SQLite's write transactions already commit one after another.
            connection.execute(insert)
            return

        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(CHANGE_EVENT_LOCK_KEY)))
        change_id = connection.execute(insert.returning(change_events.c.id)).scalar_one()
        connection.execute(sa.select(sa.func.pg_notify(CHANGE_NOTIFY_CHANNEL, str(change_id))))

    # -- lookups ----------------------------------------------------------------------------

    @staticmethod
    def _id_of(
        connection: sa.Connection,
        table: sa.Table,
        name: str,
        what: str,
        lock: RowLock | None = None,
    ) -> int:
        """Return the id of a named row, locking it with ``lock`` (see :func:`_with_row_lock`)."""
        query = sa.select(table.c.id).where(table.c.name == name)
        if lock is not None:
            query = _with_row_lock(query, lock)
        row_id = connection.execute(query).scalar()
        if row_id is None:
            raise _not_found(what, name)
        return int(row_id)

    def _load_tags(
        self, connection: sa.Connection, resource_type: str, ids: Sequence[int]
    ) -> dict[int, dict[str, str]]:
        result: dict[int, dict[str, str]] = defaultdict(dict)
        if not ids:
            return result
        rows = connection.execute(
            sa.select(tags_table.c.resource_id, tags_table.c.key, tags_table.c.value).where(
                tags_table.c.resource_type == resource_type,
                tags_table.c.resource_id.in_(sa.bindparam("ids", expanding=True)),
            ),
            {"ids": list(ids)},
        )
        for resource_id, key, value in rows:
            result[resource_id][key] = value
        return result

    def _replace_tags(
        self,
        connection: sa.Connection,
        resource_type: str,
        resource_id: int,
        new_tags: Mapping[str, str] | None,
    ) -> None:
        if new_tags is None:
            return
        connection.execute(
            tags_table.delete().where(
                tags_table.c.resource_type == resource_type, tags_table.c.resource_id == resource_id
            )
        )
        if new_tags:
            connection.execute(
                tags_table.insert(),
                [
                    {
                        "resource_type": resource_type,
                        "resource_id": resource_id,
                        "key": k,
                        "value": v,
                    }
                    for k, v in new_tags.items()
                ],
            )

    # -- experiments ------------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        display_name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create an experiment; raise :class:`ConflictError` if the name is taken."""
        check_name(name, "experiment name")
        display_name = check_display_name(display_name)
        description = _check_storable(check_text(description, "description"), "description")
        checked_tags = _check_tags(tags)

        def work(connection: sa.Connection) -> None:
            now = _now()
            try:
                experiment_id = connection.execute(
                    experiments.insert().values(
                        name=name,
                        display_name=display_name or name,
                        description=description,
                        created_at=now,
                        modified_at=now,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            except IntegrityError:
                raise ConflictError(
                    f"Experiment {name!r} already exists. Load it with Experiment.load({name!r}) "
                    "or choose another name."
                ) from None
            self._replace_tags(connection, "experiment", experiment_id, checked_tags)
            self._record_change(connection, "experiment", name, "created", experiment_name=name)

        self._write(work, f"create experiment {name}")
        log.info("Created experiment %s", name)
        return self.get_experiment(name)

    def get_experiment(self, name: str) -> dict[str, Any]:
        """Return one experiment with its number of trials."""
        found = self.list_experiments(names=[name])
        if not found:
            raise NotFoundError(
                f"Experiment {name!r} not found. Check the name, or list them with "
                "Experiment.list()."
            )
        return found[0]

    def list_experiments(
        self,
        *,
        names: Sequence[str] | None = None,
        name_contains: str | None = None,
        created_before: float | None = None,
        created_after: float | None = None,
        search_expression: Mapping[str, Any] | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Return experiments, newest first unless ``sort_by`` names another order."""
        trial_count = (
            sa.select(sa.func.count())
            .where(trials.c.experiment_id == experiments.c.id)
            .scalar_subquery()
        )
        clauses, add_joins = order_by("experiment", sort_by, sort_order)
        query = add_joins(
            sa.select(experiments, trial_count.label("trial_count")).select_from(experiments)
        )
        query = query.where(compile_expression("experiment", search_expression))
        if names is not None:
            query = query.where(experiments.c.name.in_(list(names)))
        if name_contains:
            query = query.where(_name_contains(experiments, name_contains))
        query = query.where(*_created_between(experiments, created_before, created_after))
        query = query.order_by(*clauses).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
            all_tags = self._load_tags(connection, "experiment", [row["id"] for row in rows])
        for row in rows:
            row["tags"] = all_tags.get(row["id"], {})
        return rows

    def count_experiments(self, name_contains: str | None = None) -> int:
        """Return the number of experiments, optionally of those whose name contains a text."""
        query = sa.select(sa.func.count()).select_from(experiments)
        if name_contains:
            query = query.where(_name_contains(experiments, name_contains))
        with self._read() as connection:
            return int(connection.execute(query).scalar_one())

    def update_experiment(
        self,
        name: str,
        *,
        display_name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Change an experiment's display name, description or tags (None leaves one as is)."""
        display_name = check_display_name(display_name)
        description = _check_storable(check_text(description, "description"), "description")
        checked_tags = _check_tags(tags) if tags is not None else None

        def work(connection: sa.Connection) -> None:
            experiment_id = self._id_of(connection, experiments, name, "experiment", "update")
            values: dict[str, Any] = {"modified_at": _now()}
            if display_name is not None:
                values["display_name"] = display_name
            if description is not None:
                values["description"] = description
            connection.execute(
                experiments.update().where(experiments.c.id == experiment_id).values(**values)
            )
            self._replace_tags(connection, "experiment", experiment_id, checked_tags)
            self._record_change(connection, "experiment", name, "updated", experiment_name=name)

        self._write(work, f"update experiment {name}")
        return self.get_experiment(name)

    def delete_experiment(
        self, name: str, force: bool = False, dry_run: bool = False
    ) -> dict[str, Any]:
        """Delete an experiment.

        With ``dry_run`` nothing is deleted: the deletion runs in a transaction that is rolled
        back, and the result lists what it would have deleted and kept.

        Without ``force`` it raises :class:`ConflictError` while the experiment has trials. With
        ``force`` it deletes the trials too, and every trial component that no trial of another
        experiment uses; components shared with another experiment are kept. Returns the names
        of what was deleted and kept.
        """

        def work(connection: sa.Connection) -> dict[str, Any]:
            experiment_id = self._id_of(connection, experiments, name, "experiment", "delete")
            trial_rows = connection.execute(
                _with_row_lock(
                    sa.select(trials.c.id, trials.c.name).where(
                        trials.c.experiment_id == experiment_id
                    ),
                    "delete",
                )
            ).all()
            if trial_rows and not force:
                raise ConflictError(
                    f"Experiment {name!r} still has {len(trial_rows)} trial(s). Delete them "
                    "first, or call delete_all(action='--force') (force=true in the REST API) "
                    "to delete the experiment with its trials and the trial components that no "
                    "other experiment uses."
                )
            trial_ids = [row.id for row in trial_rows]
            deleted_components, kept_components = self._components_only_in(connection, trial_ids)
            self._delete_components(connection, [c for c, _ in deleted_components])
            if trial_ids:
                connection.execute(
                    tags_table.delete().where(
                        tags_table.c.resource_type == "trial",
                        tags_table.c.resource_id.in_(trial_ids),
                    )
                )
                connection.execute(trials.delete().where(trials.c.id.in_(trial_ids)))
            connection.execute(
                tags_table.delete().where(
                    tags_table.c.resource_type == "experiment",
                    tags_table.c.resource_id == experiment_id,
                )
            )
            connection.execute(experiments.delete().where(experiments.c.id == experiment_id))
            self._record_change(connection, "experiment", name, "deleted", experiment_name=name)
            return {
                "experiment": name,
                "trials": [row.name for row in trial_rows],
                "trial_components": [n for _, n in deleted_components],
                "kept_trial_components": kept_components,
            }

        if dry_run:
            return self._dry_run(work, f"delete experiment {name}")
        result = self._write(work, f"delete experiment {name}")
        log.info(
            "Deleted experiment %s with %d trial(s) and %d trial component(s)",
            name,
            len(result["trials"]),
            len(result["trial_components"]),
        )
        return result

    def _components_only_in(
        self, connection: sa.Connection, trial_ids: Sequence[int]
    ) -> tuple[list[tuple[int, str]], list[str]]:
        """Split the components of ``trial_ids`` into those used by no other trial, and the rest."""
        if not trial_ids:
            return [], []
        linked = connection.execute(
            sa.select(trial_components.c.id, trial_components.c.name)
            .join(
                trial_component_links,
                trial_component_links.c.component_id == trial_components.c.id,
            )
            .where(trial_component_links.c.trial_id.in_(trial_ids))
            .distinct()
        ).all()
        # Locked before the other links are read: an association with another trial that is
        # still in progress then commits first and keeps its component.
        connection.execute(
            _with_row_lock(
                sa.select(trial_components.c.id).where(
                    trial_components.c.id.in_([row.id for row in linked])
                ),
                "delete",
            )
        ).all()
        shared = {
            row[0]
            for row in connection.execute(
                sa.select(trial_component_links.c.component_id)
                .where(
                    trial_component_links.c.component_id.in_([row.id for row in linked]),
                    trial_component_links.c.trial_id.not_in(trial_ids),
                )
                .distinct()
            )
        }
        deleted = [(row.id, row.name) for row in linked if row.id not in shared]
        kept = [row.name for row in linked if row.id in shared]
        return deleted, kept

    @staticmethod
    def _lock_experiments(connection: sa.Connection, experiment_ids: Iterable[int]) -> None:
        """Make the writers that change these experiments' component counts wait for each other.

        On PostgreSQL, each write reads the links it depends on only after taking the lock, so
        two writers never both count one component in or out. The locks are taken in id order,
        so that two writers of the same experiments cannot deadlock on them.
        """
        connection.execute(
            _with_row_lock(
                sa.select(experiments.c.id)
                .where(experiments.c.id.in_(sorted(set(experiment_ids))))
                .order_by(experiments.c.id),
                "update",
            )
        ).all()

    def _lock_experiment_of_trial(self, connection: sa.Connection, trial_name: str) -> int:
        """Lock the experiment of a trial, before any other row, and return its id.

        Every write that changes a count locks the experiment first, as
        :meth:`delete_experiment` does, so that no two of them wait for each other's rows in
        opposite orders.
        """
        query = sa.select(trials.c.experiment_id).where(trials.c.name == trial_name)
        experiment_id = connection.execute(query).scalar()
        while True:
            if experiment_id is None:
                raise _not_found("trial", trial_name)
            self._lock_experiments(connection, [experiment_id])
            # The trial may have been deleted and created again in another experiment before
            # the lock. Once the lock is held, neither can happen until this write commits.
            locked, experiment_id = experiment_id, connection.execute(query).scalar()
            if experiment_id == locked:
                return int(locked)

    @staticmethod
    def _in_other_trials(
        connection: sa.Connection, experiment_id: int, trial_id: int, component_ids: Sequence[int]
    ) -> set[int]:
        """Return those of ``component_ids`` that another trial of the experiment contains."""
        if not component_ids:
            return set()
        return set(
            connection.execute(
                sa.select(trial_component_links.c.component_id)
                .join(trials, trials.c.id == trial_component_links.c.trial_id)
                .where(
                    trials.c.experiment_id == experiment_id,
                    trial_component_links.c.trial_id != trial_id,
                    trial_component_links.c.component_id.in_(list(component_ids)),
                )
            ).scalars()
        )

    @staticmethod
    def _add_to_component_count(connection: sa.Connection, experiment_id: int, delta: int) -> None:
        if delta:
            connection.execute(
                experiments.update()
                .where(experiments.c.id == experiment_id)
                .values(component_count=experiments.c.component_count + delta)
            )

    def _delete_components(self, connection: sa.Connection, component_ids: Sequence[int]) -> None:
        if not component_ids:
            return
        ids = list(component_ids)
        # Each experiment that contains some of the components loses them from its count.
        holders = (
            sa.select(trials.c.experiment_id)
            .join(trial_component_links, trial_component_links.c.trial_id == trials.c.id)
            .where(trial_component_links.c.component_id.in_(ids))
        )
        self._lock_experiments(connection, connection.execute(holders.distinct()).scalars())
        for experiment_id, count in connection.execute(
            holders.add_columns(
                sa.func.count(trial_component_links.c.component_id.distinct())
            ).group_by(trials.c.experiment_id)
        ).all():
            self._add_to_component_count(connection, experiment_id, -count)
        # Points, summaries, parameters, artifacts and links go by ON DELETE CASCADE.
        connection.execute(
            tags_table.delete().where(
                tags_table.c.resource_type == "component", tags_table.c.resource_id.in_(ids)
            )
        )
        connection.execute(trial_components.delete().where(trial_components.c.id.in_(ids)))

    # -- trials -----------------------------------------------------------------------------

    def create_trial(
        self,
        name: str,
        experiment_name: str,
        display_name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a trial in an existing experiment."""
        check_name(name, "trial name")
        check_name(experiment_name, "experiment name")
        display_name = check_display_name(display_name)
        checked_tags = _check_tags(tags)

        def work(connection: sa.Connection) -> None:
            experiment_id = self._id_of(
                connection, experiments, experiment_name, "experiment", "update"
            )
            now = _now()
            try:
                trial_id = connection.execute(
                    trials.insert().values(
                        name=name,
                        display_name=display_name or name,
                        experiment_id=experiment_id,
                        created_at=now,
                        modified_at=now,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            except IntegrityError:
                raise ConflictError(
                    f"Trial {name!r} already exists. Load it with Trial.load({name!r}) or "
                    "choose another name."
                ) from None
            self._replace_tags(connection, "trial", trial_id, checked_tags)
            connection.execute(
                experiments.update()
                .where(experiments.c.id == experiment_id)
                .values(modified_at=now)
            )
            self._record_change(
                connection,
                "trial",
                name,
                "created",
                experiment_name=experiment_name,
                trial_name=name,
            )

        self._write(work, f"create trial {name}")
        log.info("Created trial %s in experiment %s", name, experiment_name)
        return self.get_trial(name)

    def get_trial(self, name: str) -> dict[str, Any]:
        """Return one trial with its experiment's name and number of components."""
        found = self.list_trials(names=[name])
        if not found:
            raise NotFoundError(
                f"Trial {name!r} not found. Check the name, or list them with Trial.list()."
            )
        return found[0]

    def list_trials(
        self,
        *,
        experiment_name: str | None = None,
        component_name: str | None = None,
        names: Sequence[str] | None = None,
        name_contains: str | None = None,
        created_before: float | None = None,
        created_after: float | None = None,
        search_expression: Mapping[str, Any] | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Return trials with their experiment, component count and status counts."""
        component_count = (
            sa.select(sa.func.count())
            .where(trial_component_links.c.trial_id == trials.c.id)
            .scalar_subquery()
        )
        clauses, add_joins = order_by("trial", sort_by, sort_order)
        query = add_joins(
            sa.select(
                trials,
                experiments.c.name.label("experiment_name"),
                component_count.label("component_count"),
            ).select_from(trials.join(experiments, experiments.c.id == trials.c.experiment_id))
        )
        query = query.where(compile_expression("trial", search_expression))
        if experiment_name is not None:
            query = query.where(experiments.c.name == experiment_name)
        if names is not None:
            query = query.where(trials.c.name.in_(list(names)))
        if component_name is not None:
            query = query.where(
                trials.c.id.in_(
                    sa.select(trial_component_links.c.trial_id)
                    .join(
                        trial_components,
                        trial_components.c.id == trial_component_links.c.component_id,
                    )
                    .where(trial_components.c.name == component_name)
                )
            )
        if name_contains:
            query = query.where(_name_contains(trials, name_contains))
        query = query.where(*_created_between(trials, created_before, created_after))
        query = query.order_by(*clauses).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
            ids = [row["id"] for row in rows]
            all_tags = self._load_tags(connection, "trial", ids)
            statuses = self._status_counts(connection, ids)
        for row in rows:
            row["tags"] = all_tags.get(row["id"], {})
            row["status_counts"] = statuses.get(row["id"], {})
        return rows

    def _status_counts(
        self, connection: sa.Connection, trial_ids: Sequence[int]
    ) -> dict[int, dict[str, int]]:
        result: dict[int, dict[str, int]] = defaultdict(dict)
        if not trial_ids:
            return result
        rows = connection.execute(
            sa.select(trial_component_links.c.trial_id, trial_components.c.status, sa.func.count())
            .join(trial_components, trial_components.c.id == trial_component_links.c.component_id)
            .where(trial_component_links.c.trial_id.in_(trial_ids))
            .group_by(trial_component_links.c.trial_id, trial_components.c.status)
        )
        for trial_id, status, count in rows:
            result[trial_id][status or "Unknown"] = count
        return result

    def update_trial(
        self,
        name: str,
        *,
        display_name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Change a trial's display name or tags (None leaves one as is)."""
        display_name = check_display_name(display_name)
        checked_tags = _check_tags(tags) if tags is not None else None

        def work(connection: sa.Connection) -> None:
            trial_id = self._id_of(connection, trials, name, "trial", "update")
            values: dict[str, Any] = {"modified_at": _now()}
            if display_name is not None:
                values["display_name"] = display_name
            connection.execute(trials.update().where(trials.c.id == trial_id).values(**values))
            self._replace_tags(connection, "trial", trial_id, checked_tags)
            self._record_change(connection, "trial", name, "updated", trial_name=name)

        self._write(work, f"update trial {name}")
        return self.get_trial(name)

    def delete_trial(
        self, name: str, delete_components: bool = False, dry_run: bool = False
    ) -> dict[str, Any]:
        """Delete a trial and its links; its components are kept unless ``delete_components``.

        With ``delete_components`` the components that no other trial uses are deleted too.
        With ``dry_run`` nothing is deleted, and the result lists what would have been.
        """

        def work(connection: sa.Connection) -> dict[str, Any]:
            experiment_id = self._lock_experiment_of_trial(connection, name)
            trial_id = self._id_of(connection, trials, name, "trial", "delete")
            experiment_name = connection.execute(
                sa.select(experiments.c.name)
                .join(trials, trials.c.experiment_id == experiments.c.id)
                .where(trials.c.id == trial_id)
            ).scalar()
            deleted: list[tuple[int, str]] = []
            kept: list[str] = []
            if delete_components:
                deleted, kept = self._components_only_in(connection, [trial_id])
                self._delete_components(connection, [c for c, _ in deleted])
            # The trial's links go with it: its experiment loses the components that none of its
            # other trials contains.
            linked = list(
                connection.execute(
                    sa.select(trial_component_links.c.component_id).where(
                        trial_component_links.c.trial_id == trial_id
                    )
                ).scalars()
            )
            elsewhere = self._in_other_trials(connection, experiment_id, trial_id, linked)
            self._add_to_component_count(connection, experiment_id, len(elsewhere) - len(linked))
            connection.execute(
                tags_table.delete().where(
                    tags_table.c.resource_type == "trial", tags_table.c.resource_id == trial_id
                )
            )
            connection.execute(trials.delete().where(trials.c.id == trial_id))
            self._record_change(
                connection,
                "trial",
                name,
                "deleted",
                experiment_name=experiment_name,
                trial_name=name,
            )
            return {
                "trial": name,
                "trial_components": [n for _, n in deleted],
                "kept_trial_components": kept,
            }

        if dry_run:
            return self._dry_run(work, f"delete trial {name}")
        result = self._write(work, f"delete trial {name}")
        log.info("Deleted trial %s", name)
        return result

    def associate(self, trial_name: str, component_name: str) -> None:
        """Add a trial component to a trial; adding it twice is not an error."""

        def work(connection: sa.Connection) -> None:
            experiment_id = self._lock_experiment_of_trial(connection, trial_name)
            trial_id = self._id_of(connection, trials, trial_name, "trial", "update")
            component_id = self._id_of(
                connection, trial_components, component_name, "trial component", "share"
            )
            exists = connection.execute(
                sa.select(trial_component_links.c.trial_id).where(
                    trial_component_links.c.trial_id == trial_id,
                    trial_component_links.c.component_id == component_id,
                )
            ).first()
            if exists:
                return
            if not self._in_other_trials(connection, experiment_id, trial_id, [component_id]):
                self._add_to_component_count(connection, experiment_id, 1)
            now = _now()
            connection.execute(
                trial_component_links.insert().values(
                    trial_id=trial_id, component_id=component_id, created_at=now
                )
            )
            connection.execute(
                trials.update().where(trials.c.id == trial_id).values(modified_at=now)
            )
            self._record_change(
                connection, "component", component_name, "associated", trial_name=trial_name
            )

        self._write(work, f"associate {component_name} with {trial_name}")

    def disassociate(self, trial_name: str, component_name: str) -> None:
        """Remove a trial component from a trial; the component itself is kept."""

        def work(connection: sa.Connection) -> None:
            experiment_id = self._lock_experiment_of_trial(connection, trial_name)
            trial_id = self._id_of(connection, trials, trial_name, "trial", "update")
            component_id = self._id_of(
                connection, trial_components, component_name, "trial component"
            )
            removed = connection.execute(
                trial_component_links.delete().where(
                    trial_component_links.c.trial_id == trial_id,
                    trial_component_links.c.component_id == component_id,
                )
            ).rowcount
            if removed and not self._in_other_trials(
                connection, experiment_id, trial_id, [component_id]
            ):
                self._add_to_component_count(connection, experiment_id, -1)
            connection.execute(
                trials.update().where(trials.c.id == trial_id).values(modified_at=_now())
            )
            self._record_change(
                connection, "component", component_name, "disassociated", trial_name=trial_name
            )

        self._write(work, f"disassociate {component_name} from {trial_name}")

    # -- trial components -------------------------------------------------------------------

    def create_component(
        self,
        name: str,
        *,
        display_name: str | None = None,
        status: str | None = None,
        status_message: str | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        source_arn: str | None = None,
        source_type: str | None = None,
        job_settings: Mapping[str, Any] | None = None,
        parameters: Mapping[str, Any] | None = None,
        input_artifacts: Mapping[str, Mapping[str, Any]] | None = None,
        output_artifacts: Mapping[str, Mapping[str, Any]] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a trial component, unassigned until it is associated with a trial."""
        check_name(name, "trial component name")
        display_name = check_display_name(display_name)
        if status is not None:
            check_status(status)
        status_message = _check_storable(
            check_text(status_message, "status message"), "status message"
        )
        start_time = _check_time(start_time, "start time")
        end_time = _check_time(end_time, "end time")
        source_arn = _check_source(source_arn, "source ARN", MAX_SOURCE_ARN_LENGTH)
        source_type = _check_source(source_type, "source type", MAX_SOURCE_TYPE_LENGTH)
        checked_tags = _check_tags(tags)
        encoded_settings = self._encode_job_settings(job_settings)
        checked_parameters = self._check_parameters(parameters or {})
        checked_artifacts = self._check_artifacts(input_artifacts, output_artifacts)

        def work(connection: sa.Connection) -> None:
            now = _now()
            try:
                component_id = connection.execute(
                    trial_components.insert().values(
                        name=name,
                        display_name=display_name or name,
                        status=status,
                        status_message=status_message,
                        start_time=start_time,
                        end_time=end_time,
                        created_at=now,
                        modified_at=now,
                        source_arn=source_arn,
                        source_type=source_type,
                        job_settings=encoded_settings,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            except IntegrityError:
                raise ConflictError(
                    f"Trial component {name!r} already exists. Load it with "
                    f"TrialComponent.load({name!r}) or choose another name."
                ) from None
            connection.execute(
                component_documents.insert().values(
                    component_id=component_id,
                    parameters_json=parameters_document(checked_parameters),
                    metrics_json=metrics_document({}),
                )
            )
            self._write_parameters(connection, component_id, checked_parameters)
            self._write_artifacts(connection, component_id, checked_artifacts)
            self._replace_tags(connection, "component", component_id, checked_tags)
            self._record_change(connection, "component", name, "created")

        self._write(work, f"create trial component {name}")
        log.info("Created trial component %s", name)
        return self.get_component(name)

    @staticmethod
    def _encode_job_settings(job_settings: Mapping[str, Any] | None) -> str | None:
        if job_settings is None:
            return None
        if not isinstance(job_settings, Mapping):
            raise ValidationError(
                f"Invalid job settings {job_settings!r}: expected a mapping of names to values."
            )
        try:
            return json.dumps(dict(job_settings), allow_nan=False, default=str)
        except ValueError as error:
            raise ValidationError(f"Invalid job settings: {error}.") from None

    @staticmethod
    def _check_parameters(values: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(values, Mapping):
            raise ValidationError(
                f"Invalid parameters {values!r}: expected a mapping of names to values."
            )
        checked = {}
        for key, value in values.items():
            check_key(key, "parameter name")
            checked_value = check_parameter_value(key, value)
            if isinstance(checked_value, str):
                _check_storable(checked_value, f"value of parameter {key!r}")
            checked[key] = checked_value
        return checked

    @staticmethod
    def _check_artifacts(
        inputs: Mapping[str, Mapping[str, Any]] | None,
        outputs: Mapping[str, Mapping[str, Any]] | None,
    ) -> list[dict[str, Any]]:
        rows = []
        for kind, values in (("input", inputs), ("output", outputs)):
            for key, artifact in (values or {}).items():
                check_key(key, f"{kind} artifact name")
                if isinstance(artifact, str):
                    artifact = {"value": artifact}
                if not isinstance(artifact, Mapping) or not isinstance(artifact.get("value"), str):
                    raise ValidationError(
                        f"Invalid {kind} artifact {key!r}: expected a mapping with a string "
                        "'value' (a URI or a path) and an optional 'media_type'."
                    )
                what = f"value of artifact {key!r}"
                _check_storable(
                    check_text(artifact["value"], what, MAX_ARTIFACT_VALUE_LENGTH), what
                )
                media_type = artifact.get("media_type")
                if media_type is not None:
                    check_key(media_type, f"media type of artifact {key!r}")
                rows.append(
                    {
                        "kind": kind,
                        "name": key,
                        "value": artifact["value"],
                        "media_type": media_type,
                    }
                )
        return rows

    def _write_parameters(
        self, connection: sa.Connection, component_id: int, values: Mapping[str, Any]
    ) -> None:
        if not values:
            return
        existing = set(
            connection.execute(
                sa.select(parameters_table.c.name).where(
                    parameters_table.c.component_id == component_id
                )
            ).scalars()
        )
        if len(existing | set(values)) > MAX_PARAMETERS_PER_COMPONENT:
            raise ValidationError(
                f"Too many parameters: the trial component would have "
                f"{len(existing | set(values))}, the limit is {MAX_PARAMETERS_PER_COMPONENT}."
            )
        replaced = [key for key in values if key in existing]
        if replaced:
            connection.execute(
                parameters_table.delete().where(
                    parameters_table.c.component_id == component_id,
                    parameters_table.c.name.in_(replaced),
                )
            )
        connection.execute(
            parameters_table.insert(),
            [
                {"component_id": component_id, "name": key, **_encode_parameter(value)}
                for key, value in values.items()
            ],
        )

    def _write_parameters_document(self, connection: sa.Connection, component_id: int) -> None:
        """Rewrite a component's ``parameters_json`` from its rows in ``parameters``."""
        values = {
            name: decode_parameter(value_type, string_value)
            for name, value_type, string_value in connection.execute(
                sa.select(
                    parameters_table.c.name,
                    parameters_table.c.value_type,
                    parameters_table.c.string_value,
                ).where(parameters_table.c.component_id == component_id)
            )
        }
        self._write_documents(connection, component_id, parameters_json=parameters_document(values))

    @staticmethod
    def _write_documents(connection: sa.Connection, component_id: int, **documents: str) -> None:
        """Replace some of a component's JSON documents; the caller holds its row lock."""
        updated = connection.execute(
            component_documents.update()
            .where(component_documents.c.component_id == component_id)
            .values(**documents)
        )
        if updated.rowcount == 0:
            # No row, as when it was deleted by hand: the other document stays NULL, which
            # readers take from the tables.
            connection.execute(
                component_documents.insert().values(component_id=component_id, **documents)
            )

    def _write_artifacts(
        self, connection: sa.Connection, component_id: int, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        if not rows:
            return
        existing = {
            (kind, name)
            for kind, name in connection.execute(
                sa.select(artifacts_table.c.kind, artifacts_table.c.name).where(
                    artifacts_table.c.component_id == component_id
                )
            )
        }
        keys = {(row["kind"], row["name"]) for row in rows}
        if len(existing | keys) > MAX_ARTIFACTS_PER_COMPONENT:
            raise ValidationError(
                f"Too many artifacts: the trial component would have {len(existing | keys)}, "
                f"the limit is {MAX_ARTIFACTS_PER_COMPONENT}."
            )
        for kind, name in keys & existing:
            connection.execute(
                artifacts_table.delete().where(
                    artifacts_table.c.component_id == component_id,
                    artifacts_table.c.kind == kind,
                    artifacts_table.c.name == name,
                )
            )
        connection.execute(
            artifacts_table.insert(), [{"component_id": component_id, **row} for row in rows]
        )

    def update_component(
        self,
        name: str,
        *,
        display_name: str | None = None,
        status: str | None = None,
        status_message: str | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        source_arn: str | None = None,
        source_type: str | None = None,
        job_settings: Mapping[str, Any] | None = None,
        parameters: Mapping[str, Any] | None = None,
        parameters_to_remove: Iterable[str] = (),
        input_artifacts: Mapping[str, Mapping[str, Any]] | None = None,
        output_artifacts: Mapping[str, Mapping[str, Any]] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Change a trial component; None leaves a field as is.

        Parameters and artifacts are merged by name into what is stored. ``job_settings`` is
        merged key by key into the stored settings.
        """
        display_name = check_display_name(display_name)
        if status is not None:
            check_status(status)
        status_message = _check_storable(
            check_text(status_message, "status message"), "status message"
        )
        start_time = _check_time(start_time, "start time")
        end_time = _check_time(end_time, "end time")
        source_arn = _check_source(source_arn, "source ARN", MAX_SOURCE_ARN_LENGTH)
        source_type = _check_source(source_type, "source type", MAX_SOURCE_TYPE_LENGTH)
        checked_tags = _check_tags(tags) if tags is not None else None
        self._encode_job_settings(job_settings)
        checked_parameters = self._check_parameters(parameters or {})
        checked_artifacts = self._check_artifacts(input_artifacts, output_artifacts)
        to_remove = list(parameters_to_remove)

        def work(connection: sa.Connection) -> None:
            # Locked, so that two updates merge their job settings one after the other.
            row = connection.execute(
                _with_row_lock(
                    sa.select(trial_components.c.id, trial_components.c.job_settings).where(
                        trial_components.c.name == name
                    ),
                    "update",
                )
            ).first()
            if row is None:
                self._id_of(connection, trial_components, name, "trial component")
                return
            component_id = row.id
            values: dict[str, Any] = {"modified_at": _now()}
            for key, value in (
                ("display_name", display_name),
                ("status", status),
                ("status_message", status_message),
                ("start_time", start_time),
                ("end_time", end_time),
                ("source_arn", source_arn),
                ("source_type", source_type),
            ):
                if value is not None:
                    values[key] = value
            if job_settings is not None:
                merged = json.loads(row.job_settings) if row.job_settings else {}
                merged.update(job_settings)
                values["job_settings"] = self._encode_job_settings(merged)
            connection.execute(
                trial_components.update()
                .where(trial_components.c.id == component_id)
                .values(**values)
            )
            if to_remove:
                connection.execute(
                    parameters_table.delete().where(
                        parameters_table.c.component_id == component_id,
                        parameters_table.c.name.in_(to_remove),
                    )
                )
            self._write_parameters(connection, component_id, checked_parameters)
            if to_remove or checked_parameters:
                self._write_parameters_document(connection, component_id)
            self._write_artifacts(connection, component_id, checked_artifacts)
            self._replace_tags(connection, "component", component_id, checked_tags)
            self._record_change(connection, "component", name, "updated")

        self._write(work, f"update trial component {name}")

    def delete_component(self, name: str, force_disassociate: bool = False) -> None:
        """Delete a trial component.

        Raises :class:`ConflictError` while it belongs to a trial, unless
        ``force_disassociate`` removes it from its trials first.
        """

        def work(connection: sa.Connection) -> None:
            # The experiments first, as in every write that changes their counts.
            self._lock_experiments(
                connection,
                connection.execute(
                    sa.select(trials.c.experiment_id)
                    .join(trial_component_links, trial_component_links.c.trial_id == trials.c.id)
                    .join(
                        trial_components,
                        trial_components.c.id == trial_component_links.c.component_id,
                    )
                    .where(trial_components.c.name == name)
                    .distinct()
                ).scalars(),
            )
            component_id = self._id_of(
                connection, trial_components, name, "trial component", "delete"
            )
            trial_names = list(
                connection.execute(
                    sa.select(trials.c.name)
                    .join(trial_component_links, trial_component_links.c.trial_id == trials.c.id)
                    .where(trial_component_links.c.component_id == component_id)
                ).scalars()
            )
            if trial_names and not force_disassociate:
                raise ConflictError(
                    f"Trial component {name!r} belongs to trial(s) {', '.join(trial_names)}. "
                    "Remove it from them first, or delete it with force_disassociate=True."
                )
            self._delete_components(connection, [component_id])
            self._record_change(connection, "component", name, "deleted")

        self._write(work, f"delete trial component {name}")
        log.info("Deleted trial component %s", name)

    def get_component(self, name: str) -> dict[str, Any]:
        """Return one trial component in full: parameters, artifacts, summaries and parents."""
        rows = self.search_components(names=[name], limit=1)
        if not rows:
            raise NotFoundError(
                f"Trial component {name!r} not found. Check the name, or list them with "
                "TrialComponent.list()."
            )
        return rows[0]

    def component_exists(self, name: str) -> bool:
        """Return whether a trial component with this name exists."""
        with self._read() as connection:
            return (
                connection.execute(
                    sa.select(trial_components.c.id).where(trial_components.c.name == name)
                ).first()
                is not None
            )

    def _component_query(
        self,
        *,
        names: Sequence[str] | None,
        experiment_names: Sequence[str] | None,
        trial_names: Sequence[str] | None,
        unassigned: bool,
        search_expression: Mapping[str, Any] | None,
        created_before: float | None,
        created_after: float | None,
        name_contains: str | None,
        per_component: bool = False,
        name_parameters: bool = False,
    ) -> sa.Select[Any]:
        """Return a query of the ids of the selected components.

        By default the experiments and trials are matched with an uncorrelated ``IN`` subquery,
        which reads the selection once: the right plan to count or sort a whole selection.
        With ``per_component``, each component's own links are looked up instead, the right
        plan when a caller tests a few components, such as the first candidates of a sorted
        index, against a large selection.

        With ``name_parameters``, the experiment and trial names are not in the query but are
        its list parameters ``experiment_names`` and ``trial_names``, for a statement that
        :class:`~jupyter_experiments.store.driver.DriverQuery` compiles once.
        """
        query = sa.select(trial_components.c.id).select_from(trial_components)
        query = query.where(compile_expression("component", search_expression))
        if names is not None:
            query = query.where(trial_components.c.name.in_(list(names)))
        parent_conditions: list[sa.ColumnElement[bool]] = []
        if trial_names:
            parent_conditions.append(
                InList(trials.c.name, "trial_names")
                if name_parameters
                else trials.c.name.in_(list(trial_names))
            )
        if experiment_names:
            parent_conditions.append(
                InList(experiments.c.name, "experiment_names")
                if name_parameters
                else experiments.c.name.in_(list(experiment_names))
            )
        selections: list[sa.ColumnElement[bool]] = []
        if parent_conditions and per_component:
            selected_trials = (
                sa.select(trials.c.id)
                .join(experiments, experiments.c.id == trials.c.experiment_id)
                .where(sa.or_(*parent_conditions))
            )
            # "+ 0" keeps SQLite from probing the (trial_id, component_id) key once per
            # selected trial; it reads the component's few links by component_id instead.
            selections.append(
                sa.exists().where(
                    trial_component_links.c.component_id == trial_components.c.id,
                    (trial_component_links.c.trial_id + sa.literal_column("0")).in_(
                        selected_trials
                    ),
                )
            )
        elif parent_conditions:
            # An uncorrelated IN subquery runs once; SQLite ran an EXISTS once per component,
            # which made counting 10,000 components several times slower.
            selections.append(
                trial_components.c.id.in_(
                    sa.select(trial_component_links.c.component_id)
                    .join(trials, trials.c.id == trial_component_links.c.trial_id)
                    .join(experiments, experiments.c.id == trials.c.experiment_id)
                    .where(sa.or_(*parent_conditions))
                )
            )
        if unassigned:
            selections.append(
                ~sa.exists().where(trial_component_links.c.component_id == trial_components.c.id)
            )
        if selections:
            # A selection of experiments, trials and the unassigned entry is their union.
            query = query.where(sa.or_(*selections))
        query = query.where(*_created_between(trial_components, created_before, created_after))
        if name_contains:
            query = query.where(_name_contains(trial_components, name_contains))
        return query

    def search_components(
        self,
        *,
        names: Sequence[str] | None = None,
        experiment_names: Sequence[str] | None = None,
        trial_names: Sequence[str] | None = None,
        unassigned: bool = False,
        search_expression: Mapping[str, Any] | None = None,
        created_before: float | None = None,
        created_after: float | None = None,
        name_contains: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        include: Iterable[str] = ("parameters", "artifacts", "metrics", "parents", "tags"),
        documents: bool = False,
    ) -> list[dict[str, Any]]:
        """Return trial components matching a selection and a search expression.

        The selection is the union of ``experiment_names``, ``trial_names`` and, with
        ``unassigned``, the components in no trial; the search expression narrows it. One
        query selects and sorts the page of ids; a few ``IN`` queries then load what
        ``include`` names, so the cost follows the page size, not the store's size.

        With ``documents``, each component's parameters and metrics are a
        :class:`~jupyter_experiments.store.documents.JSONDocument` in the REST API's encoding
        instead of a dict of exact values, for a reply to embed (see ``store/documents.py``).
        """
        selection: dict[str, Any] = {
            "names": names,
            "experiment_names": experiment_names,
            "trial_names": trial_names,
            "unassigned": unassigned,
            "search_expression": search_expression,
            "created_before": created_before,
            "created_after": created_after,
            "name_contains": name_contains,
        }
        metric_key = metric_sort_key(sort_by)
        with self._read() as connection:
            if metric_key is not None and limit is not None:
                ids = self._first_candidates_by_metric(
                    connection, selection, metric_key, sort_order, limit, offset
                )
                if ids is None:
                    ids = self._page_by_metric(
                        connection,
                        self._component_query(**selection),
                        metric_key,
                        sort_order,
                        limit,
                        offset,
                    )
            else:
                found = None
                if sort_by in (None, "CreationTime") and limit is not None:
                    # The default order, newest first, in which every table opens.
                    found = self._first_candidates_by_creation(
                        connection,
                        selection,
                        is_descending(sort_order, default=sort_by is None),
                        limit,
                        offset,
                    )
                if found is None:
                    clauses, add_joins = order_by("component", sort_by, sort_order)
                    query = self._component_query(**selection)
                    page = add_joins(query).order_by(*clauses).offset(offset)
                    if limit is not None:
                        page = page.limit(limit)
                    found = [row[0] for row in connection.execute(page)]
                ids = found
            return self._load_components(connection, ids, set(include), documents)

    def _first_candidates_by_metric(
        self,
        connection: sa.Connection,
        selection: dict[str, Any],
        metric_key: tuple[str, str],
        sort_order: str | None,
        limit: int,
        offset: int,
    ) -> list[int] | None:
        """Return an early page sorted by a metric statistic if its first candidates fill it.

        Walks the summaries' ``(name, <statistic>)`` index from the best value and keeps the
        components that the selection contains, testing each one's own links, and stops once the
        page is full. When the selection contains most components, as when a table shows one
        large experiment, that reads a few hundred index entries instead of every selected id.
        The walk is bounded by the value of the ``FIRST_CANDIDATES_PER_ROW * (offset + limit)``
        -th entry, so a small selection costs little here. Returns None when the page is not
        full within the bound, or is too deep for this to pay, and :meth:`_page_by_metric` runs
        instead.
        """
        if offset + limit > FIRST_CANDIDATES_MAX_ROWS:
            return None
        metric, statistic = metric_key
        descending = is_descending(sort_order, default=False)
        ids = self._walk(
            connection,
            selection,
            ("metric", statistic, descending),
            lambda query: self._metric_walk(query, statistic, descending),
            {**_walk_values(descending, limit, offset), "metric": metric},
        )
        return ids if len(ids) == limit else None

    def _walk(
        self,
        connection: sa.Connection,
        selection: dict[str, Any],
        shape: tuple[Any, ...],
        build: Callable[[sa.Select[Any]], sa.Select[Any]],
        values: dict[str, Any],
    ) -> list[int]:
        """Run a first-candidates walk that ``build`` makes of a per-component selection.

        Every table in Lab selects experiments and trials by name. Such a selection runs a
        statement compiled once per ``shape`` (store/driver.py), and any other is built per call.
        """
        if not _only(selection, "experiment_names", "trial_names"):
            statement = build(self._component_query(**selection, per_component=True))
            return list(connection.execute(statement, values).scalars())
        lists = tuple(key for key in ("experiment_names", "trial_names") if selection[key])
        key = (*shape, lists)
        walk = _WALKS.get(key)
        if walk is None:
            query = self._component_query(**selection, per_component=True, name_parameters=True)
            walk = DriverQuery(build(query), lists)
            _WALKS[key] = walk
        rows = walk.all(connection, **values, **{key: selection[key] for key in lists})
        return [component_id for (component_id,) in rows]

    @staticmethod
    def _metric_walk(selection: sa.Select[Any], statistic: str, descending: bool) -> sa.Select[Any]:
        """Return the walk of :meth:`_first_candidates_by_metric` over a per-component selection.

        Its parameters are ``metric`` and those of :func:`_walk_values`.
        """
        column = metric_summaries.c[statistic]

        def direction(value: Any) -> Any:
            return value.desc() if descending else value.asc()

        has_value = sa.and_(metric_summaries.c.name == sa.bindparam("metric"), column.is_not(None))
        bound = TrackingStore._walk_bound(sa.select(column).where(has_value), direction(column))
        return (
            sa.select(metric_summaries.c.component_id)
            .where(
                has_value,
                column >= bound if descending else column <= bound,
                sa.exists(
                    selection.where(trial_components.c.id == metric_summaries.c.component_id)
                ),
            )
            .order_by(direction(column), direction(metric_summaries.c.component_id))
            .offset(sa.bindparam("offset"))
            .limit(sa.bindparam("limit"))
        )

    def _first_candidates_by_creation(
        self,
        connection: sa.Connection,
        selection: dict[str, Any],
        descending: bool,
        limit: int,
        offset: int,
    ) -> list[int] | None:
        """Return an early page in creation order if its first candidates fill it.

        The same walk as :meth:`_first_candidates_by_metric`, over the index of the
        components' creation times, whose entries are in the order of the page's tie-breaker.
        """
        if offset + limit > FIRST_CANDIDATES_MAX_ROWS:
            return None
        ids = self._walk(
            connection,
            selection,
            ("creation", descending),
            lambda query: self._creation_walk(query, descending),
            _walk_values(descending, limit, offset),
        )
        return ids if len(ids) == limit else None

    @staticmethod
    def _creation_walk(selection: sa.Select[Any], descending: bool) -> sa.Select[Any]:
        """Return the walk of :meth:`_first_candidates_by_creation` over a selection.

        Its parameters are those of :func:`_walk_values`.
        """
        created_at = trial_components.c.created_at

        def direction(value: Any) -> Any:
            return value.desc() if descending else value.asc()

        bound = TrackingStore._walk_bound(sa.select(created_at), direction(created_at))
        return (
            selection.where(created_at >= bound if descending else created_at <= bound)
            .order_by(direction(created_at), direction(trial_components.c.id))
            .offset(sa.bindparam("offset"))
            .limit(sa.bindparam("limit"))
        )

    @staticmethod
    def _walk_bound(values: sa.Select[Any], order: Any) -> sa.ColumnElement[Any]:
        """Return the value where a first-candidates walk stops, as a scalar subquery.

        ``values`` selects one indexed column and ``order`` is its direction; the subquery is
        the value at offset ``bound_offset`` in that order. Ordered by the value alone, the
        index covers it, so it reads only index entries. With fewer values than that, it is
        the parameter ``beyond``, an infinity past every value, and the walk reads them all.
        """
        entry = values.order_by(order).offset(sa.bindparam("bound_offset")).limit(1)
        return sa.func.coalesce(entry.scalar_subquery(), sa.bindparam("beyond", type_=sa.Double))

    def _page_by_metric(
        self,
        connection: sa.Connection,
        selection: sa.Select[Any],
        metric_key: tuple[str, str],
        sort_order: str | None,
        limit: int,
        offset: int,
    ) -> list[int]:
        """Return one page of component ids sorted by a metric statistic, missing values last.

        The components that have the statistic are read in the order of the summaries'
        ``(name, <statistic>)`` index and the scan stops after the page, instead of sorting the
        whole selection. Components without it fill the page only once those run out. The
        order is the same as :func:`order_by` gives, with ties broken by component id.
        """
        metric, statistic = metric_key
        descending = is_descending(sort_order, default=False)
        column = metric_summaries.c[statistic]

        def direction(value: Any) -> Any:
            return value.desc() if descending else value.asc()

        selected = selection.subquery()
        has_value = sa.and_(
            metric_summaries.c.name == metric,
            column.is_not(None),
            metric_summaries.c.component_id.in_(sa.select(selected.c.id)),
        )
        ids = list(
            connection.execute(
                sa.select(metric_summaries.c.component_id)
                .where(has_value)
                .order_by(direction(column), direction(metric_summaries.c.component_id))
                .offset(offset)
                .limit(limit)
            ).scalars()
        )
        if len(ids) == limit:
            return ids

        with_value = connection.execute(
            sa.select(sa.func.count()).select_from(metric_summaries).where(has_value)
        ).scalar_one()
        without_value = selection.where(
            ~sa.exists().where(
                metric_summaries.c.component_id == trial_components.c.id,
                metric_summaries.c.name == metric,
                column.is_not(None),
            )
        )
        ids += connection.execute(
            without_value.order_by(direction(trial_components.c.id))
            .offset(max(0, offset - with_value))
            .limit(limit - len(ids))
        ).scalars()
        return ids

    def count_components(self, **selection: Any) -> int:
        """Return how many components :meth:`search_components` would return without paging."""
        kept_count = self.kept_component_count(**selection)
        if kept_count is not None:
            return kept_count
        query = self._component_query(
            names=selection.get("names"),
            experiment_names=selection.get("experiment_names"),
            trial_names=selection.get("trial_names"),
            unassigned=selection.get("unassigned", False),
            search_expression=selection.get("search_expression"),
            created_before=selection.get("created_before"),
            created_after=selection.get("created_after"),
            name_contains=selection.get("name_contains"),
        )
        with self._read() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(query.subquery())
                ).scalar_one()
            )

    def kept_component_count(self, **selection: Any) -> int | None:
        """Return the count kept by the writes when the selection is one existing experiment.

        Returns None for any other selection, and for an experiment that does not exist:
        :meth:`count_components` then counts with a query.
        """
        names = set(selection.get("experiment_names") or ())
        if len(names) != 1 or not _only(selection, "experiment_names"):
            return None
        with self._read() as connection:
            found = component_rows.EXPERIMENT_COMPONENT_COUNT.all(connection, name=names.pop())
        return int(found[0][0]) if found else None

    def missing_names(
        self, *, experiment_names: Sequence[str] = (), trial_names: Sequence[str] = ()
    ) -> dict[str, list[str]]:
        """Return the named experiments and trials that do not exist, each list sorted.

        A selection that names a deleted experiment or a mistyped trial matches no
        component, and a caller can tell that apart from an empty one with this.
        """
        missing: dict[str, list[str]] = {"experiments": [], "trials": []}
        with self._read() as connection:
            for key, table, names in (
                ("experiments", experiments, experiment_names),
                ("trials", trials, trial_names),
            ):
                requested = set(names)
                if not requested:
                    continue
                found = set(
                    connection.execute(
                        sa.select(table.c.name).where(table.c.name.in_(sorted(requested)))
                    ).scalars()
                )
                missing[key] = sorted(requested - found)
        return missing

    def count_trials(
        self, *, experiment_name: str | None = None, name_contains: str | None = None
    ) -> int:
        """Return how many trials :meth:`list_trials` would return for the same arguments."""
        query = sa.select(sa.func.count()).select_from(
            trials.join(experiments, experiments.c.id == trials.c.experiment_id)
        )
        if experiment_name is not None:
            query = query.where(experiments.c.name == experiment_name)
        if name_contains:
            query = query.where(_name_contains(trials, name_contains))
        with self._read() as connection:
            return int(connection.execute(query).scalar_one())

    def component_columns(self, **selection: Any) -> dict[str, list[tuple[str, str]]]:
        """Return the parameter, metric and artifact names used in a selection of components.

        Takes the selection arguments of :meth:`search_components`. Only the key tables are
        read, with ``SELECT DISTINCT`` over the selected ids, so the cost does not grow with
        the number of metric points. Returns sorted ``(name, value_type)`` pairs under
        ``"parameters"`` (a name appears once per value type it has), ``(name, "")`` pairs under
        ``"metrics"``, ``(name, kind)`` pairs under ``"artifacts"``, and ``(key, JSON type)``
        pairs under ``"job_settings"``, the type being ``number``, ``string``, ``boolean``,
        ``array``, ``object`` or ``null`` (read by the database's JSON functions).
        """
        known = {
            "names",
            "experiment_names",
            "trial_names",
            "unassigned",
            "search_expression",
            "created_before",
            "created_after",
            "name_contains",
        }
        unknown = set(selection) - known
        if unknown:
            raise TypeError(f"component_columns() got unexpected argument(s): {sorted(unknown)}")
        selected = self._component_query(
            names=selection.get("names"),
            experiment_names=selection.get("experiment_names"),
            trial_names=selection.get("trial_names"),
            unassigned=selection.get("unassigned", False),
            search_expression=selection.get("search_expression"),
            created_before=selection.get("created_before"),
            created_after=selection.get("created_after"),
            name_contains=selection.get("name_contains"),
        )
        queries = {
            "parameters": sa.select(parameters_table.c.name, parameters_table.c.value_type)
            .where(parameters_table.c.component_id.in_(selected))
            .distinct(),
            "metrics": sa.select(metric_summaries.c.name, sa.literal(""))
            .where(metric_summaries.c.component_id.in_(selected))
            .distinct(),
            "artifacts": sa.select(artifacts_table.c.name, artifacts_table.c.kind)
            .where(artifacts_table.c.component_id.in_(selected))
            .distinct(),
            "job_settings": self._job_setting_keys(selected),
        }
        with self._read() as connection:
            return {
                key: sorted((str(name), str(kind)) for name, kind in connection.execute(query))
                for key, query in queries.items()
            }

    def _job_setting_keys(self, selected: sa.Select[Any]) -> sa.Select[Any]:
        """Return a query of the distinct (key, JSON type) pairs of the selected job settings."""
        settings = trial_components.c.job_settings
        json_type: sa.ColumnElement[Any]
        if self.dialect == "postgresql":
            entries = sa.func.jsonb_each(sa.cast(settings, JSONB)).table_valued("key", "value")
            json_type = sa.func.jsonb_typeof(entries.c.value)
        else:
            entries = sa.func.json_each(settings).table_valued("key", "type")
            # SQLite's json_each types, mapped to the JSON names that jsonb_typeof returns.
            json_type = sa.case(
                (entries.c.type.in_(("integer", "real")), "number"),
                (entries.c.type.in_(("true", "false")), "boolean"),
                (entries.c.type == "text", "string"),
                else_=entries.c.type,
            )
        return (
            sa.select(entries.c.key, json_type)
            .select_from(trial_components)
            .join(entries, sa.true())
            .where(trial_components.c.id.in_(selected), settings.is_not(None))
            .distinct()
        )

    def _load_components(
        self,
        connection: sa.Connection,
        ids: list[int],
        include: set[str],
        documents: bool = False,
    ) -> list[dict[str, Any]]:
        if not ids:
            return []
        # These statements run on the driver's cursor (store/driver.py), and their rows are
        # tuples: on a page of a hundred components with thousands of values, SQLAlchemy's
        # work per statement and per row cost more than the queries.
        rows: dict[int, dict[str, Any]] = {}
        # Components whose values come from the tables, not from their documents.
        parameter_ids: list[int] = []
        metric_ids: list[int] = []
        from_documents = documents and bool({"parameters", "metrics"} & include)
        query = (
            component_rows.COMPONENTS_WITH_DOCUMENTS
            if from_documents
            else component_rows.COMPONENTS
        )
        for values in query.all(connection, ids=ids):
            row = dict(zip(component_rows.COMPONENT_KEYS, values, strict=False))
            settings = row.pop("job_settings")
            row["job_settings"] = json.loads(settings) if settings else {}
            row["parameters"] = {}
            row["input_artifacts"] = {}
            row["output_artifacts"] = {}
            row["metrics"] = {}
            row["trials"] = []
            row["experiments"] = []
            row["tags"] = {}
            component_id = row["id"]
            rows[component_id] = row
            parameters_json = metrics_json = None
            if from_documents:
                parameters_json, metrics_json = values[-2:]
            if "parameters" in include:
                if parameters_json is None:
                    parameter_ids.append(component_id)
                else:
                    row["parameters"] = JSONDocument(parameters_json)
            if "metrics" in include:
                if metrics_json is None:
                    metric_ids.append(component_id)
                else:
                    row["metrics"] = JSONDocument(metrics_json)
        if parameter_ids:
            for component_id, name, value_type, string_value in component_rows.PARAMETERS.all(
                connection, ids=parameter_ids
            ):
                # decode_parameter, inlined: a call per value costs more than its test.
                value: Any = string_value
                if value_type == "float":
                    value = float(string_value)
                elif value_type == "integer":
                    value = int(string_value)
                elif value_type == "boolean":
                    value = string_value == "True"
                rows[component_id]["parameters"][name] = value
        if "artifacts" in include:
            for component_id, kind, name, value, media_type in component_rows.ARTIFACTS.all(
                connection, ids=ids
            ):
                rows[component_id][f"{kind}_artifacts"][name] = {
                    "value": value,
                    "media_type": media_type,
                }
        if metric_ids:
            nan = math.nan
            for (
                component_id,
                name,
                minimum,
                maximum,
                average,
                std_dev,
                last,
                first,
                count,
                nan_count,
                last_step,
                last_timestamp,
            ) in component_rows.SUMMARIES.all(connection, ids=metric_ids):
                # _summary_record, inlined for the same reason as above.
                rows[component_id]["metrics"][name] = {
                    "min": nan if minimum is None else minimum,
                    "max": nan if maximum is None else maximum,
                    "avg": nan if average is None else average,
                    "std_dev": nan if std_dev is None else std_dev,
                    "last": nan if last is None else last,
                    "first": nan if first is None else first,
                    "count": int(count),
                    "nan_count": int(nan_count),
                    "last_step": last_step,
                    "last_timestamp": last_timestamp,
                }
        if "parents" in include:
            for component_id, trial_name, experiment_name in component_rows.PARENTS.all(
                connection, ids=ids
            ):
                record = rows[component_id]
                record["trials"].append(trial_name)
                if experiment_name not in record["experiments"]:
                    record["experiments"].append(experiment_name)
        if "tags" in include:
            for component_id, key, value in component_rows.TAGS.all(connection, ids=ids):
                rows[component_id]["tags"][key] = value
        return [rows[component_id] for component_id in ids if component_id in rows]

    # -- metrics ----------------------------------------------------------------------------

    def log_metrics(
        self,
        component_name: str,
        points: Sequence[MetricPoint],
        *,
        checked: bool = False,
        idempotency_key: str | None = None,
    ) -> int:
        """Append metric points to a component and update its summaries, in one transaction.

        ``points`` are ``(name, value, step, timestamp)``. Returns the number of points written.
        With ``checked`` the caller vouches that every name, value (a float) and step is
        already valid, as :class:`~jupyter_experiments.Tracker` checks them when a point is
        logged. The store then skips its own checks, which would take about a sixth of the time.

        With ``idempotency_key`` the key is recorded in the same transaction, and a batch whose
        key is already recorded for this component writes nothing and returns the count of its
        first write. A key recorded for another component raises :class:`ConflictError`.
        """
        if len(points) > MAX_METRIC_BATCH:
            raise ValidationError(
                f"Too many metric points in one batch: {len(points)}, the limit is "
                f"{MAX_METRIC_BATCH}. Split the batch."
            )
        by_name: dict[str, list[tuple[float, int, float]]] = defaultdict(list)
        if checked:
            for name, value, step, timestamp in points:
                by_name[name].append((value, step, timestamp))
        else:
            converted = []
            for name, value, step, timestamp in points:
                if name not in by_name:
                    check_key(name, "metric name")
                check_step(name, step)
                point = (
                    name,
                    check_metric_value(name, value),
                    step,
                    _check_timestamp(name, timestamp),
                )
                converted.append(point)
                by_name[name].append(point[1:])
            points = converted
        if not by_name:
            return 0

        def work(connection: sa.Connection) -> int:
            component_id = self._id_of(
                connection, trial_components, component_name, "trial component", "update"
            )
            if idempotency_key is not None:
                # The component's row lock, taken above, makes a retry of the same batch wait
                # for the first attempt's commit and then find its key.
                applied = self._applied_batch(
                    connection, idempotency_key, component_id, component_name
                )
                if applied is not None:
                    return applied
            self._insert_points(connection, component_id, points)
            document = self._merge_summaries(connection, component_id, by_name)
            connection.execute(
                trial_components.update()
                .where(trial_components.c.id == component_id)
                .values(modified_at=_now())
            )
            self._write_documents(connection, component_id, metrics_json=document)
            if idempotency_key is not None:
                try:
                    connection.execute(
                        metric_batch_keys.insert().values(
                            key=idempotency_key,
                            component_id=component_id,
                            written=len(points),
                            created_at=time.time(),
                        )
                    )
                except IntegrityError:
                    # Another transaction recorded the key after the check above: roll this
                    # one back and return what the key's batch wrote.
                    raise _KeyRecordedMeanwhile from None
                if time.monotonic() >= self._next_key_prune_at:
                    self._next_key_prune_at = time.monotonic() + METRIC_BATCH_KEY_PRUNE_INTERVAL_S
                    self._delete_old_batch_keys(connection, METRIC_BATCH_KEY_RETENTION_S)
            self._record_change(connection, "component", component_name, "metrics")
            return len(points)

        try:
            return self._write(work, f"log metrics to {component_name}")
        except _KeyRecordedMeanwhile:
            assert idempotency_key is not None
            return self._batch_written_meanwhile(idempotency_key, component_name)

    def prune_batch_keys(self, older_than_s: float = METRIC_BATCH_KEY_RETENTION_S) -> int:
        """Delete metric batch keys older than ``older_than_s`` seconds; return how many.

        :meth:`log_metrics` also deletes the keys older than
        :data:`METRIC_BATCH_KEY_RETENTION_S` with the first keyed batch of a store object, and
        again at most once per :data:`METRIC_BATCH_KEY_PRUNE_INTERVAL_S`.
        """
        return self._write(
            lambda connection: self._delete_old_batch_keys(connection, older_than_s),
            "prune metric batch keys",
        )

    @staticmethod
    def _delete_old_batch_keys(connection: sa.Connection, older_than_s: float) -> int:
        removed = connection.execute(
            metric_batch_keys.delete().where(
                metric_batch_keys.c.created_at < time.time() - older_than_s
            )
        ).rowcount
        if removed:
            log.info("Deleted %d metric batch keys older than %.0f s", removed, older_than_s)
        return int(removed)

    def _batch_written_meanwhile(self, key: str, component_name: str) -> int:
        """Return the count of the batch that another transaction recorded under ``key``."""
        with self._read() as connection:
            component_id = self._id_of(
                connection, trial_components, component_name, "trial component"
            )
            applied = self._applied_batch(connection, key, component_id, component_name)
        if applied is None:
            # The key's component was deleted in the meantime, which took the key with it.
            raise ConflictError(
                f"Metric batch {key!r} to trial component {component_name!r} was written "
                "concurrently and its key is gone. Check that the trial component exists, "
                "then send the batch again."
            )
        return applied

    @staticmethod
    def _applied_batch(
        connection: sa.Connection, key: str, component_id: int, component_name: str
    ) -> int | None:
        """Return the count written by the batch recorded under ``key``, or None if none is."""
        row = connection.execute(
            sa.select(metric_batch_keys.c.component_id, metric_batch_keys.c.written).where(
                metric_batch_keys.c.key == key
            )
        ).first()
        if row is None:
            return None
        if row.component_id != component_id:
            raise ConflictError(
                f"Idempotency key {key!r} is already used by a metric batch of another trial "
                "component. Send a new key for each batch."
            )
        log.info(
            "Metric batch %s to trial component %s was already written; not writing it again",
            key,
            component_name,
        )
        return int(row.written)

    def _insert_points(
        self,
        connection: sa.Connection,
        component_id: int,
        points: Sequence[MetricPoint],
    ) -> None:
        """Insert ``(name, value, step, timestamp)`` points whose values are floats."""
        if self.dialect == "sqlite":
            # The driver's executemany takes the point tuples as they are, which skips
            # SQLAlchemy's per-row processing that otherwise costs more than the insert. The
            # component id is an integer literal of the statement, so the tuples need no copy,
            # and SQLite stores a NaN value as NULL by itself.
            compiled = (
                metric_points.insert()
                .values(
                    component_id=sa.literal_column(str(int(component_id))),
                    name=sa.bindparam("name"),
                    value=sa.bindparam("value"),
                    step=sa.bindparam("step"),
                    timestamp=sa.bindparam("timestamp"),
                )
                .compile(dialect=connection.dialect)
            )
            order = list(compiled.positiontup or [])
            rows: Sequence[Sequence[Any]] = points
            if order != ["name", "value", "step", "timestamp"]:
                rows = [
                    tuple(dict(zip(POINT_FIELDS, p, strict=True))[k] for k in order) for p in points
                ]
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.executemany(str(compiled), rows)
            finally:
                cursor.close()
            return
        connection.execute(
            metric_points.insert(),
            [
                {
                    "component_id": component_id,
                    "name": name,
                    "value": None if math.isnan(value) else value,
                    "step": step,
                    "timestamp": timestamp,
                }
                for name, value, step, timestamp in points
            ],
        )

    def _merge_summaries(
        self,
        connection: sa.Connection,
        component_id: int,
        by_name: Mapping[str, list[tuple[float, int, float]]],
    ) -> str:
        """Add a batch of points to the component's summaries; return its new ``metrics_json``.

        The caller holds the component's row lock, so no other writer changes these summaries
        before the transaction ends, on either backend.
        """
        # Through the mapping, because Row.count is tuple.count.
        stored = {
            row.name: row._mapping
            for row in connection.execute(
                sa.select(metric_summaries).where(metric_summaries.c.component_id == component_id)
            )
        }
        new_names = set(by_name) - set(stored)
        if new_names and len(stored) + len(new_names) > MAX_METRICS_PER_COMPONENT:
            raise ValidationError(
                f"Too many metrics: the trial component would have "
                f"{len(stored) + len(new_names)} distinct metric names, the limit is "
                f"{MAX_METRICS_PER_COMPONENT}."
            )
        entries = {
            name: summary_entry(values) for name, values in stored.items() if name not in by_name
        }
        inserts = []
        updates = []
        for name, values in by_name.items():
            stored_values = stored.get(name)
            summary = Summary()
            if stored_values is not None:
                summary = Summary(
                    count=stored_values["count"],
                    nan_count=stored_values["nan_count"],
                    min=stored_values["min"],
                    max=stored_values["max"],
                    avg=stored_values["avg"],
                    m2=stored_values["m2"],
                    first=stored_values["first"],
                    first_step=stored_values["first_step"],
                    last=stored_values["last"],
                    last_step=stored_values["last_step"],
                    last_timestamp=stored_values["last_timestamp"],
                )
            summary.add_points(values)
            record = summary.row()
            entries[name] = summary_entry(record)
            if stored_values is None:
                inserts.append({"component_id": component_id, "name": name, **record})
            else:
                updates.append({"key_component_id": component_id, "key_name": name, **record})
        if inserts:
            connection.execute(metric_summaries.insert(), inserts)
        if updates:
            connection.execute(
                metric_summaries.update().where(
                    metric_summaries.c.component_id == sa.bindparam("key_component_id"),
                    metric_summaries.c.name == sa.bindparam("key_name"),
                ),
                updates,
            )
        return metrics_document(entries)

    def get_metric_series(
        self, component_name: str, metric_name: str, max_points: int | None = None
    ) -> list[dict[str, Any]]:
        """Return a metric's points ordered by step, then by write order.

        With ``max_points`` a longer series is cut into buckets of consecutive points, and each
        bucket keeps its first point and its minimum and maximum values, so that spikes survive
        the downsampling.
        """
        if max_points is not None and max_points < 3:
            raise ValidationError(
                f"Invalid max_points {max_points}: use at least 3, or None for every point."
            )
        with self._read() as connection:
            component_id = self._id_of(
                connection, trial_components, component_name, "trial component"
            )
            rows = connection.execute(
                sa.select(metric_points.c.step, metric_points.c.timestamp, metric_points.c.value)
                .where(
                    metric_points.c.component_id == component_id,
                    metric_points.c.name == metric_name,
                )
                .order_by(metric_points.c.step, metric_points.c.id)
            ).all()
        points = [
            {"step": step, "timestamp": timestamp, "value": _none_to_nan(value)}
            for step, timestamp, value in rows
        ]
        if max_points is None or len(points) <= max_points:
            return points
        return _downsample(points, max_points)

    def component_parents(self, names: Sequence[str]) -> dict[str, dict[str, list[str]]]:
        """Return the trials and experiments of each named component that still exists."""
        result: dict[str, dict[str, list[str]]] = {
            name: {"trials": [], "experiments": []} for name in names
        }
        if not names:
            return result
        with self._read() as connection:
            rows = connection.execute(
                sa.select(trial_components.c.name, trials.c.name, experiments.c.name)
                .join(
                    trial_component_links,
                    trial_component_links.c.component_id == trial_components.c.id,
                )
                .join(trials, trials.c.id == trial_component_links.c.trial_id)
                .join(experiments, experiments.c.id == trials.c.experiment_id)
                .where(trial_components.c.name.in_(list(names)))
                .order_by(CodePointText(trials.c.name))
            )
            for component, trial, experiment in rows:
                parents = result[component]
                parents["trials"].append(trial)
                if experiment not in parents["experiments"]:
                    parents["experiments"].append(experiment)
        return result

    def trial_mappings(self, component_name: str) -> list[tuple[str, str]]:
        """Return the ``(trial, experiment)`` names of a component's trials, by trial name.

        Unlike ``list_trials(component_name=...)``, nothing is counted per trial, so a view
        that refreshes while a job runs stays cheap.
        """
        with self._read() as connection:
            component_id = self._id_of(
                connection, trial_components, component_name, "trial component"
            )
            rows = connection.execute(
                sa.select(trials.c.name, experiments.c.name)
                .join(trial_component_links, trial_component_links.c.trial_id == trials.c.id)
                .join(experiments, experiments.c.id == trials.c.experiment_id)
                .where(trial_component_links.c.component_id == component_id)
                .order_by(CodePointText(trials.c.name))
            )
            return [(trial, experiment) for trial, experiment in rows]

    def max_steps(self, component_name: str) -> dict[str, int]:
        """Return the highest step of each of a component's metrics, NaN points included."""
        with self._read() as connection:
            component_id = self._id_of(
                connection, trial_components, component_name, "trial component"
            )
            rows = connection.execute(
                sa.select(metric_points.c.name, sa.func.max(metric_points.c.step))
                .where(metric_points.c.component_id == component_id)
                .group_by(metric_points.c.name)
            )
            return {name: int(step) for name, step in rows}

    def list_metric_names(self, component_name: str) -> list[str]:
        """Return the names of a component's metrics, sorted."""
        with self._read() as connection:
            component_id = self._id_of(
                connection, trial_components, component_name, "trial component"
            )
            return sorted(
                connection.execute(
                    sa.select(metric_summaries.c.name).where(
                        metric_summaries.c.component_id == component_id
                    )
                ).scalars()
            )

    # -- live updates -----------------------------------------------------------------------

    def latest_change_id(self) -> int:
        """Return the id of the newest change event, or 0 for none."""
        with self._read() as connection:
            return int(connection.execute(sa.select(sa.func.max(change_events.c.id))).scalar() or 0)

    def changes_since(self, change_id: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Return change events newer than ``change_id``, oldest first."""
        with self._read() as connection:
            return [
                dict(row._mapping)
                for row in connection.execute(
                    sa.select(change_events)
                    .where(change_events.c.id > change_id)
                    .order_by(change_events.c.id)
                    .limit(limit)
                )
            ]

    def prune_changes(self, older_than_s: float = CHANGE_EVENT_RETENTION_S) -> int:
        """Delete change events older than ``older_than_s`` seconds; return how many."""
        cutoff = time.time() - older_than_s

        def work(connection: sa.Connection) -> int:
            return connection.execute(
                change_events.delete().where(change_events.c.created_at < cutoff)
            ).rowcount

        return self._write(work, "prune change events")

    # -- jobs -------------------------------------------------------------------------------

    def set_job_status(
        self,
        name: str,
        status: str,
        *,
        expected: Sequence[str],
        status_message: str | None = None,
        end_time: float | None = None,
    ) -> str | None:
        """Set a job's status (also in its job settings) if the stored status is in ``expected``.

        The check and the change run in one transaction on the locked row, so two processes
        that end the same job cannot overwrite each other's final status. Returns the status
        stored before; when it is not in ``expected``, nothing changes. Raises
        :class:`NotFoundError` if the trial component does not exist.
        """
        check_status(status)
        status_message = _check_storable(
            check_text(status_message, "status message"), "status message"
        )
        end_time = _check_time(end_time, "end time")

        def work(connection: sa.Connection) -> str | None:
            row = connection.execute(
                _with_row_lock(
                    sa.select(
                        trial_components.c.id,
                        trial_components.c.status,
                        trial_components.c.job_settings,
                    ).where(trial_components.c.name == name),
                    "update",
                )
            ).first()
            if row is None:
                self._id_of(connection, trial_components, name, "trial component")
                return None
            previous: str | None = row.status
            if previous not in expected:
                return previous

            settings = json.loads(row.job_settings) if row.job_settings else {}
            settings["status"] = status
            values: dict[str, Any] = {
                "modified_at": _now(),
                "status": status,
                "job_settings": self._encode_job_settings(settings),
            }
            if status_message is not None:
                values["status_message"] = status_message
            if end_time is not None:
                values["end_time"] = end_time
            connection.execute(
                trial_components.update().where(trial_components.c.id == row.id).values(**values)
            )
            self._record_change(connection, "component", name, "updated")
            return previous

        return self._write(work, f"set the status of job {name} to {status}")

    def running_components(self, source_type: str) -> list[dict[str, Any]]:
        """Return components of ``source_type`` whose status is InProgress or Stopping."""
        with self._read() as connection:
            return [
                {
                    "name": row.name,
                    "status": row.status,
                    "job_settings": json.loads(row.job_settings) if row.job_settings else {},
                }
                for row in connection.execute(
                    sa.select(
                        trial_components.c.name,
                        trial_components.c.status,
                        trial_components.c.job_settings,
                    ).where(
                        trial_components.c.source_type == source_type,
                        trial_components.c.status.in_(("InProgress", "Stopping")),
                    )
                )
            ]


class _KeyRecordedMeanwhile(Exception):
    """Rolls back a metric batch whose idempotency key another transaction recorded first."""


class _RolledBack(Exception):
    """Carries the result of a dry run out of the transaction it rolls back."""

    def __init__(self, result: Any) -> None:
        super().__init__("dry run")
        self.result = result


_LIST_HINTS = {
    "experiment": "Experiment.list()",
    "trial": "Trial.list()",
    "trial component": "TrialComponent.list()",
}


def _not_found(what: str, name: str) -> NotFoundError:
    return NotFoundError(
        f"{what.capitalize()} {name!r} not found. Check the name, or list them with "
        f"{_LIST_HINTS[what]}."
    )


def _only(selection: Mapping[str, Any], *keys: str) -> bool:
    """Return whether a selection of components sets only some of ``keys``, and one at least."""
    return any(selection.get(key) for key in keys) and all(
        value is None or value is False for key, value in selection.items() if key not in keys
    )


#: The statements of first-candidates walks of selections by name, by their shape and lists.
_WALKS: dict[tuple[Any, ...], DriverQuery] = {}


def _walk_values(descending: bool, limit: int, offset: int) -> dict[str, Any]:
    """Return the parameters of a first-candidates walk: its bound (``_walk_bound``) and page."""
    return {
        "bound_offset": (offset + limit) * FIRST_CANDIDATES_PER_ROW - 1,
        "beyond": -math.inf if descending else math.inf,
        "offset": offset,
        "limit": limit,
    }


def _name_contains(table: sa.Table, text: str) -> sa.ColumnElement[bool]:
    """Match rows whose name or display name contains ``text``, ignoring case."""
    lowered = text.lower()
    return sa.func.lower(table.c.name).contains(lowered, autoescape=True) | sa.func.lower(
        table.c.display_name
    ).contains(lowered, autoescape=True)


def _created_between(
    table: sa.Table, before: float | None, after: float | None
) -> list[sa.ColumnElement[bool]]:
    """Return the conditions on creation time that ``before`` and ``after`` ask for."""
    conditions = []
    if before is not None:
        conditions.append(table.c.created_at < before)
    if after is not None:
        conditions.append(table.c.created_at > after)
    return conditions


def _summary_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return a stored summary as the statistics users see; NaN where a value is missing."""
    return {
        "min": _none_to_nan(row["min"]),
        "max": _none_to_nan(row["max"]),
        "avg": _none_to_nan(row["avg"]),
        "std_dev": _none_to_nan(row["std_dev"]),
        "last": _none_to_nan(row["last"]),
        "first": _none_to_nan(row["first"]),
        "count": int(row["count"]),
        "nan_count": int(row["nan_count"]),
        "last_step": row["last_step"],
        "last_timestamp": row["last_timestamp"],
    }


def _downsample(points: list[dict[str, Any]], max_points: int) -> list[dict[str, Any]]:
    # Each bucket contributes up to three points (first, min, max), kept in step order; one
    # slot is kept for the series' last point so that a chart ends at the final value.
    buckets = max(1, (max_points - 1) // 3)
    size = math.ceil(len(points) / buckets)
    result: list[dict[str, Any]] = []
    for start in range(0, len(points), size):
        bucket = points[start : start + size]
        chosen = {0}
        finite = [i for i, p in enumerate(bucket) if not math.isnan(p["value"])]
        if finite:
            chosen.add(min(finite, key=lambda i: bucket[i]["value"]))
            chosen.add(max(finite, key=lambda i: bucket[i]["value"]))
        result.extend(bucket[i] for i in sorted(chosen))
    if result[-1] is not points[-1]:
        result.append(points[-1])
    return result
