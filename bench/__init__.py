"""Tremplin's benchmarks: speed and memory targets, measured against baselines of the same run."""
