"""Copydesk: news article collector and wire-copy detector."""

__version__ = "0.1.0"
