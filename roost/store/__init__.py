"""Storage: SQLAlchemy models, the database (sessions, migrations, single writer)."""

from roost.store.database import Database, database_url

__all__ = ["Database", "database_url"]
