"""Chaos drills: scenarios, the traffic they send, the runs on the mock or live API, and the verdicts."""
