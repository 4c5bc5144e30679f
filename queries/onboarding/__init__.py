"""Reads over the onboarding views: NPOs, offerings, communities, reports.

Everything here reads views through their typed readers (``projections.onboarding``),
never aggregates. Who may see what is decided here too (``viewer``), beside the
data, so every entry point applies the same rules.
"""
