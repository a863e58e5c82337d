"""Helpers of :mod:`copydesk.extract`: page segmentation, block features and classifier,
clean-up, dates, titles, the page-type gate, site furniture."""
