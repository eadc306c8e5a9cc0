"""HTTP routes of the ml-service."""
