"""The activator: wakes versions at 0 instances and proxies the requests that woke them."""
