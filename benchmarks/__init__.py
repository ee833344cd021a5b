"""Ledarforum's benchmark suite: ``python -m benchmarks [--quick]``.

Each row compares a figure with its natural floor measured in the same run (bare Bolt, the rate
limits, a small database), because absolute times on shared machines drift. See
docs/performance.md.
"""
