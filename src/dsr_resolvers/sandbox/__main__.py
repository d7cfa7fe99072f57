"""``python -m dsr_resolvers.sandbox``: see :mod:`dsr_resolvers.sandbox`."""

from dsr_resolvers.sandbox import main

raise SystemExit(main())
