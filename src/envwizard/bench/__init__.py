"""The training benchmark: a worker script run in the target environment, and its launcher."""
