"""`python -m copydesk.cli`: the `copydesk` command."""

from copydesk.cli import main

main()
