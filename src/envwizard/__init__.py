"""envwizard: build a deep-learning Python environment that really runs on this machine."""

__version__ = "0.1.0"
