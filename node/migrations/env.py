"""Alembic environment: runs on the engine the node hands over (see node/store/engine.py)."""

from alembic import context

from node.store.models import Base
from sync.tables import SyncBase

target_metadata = [Base.metadata, SyncBase.metadata]

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic` command line: take the URL from -x url=... or the ini file
    from alembic.util import CommandError
    from sqlalchemy import create_engine

    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if url is None:
        raise CommandError("no database URL: pass -x url=... or set sqlalchemy.url in the ini file")
    engine = create_engine(url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
