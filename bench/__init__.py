"""Benchmarks (`wuji bench`): wuji's figures next to raw baselines measured in the same run."""
