"""Local process runner of the platform (`python -m devstack up|migrate|create-admin`)."""

from devstack.stack import (
    GATEWAY,
    PROCESSES,
    SERVICES,
    ServiceName,
    ServiceSpec,
    Stack,
    StopRequested,
    create_admin,
    isolated_environment,
    migrate,
    running,
    stack_environment,
)

__all__ = [
    "GATEWAY",
    "PROCESSES",
    "SERVICES",
    "ServiceName",
    "ServiceSpec",
    "Stack",
    "StopRequested",
    "create_admin",
    "isolated_environment",
    "migrate",
    "running",
    "stack_environment",
]
