"""Alembic environment: runs the store's migrations on the connection the package passes in."""

from alembic import context

from jupyter_experiments.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    # Run from the alembic command line (developers generating a revision): use the URL given.
    import sqlalchemy as sa

    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
