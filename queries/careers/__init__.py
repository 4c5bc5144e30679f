"""Reads over the careers context's views."""
