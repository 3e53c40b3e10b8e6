"""Alembic environment: run programmatically by ``portal.storage.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from portal.storage.tables import metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        context.config.get_section(context.config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()


def _run_by_alembic() -> bool:
    try:
        context.config  # noqa: B018 - only alembic's runner sets up the context
    except AttributeError:  # imported by a test collector (pytest --doctest-modules)
        return False
    return True


if _run_by_alembic():
    run_migrations_online()
