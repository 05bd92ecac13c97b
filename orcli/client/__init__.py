"""The resilient client: the app-side half of a workflow policy."""
