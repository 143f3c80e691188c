"""batch-eval: judge generated programs of every checkpoint against their problems' tests."""

__version__ = "0.1.0"
SCHEMA_VERSION = 1
