"""Recent-outage tracking: OpenRouter moves endpoints that failed in the last 30 s to the back.

What counts as a "significant outage" is not documented; here any 5xx or upstream timeout
counts (429s do not: OpenRouter's uptime figures exclude them too).
"""

from __future__ import annotations

from orcli.catalog.model import Endpoint
from orcli.ids import base_model
from orcli.routing.plan import OUTAGE_WINDOW_S


class HealthTracker:
    def __init__(self, window_s: float = OUTAGE_WINDOW_S) -> None:
        self.window_s = window_s
        self._last_outage_s: dict[tuple[str, str], float] = {}

    def record_outage(self, model_id: str, endpoint: Endpoint, at_s: float) -> None:
        key = (base_model(model_id), endpoint.tag)
        self._last_outage_s[key] = max(at_s, self._last_outage_s.get(key, at_s))

    def view(self, now_s: float) -> HealthView:
        return HealthView(self, now_s)

    def had_outage(self, model_id: str, endpoint: Endpoint, now_s: float) -> bool:
        at_s = self._last_outage_s.get((base_model(model_id), endpoint.tag))
        return at_s is not None and 0 <= now_s - at_s < self.window_s

    def clear(self) -> None:
        self._last_outage_s.clear()


class HealthView:
    """The tracker at one moment: implements ``orcli.routing.plan.Health``."""

    __slots__ = ("_now_s", "_tracker")

    def __init__(self, tracker: HealthTracker, now_s: float) -> None:
        self._tracker = tracker
        self._now_s = now_s

    def had_recent_outage(self, model_id: str, endpoint: Endpoint) -> bool:
        return self._tracker.had_outage(model_id, endpoint, self._now_s)
