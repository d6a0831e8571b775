"""`python -m node.cli`: the same as the `wuji` command."""

from node.cli import main

main()  # typer ends the process itself, with the command's exit status
