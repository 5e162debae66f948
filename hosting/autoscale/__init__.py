"""CPU autoscaling and scale to zero: pure policy (policy.py), beat ticks (tick.py, idle.py)."""
