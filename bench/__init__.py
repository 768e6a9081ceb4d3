"""Panorama benchmarks: ``python -m bench.run`` prints the tables (see bench/README.md)."""
