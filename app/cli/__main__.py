"""``python -m app.cli``: the ``patrolnet`` command."""

from app.cli import main

main()
