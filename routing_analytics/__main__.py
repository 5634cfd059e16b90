"""`python -m routing_analytics`: the same as the routing-analytics command."""

from routing_analytics.cli import main

raise SystemExit(main())
