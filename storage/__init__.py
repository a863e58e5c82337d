"""Copydesk storage package."""
