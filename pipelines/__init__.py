"""Copydesk pipelines package."""
