"""Benchmarks behind `make bench`: figures with baselines measured in the same run."""
