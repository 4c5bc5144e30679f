"""The onboarding context's HTTP face: NPOs, offerings, communities."""
