"""Storage: SQLAlchemy models, the database handle, Alembic migrations."""
