"""Reads over the careers views, through their typed readers (``projections.careers``),
never aggregates."""
