"""The HAProxy router: host-based routing, weighted splits, preview hosts, request stats.

`sync()` is the one entry point the rest of the platform calls (after traffic or
readiness changes); it is idempotent and cheap when nothing changed.
"""


def sync() -> str:
    """Render the router's config from the database and apply it (hitless)."""
    from hosting.router.converge import sync as converge_router

    return converge_router()
