"""``python -m vartist`` runs the command line."""

from vartist.cli import main

main()
