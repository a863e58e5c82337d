"""Copydesk's Scrapy commands (``COMMANDS_MODULE``): ``crawl`` with cron-friendly exit codes."""
