"""API gateway: authenticates, authorizes and forwards to the services."""

__version__ = "0.1.0"
