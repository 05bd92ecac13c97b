"""orcli: workflow routing policy as code for OpenRouter apps, tested by chaos drills."""

__version__ = "0.1.0"
