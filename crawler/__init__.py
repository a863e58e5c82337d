"""Copydesk crawler package."""
