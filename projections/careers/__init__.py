"""The careers context's views: one module per view, owning its tables and readers."""
