"""Benchmarks: figures printed and saved, never timed tests. Run ``python -m benchmarks [--quick]``."""
