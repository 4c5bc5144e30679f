"""Read side of the onboarding context."""
