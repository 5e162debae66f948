"""The HAProxy router (filled in by the traffic work)."""


def sync() -> None:
    """Render the router's config from the database and apply it (hitless)."""
