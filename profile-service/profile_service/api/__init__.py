"""HTTP routes of the profile-service."""
