"""``python -m dsr_resolvers.cli``: the ``dsr`` command without the console script."""

from dsr_resolvers.cli import main

raise SystemExit(main())
