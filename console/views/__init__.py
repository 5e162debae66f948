"""Console views, one module per part of the tree (small function views)."""
