"""The onboarding context: NPOs, offerings, communities, leader assignment."""
