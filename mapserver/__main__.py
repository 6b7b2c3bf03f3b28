"""Run the `mapserver` command as ``python -m mapserver``."""

from mapserver.cli import main

main()
