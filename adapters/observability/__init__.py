"""Correlation ids, structured logs and metrics (ADR 019)."""
