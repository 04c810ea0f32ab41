"""Likvärd: fair, transparent school resource allocation for Swedish municipalities."""

__version__ = "0.1.0"
