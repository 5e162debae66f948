"""Run every benchmark module and print `<name>: <value> <unit>` lines.

Each module exposes `run() -> list[(name, value, unit, ratio_or_None[, ratio_name])]`; a
figure with a baseline from the same run is followed by `<name>_ratio: <ratio>`
(Contracts, DESIGN.md), or by the row's own ratio name.
Pick modules with `python -m bench deploy router`.
"""
import importlib
import os
import signal
import sys

MODULES = ["deploy", "router", "api", "control", "k8s"]


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    # A SIGTERM (`timeout`, a CI limit) unwinds like Ctrl-C: the run's engine service
    # is stopped and its containers removed instead of left holding Podman's locks.
    signal.signal(signal.SIGTERM, _interrupted)
    failed = 0
    for name in argv or MODULES:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"# bench.{name} unavailable: {exc}", file=sys.stderr)
            failed += 1
            continue
        for figure, value, unit, ratio, *named in module.run():
            print(f"{figure}: {value:.3f} {unit}".rstrip(), flush=True)
            if ratio is not None:
                print(f"{named[0] if named else ratio_name(figure)}: {ratio:.3f}", flush=True)
    return 1 if failed else 0


def _interrupted(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def ratio_name(figure: str) -> str:
    """cold_start_p50 -> cold_start_ratio; router_throughput -> router_throughput_ratio."""
    for suffix in ("_p50", "_p95", "_ms"):
        if figure.endswith(suffix):
            figure = figure[: -len(suffix)]
            break
    return f"{figure}_ratio"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
