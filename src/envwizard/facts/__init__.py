"""Facts about a machine: the data model, and the probe that fills it."""

from envwizard.facts.model import GPU, SCHEMA, Facts, Manager, OSInfo, PythonInfo

__all__ = ["GPU", "SCHEMA", "Facts", "Manager", "OSInfo", "PythonInfo"]
