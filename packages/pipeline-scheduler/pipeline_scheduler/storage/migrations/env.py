"""Alembic environment: migrations run on the connection :func:`..schema.migrate` hands over."""

from alembic import context

from pipeline_scheduler.storage.schema import VERSION_TABLE

context.configure(connection=context.config.attributes["connection"], version_table=VERSION_TABLE,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
