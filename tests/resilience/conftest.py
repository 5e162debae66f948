"""Resilience tests: the in-memory runtime for the stall rule; real servers elsewhere."""
from tests.runtime.conftest import mem  # noqa: F401 (the fixture, shared)
