"""The benchmark's views, one module per store: tables, documents, cache."""
