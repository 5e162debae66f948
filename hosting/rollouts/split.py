"""The traffic split of a rollout step, as pure functions over {version id: percent}.

The previous split is the rollback target; at a step the new version takes its percent
and the previous versions share the rest in their old proportions (largest remainder,
so the shares stay whole and add up to the total).
"""


def spread(weights: dict[int, int], total: int) -> dict[int, int]:
    """Whole shares of `total` in proportion to `weights` (all positive), summing to it."""
    whole = sum(weights.values())
    exact = {vid: total * w / whole for vid, w in weights.items()}
    result = {vid: int(value) for vid, value in exact.items()}
    short = total - sum(result.values())
    for vid in sorted(exact, key=lambda v: (result[v] - exact[v], v))[:short]:
        result[vid] += 1
    return result


def step_split(previous: dict[int, int], new_id: int, percent: int) -> dict[int, int]:
    others = {vid: share for vid, share in previous.items() if vid != new_id and share > 0}
    if not others or percent >= 100:
        return {new_id: 100}
    return {**spread(others, 100 - percent), new_id: percent}


def rollback_target(previous: dict[int, int], new_id: int, usable: set[int]) -> dict[int, int] | None:
    """The previous split over the versions that can still take traffic, rescaled to 100;
    None when none of them can (the new version then keeps its traffic)."""
    kept = {vid: share for vid, share in previous.items()
            if vid != new_id and vid in usable and share > 0}
    return spread(kept, 100) if kept else None
