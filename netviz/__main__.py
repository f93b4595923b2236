"""``python -m netviz``: the same as the ``netviz`` command."""

from netviz.cli import main

raise SystemExit(main())
