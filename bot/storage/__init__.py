"""Storage: SQLAlchemy 2 models, the engine and Alembic migrations shipped with the package."""
