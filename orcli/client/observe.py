"""Observers of logical requests: how telemetry sees the client without living in its loops.

A client tells its observer when a request starts and hands it the finished
:class:`~orcli.client.ledger.ChatResult`; everything an observer reports (spans, metrics)
is derived from that ledger afterwards. The one thing it can add before anything is sent is
body fields (OpenRouter's ``trace``), so that the upstream's own traces nest under the app's.

``AUTO`` (the clients' default) is OpenTelemetry when ``opentelemetry-api`` is installed
(``pip install 'orcli[otel]'``), else nothing: :func:`orcli.client.otel.resolve` decides.
Drills pass ``None``: their telemetry is written from the drill's records instead
(``orcli drill --otlp-json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

from orcli.client.ledger import ChatResult

if TYPE_CHECKING:
    from orcli.client.core import Settings

AUTO: Literal["auto"] = "auto"


@dataclass(frozen=True, slots=True)
class RequestStart:
    """What is known of a logical request before its first attempt."""

    workflow: str
    model: str  # the chain's first model
    stream: bool
    server_address: str  # host of the API the client calls
    started_at: float  # the client's clock


class RequestWatch(Protocol):
    """One observed request."""

    def body_fields(self) -> Mapping[str, Any]:
        """Fields to add to every attempt's body (never ones the policy sets)."""
        ...

    def finish(self, result: ChatResult, now: float) -> None: ...

    def abandon(self, error: BaseException, now: float) -> None:
        """The request ended in an exception instead of a result (a budget refusal, a cancel)."""
        ...


class Observer(Protocol):
    def start(self, request: RequestStart) -> RequestWatch | None: ...


ObserverChoice = Observer | Literal["auto"] | None


def begin(
    observer: Observer | None, settings: Settings, stream: bool | None, now: float
) -> tuple[RequestWatch | None, Mapping[str, Any] | None]:
    """Start watching one request; returns the watch and the body fields it wants sent."""
    if observer is None:
        return None, None
    workflow = settings.workflow
    watch = observer.start(
        RequestStart(
            workflow=settings.workflow_name,
            model=workflow.models.primary,
            stream=workflow.needs.streaming if stream is None else stream,
            server_address=urlsplit(settings.chat_url).hostname or "",
            started_at=now,
        )
    )
    return watch, (watch.body_fields() if watch is not None else None)


def merged(first: Mapping[str, Any] | None, second: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if not first:
        return second
    if not second:
        return first
    return {**first, **second}
