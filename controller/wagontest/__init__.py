"""Wagon tests: baseline, each wagon, the full train and the merge, measured and judged."""
