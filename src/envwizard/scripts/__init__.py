"""Standalone scripts run by the *target* environment's Python (stdlib + torch only).

They are files, not importable helpers: the planner puts their paths into argv, and they must
run under any Python that torch supports, without envwizard installed there.
"""
