"""The ``jupyter experiments`` command line: database upgrades, the tracking server, the demo."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .errors import ExperimentsError
from .store import TrackingStore, migrations, resolve_db_url
from .store.engine import create_engine

log = logging.getLogger("jupyter_experiments")


#: Defaults of ``jupyter experiments server``: loopback, so that the API is not exposed until
#: someone chooses to. They live here rather than in the server module, whose imports (tornado,
#: jupyter_server) would slow every other subcommand.
SERVER_IP = "127.0.0.1"
SERVER_PORT = 5800


def _db_upgrade(arguments: argparse.Namespace) -> int:
    url = resolve_db_url(arguments.url)
    engine = create_engine(url)
    try:
        before, after = migrations.upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        print(
            f"The store {engine.url.render_as_string(hide_password=True)} is up to date ({after})."
        )
    else:
        print(
            f"Upgraded {engine.url.render_as_string(hide_password=True)} from {before} to {after}."
        )
    return 0


def _db_current(arguments: argparse.Namespace) -> int:
    engine = create_engine(resolve_db_url(arguments.url))
    try:
        with engine.connect() as connection:
            revision = migrations.current_revision(connection)
    finally:
        engine.dispose()
    print(
        f"{engine.url.render_as_string(hide_password=True)}: schema {revision or 'none'}, "
        f"this package needs {migrations.HEAD_REVISION}"
    )
    return 0


def _demo(arguments: argparse.Namespace) -> int:
    from .demo import run_demo

    store = TrackingStore(arguments.url) if arguments.url else None
    run_demo(
        epochs=arguments.epochs,
        hidden_channels=arguments.hidden_channels,
        experiment_name=arguments.experiment_name,
        data_dir=arguments.data_dir,
        store=store,
    )
    return 0


def _server(arguments: argparse.Namespace) -> int:
    from .server.standalone import run_server

    return run_server(
        ip=arguments.ip,
        port=arguments.port,
        db_url=arguments.db_url,
        artifact_root=arguments.artifact_root,
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``jupyter experiments``."""
    parser = argparse.ArgumentParser(
        prog="jupyter experiments",
        description="Track machine-learning experiments and compare trials.",
    )
    parser.add_argument("--log-level", default="WARNING", help="logging level (default WARNING)")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="manage the tracking database")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    for name, handler, text in (
        ("upgrade", _db_upgrade, "migrate the store to this version's schema"),
        ("current", _db_current, "print the store's schema version"),
    ):
        sub = db_commands.add_parser(name, help=text)
        sub.add_argument(
            "--url",
            help="SQLAlchemy URL or SQLite path (default: $JUPYTER_EXPERIMENTS_DB_URL, then "
            "the store in the Jupyter data directory)",
        )
        sub.set_defaults(handler=handler)

    server = commands.add_parser(
        "server",
        help="run the tracking API alone (no JupyterLab), for remote logging; the token is "
        "$JUPYTER_EXPERIMENTS_TOKEN, else generated and printed",
    )
    server.add_argument(
        "--ip", default=SERVER_IP, help=f"address to listen on (default {SERVER_IP})"
    )
    server.add_argument(
        "--port", type=int, default=SERVER_PORT, help=f"port to listen on (default {SERVER_PORT})"
    )
    server.add_argument(
        "--db-url",
        help="SQLAlchemy URL or SQLite path of the store (default: $JUPYTER_EXPERIMENTS_DB_URL, "
        "then the store in the Jupyter data directory)",
    )
    server.add_argument(
        "--artifact-root",
        help="folder or fsspec URL (such as s3://bucket/prefix) of the artifacts (default: "
        "$JUPYTER_EXPERIMENTS_ARTIFACT_ROOT, then 'artifacts' beside a SQLite store)",
    )
    server.set_defaults(handler=_server)

    demo = commands.add_parser(
        "demo", help="run the tracked MNIST-style experiment: one trial per hidden_channels"
    )
    demo.add_argument(
        "--epochs", type=int, default=200, help="training epochs per trial (default 200)"
    )
    demo.add_argument(
        "--hidden-channels",
        type=int,
        nargs="+",
        default=[2, 5, 10, 20, 32],
        help="values of hidden_channels, one trial each (default 2 5 10 20 32)",
    )
    demo.add_argument("--experiment-name", help="experiment name (default: generated)")
    demo.add_argument(
        "--data-dir", help="folder with MNIST IDX files (default: scikit-learn's digits)"
    )
    demo.add_argument("--url", help="SQLAlchemy URL or SQLite path of the store")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=arguments.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(arguments.handler(arguments))
    except ExperimentsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
