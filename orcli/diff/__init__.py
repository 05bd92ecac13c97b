"""``orcli diff``: what a policy change does to requests, routes, cost and drill verdicts."""
