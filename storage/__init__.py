"""Tremplin's storage: SQLAlchemy models, repositories and Alembic migrations."""
