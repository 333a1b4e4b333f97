"""Alembic environment: runs against the engine handed over by ``archive.db``."""

from alembic import context

from archive.models import Base

target_metadata = Base.metadata
engine = context.config.attributes.get("engine")

if engine is None:  # called from the alembic command line
    from sqlalchemy import create_engine

    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
