"""The onboarding context's write side: NPOs, offerings, communities, assignment."""
