"""``python -m netviz``: the same as the ``netviz`` command."""

from netviz.commands.cli import main

raise SystemExit(main())
