"""Contracts between services, each defined once: customer ranges, event codecs,
quota metering and token revocation. The rest of segshared is infrastructure."""
