"""The tool's version and the schema version every JSON file of ours carries."""

__version__ = "0.1.0"
SCHEMA_VERSION = 1
