"""The onboarding context's read side.

``relational`` is the one relational projection (``onboarding_npos``), its tables
grouped by what they describe, each group with its typed reader: ``npos`` (read by
``npo_reader``), ``communities``, ``platform``. ``offerings`` keeps the offering
documents and reads them typed; ``integration_events`` publishes the offering flow's
messages and lists the context's projections.
"""
