"""Gradual rollouts: move a service's traffic to a new version step by step, watching the
router's own per-version counters, and roll back by itself on a breach.

- options.py  the user's settings (steps, hold, guard rails), validated, with defaults
- decide.py   the pure decision: counters and options in, advance / hold / rollback out
- counters.py per-version request counters and latencies read from HAProxy
- split.py    the traffic split of a step, and the rollback target
- models.py   the Rollout row: the whole state, so any worker can pick it up
- machine.py  the state machine a beat tick drives (never sleeps), and the user's actions
"""
