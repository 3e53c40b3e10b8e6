"""Storage layer: the only place that talks SQL (SQLAlchemy Core, never strings)."""
