"""Performance measurements of Optiscape (run as modules, e.g. python -m benchmarks.engine)."""
