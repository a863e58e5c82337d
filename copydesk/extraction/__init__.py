"""Helpers of :mod:`copydesk.extract`: blocks, candidates, clean-up, gate, site furniture."""
