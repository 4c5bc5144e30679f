"""The careers context's HTTP face."""
