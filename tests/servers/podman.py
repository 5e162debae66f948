"""Server fixtures (filled in by its owner)."""
