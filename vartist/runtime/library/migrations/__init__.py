"""Alembic migrations of the library schema, run by :meth:`Library.open`."""
