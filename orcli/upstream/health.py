"""Recent-outage tracking: OpenRouter moves endpoints that failed in the last 30 s to the back.

What counts as a "significant outage" is not documented; here any 5xx or upstream timeout
counts (429s do not: OpenRouter's uptime figures exclude them too).

A failure is known only once it has happened: it is recorded at the simulated moment the
failing attempt ends (the error reply, or OpenRouter's own provider timeout for a provider
that never answers), which may lie after requests that arrive in the meantime. Those
requests still route as if the endpoint were healthy, as they would on OpenRouter.
"""

from __future__ import annotations

from orcli.catalog.model import Endpoint
from orcli.ids import base_model
from orcli.routing.plan import OUTAGE_WINDOW_S


class HealthTracker:
    def __init__(self, window_s: float = OUTAGE_WINDOW_S) -> None:
        self.window_s = window_s
        # Per endpoint, the moments its failures become known. Usually one or two: a failure
        # recorded in the future must not hide an earlier one that is already known.
        self._outages_s: dict[tuple[str, str], list[float]] = {}

    def record_outage(self, model_id: str, endpoint: Endpoint, at_s: float, now_s: float) -> None:
        """A failure of ``endpoint`` that becomes known at ``at_s``, recorded while handling a
        request that arrived at ``now_s`` (requests arrive in order, so ``now_s`` never
        goes back: a failure known before ``now_s`` - window can matter to no later request)."""
        key = (base_model(model_id), endpoint.tag)
        known = self._outages_s.get(key)
        if known is None:
            self._outages_s[key] = [at_s]
            return
        horizon = now_s - self.window_s
        kept = [t for t in known if t > horizon]
        kept.append(at_s)
        self._outages_s[key] = kept

    def view(self, now_s: float) -> HealthView:
        return HealthView(self, now_s)

    def had_outage(self, model_id: str, endpoint: Endpoint, now_s: float) -> bool:
        known = self._outages_s.get((base_model(model_id), endpoint.tag))
        if known is None:
            return False
        window = self.window_s
        return any(0 <= now_s - at_s < window for at_s in known)

    def clear(self) -> None:
        self._outages_s.clear()


class HealthView:
    """The tracker at one moment: implements ``orcli.routing.plan.Health``."""

    __slots__ = ("_now_s", "_tracker")

    def __init__(self, tracker: HealthTracker, now_s: float) -> None:
        self._tracker = tracker
        self._now_s = now_s

    def had_recent_outage(self, model_id: str, endpoint: Endpoint) -> bool:
        return self._tracker.had_outage(model_id, endpoint, self._now_s)
