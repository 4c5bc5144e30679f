"""The careers context: candidates, needs assessments, mentors, roadmaps, progress.

Candidates describe their careers and needs (C1, C2); mentors are assigned by expertise
within a cap (CM2); a roadmap of approved items tracks progress (C6, CM1, CM3). Its
aggregates, one module each, join this package as they are built, in the shape every
context shares (``docs/adr/008-one-shape-for-every-context.md``).
"""
