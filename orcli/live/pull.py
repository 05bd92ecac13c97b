"""Build a catalog from the live API: ``GET /models``, then each model's ``/endpoints``.

The mapping onto :mod:`orcli.catalog.model` fills every field from what the API gives
and makes these assumptions where it gives nothing (each is also the safer reading):

- **Data policy**: the public endpoints listing does not state whether a provider trains
  on or retains prompts. An endpoint without a ``data_policy`` object is marked as doing
  both, which is how OpenRouter itself treats unclear policies, so ``data_collection:
  deny`` never admits it by accident. ZDR comes from ``GET /endpoints/zdr`` when that
  list is available (else no endpoint is ZDR, and the pull says so).
- **Max output**: ``max_completion_tokens: null`` means no limit below the context length.
- **Latency**: the API's ``latency_last_30m`` is time to first token; its unit is
  documented as milliseconds but examples read as seconds. Values above 50 are taken as
  milliseconds. Missing latency or throughput (unauthenticated calls get ``null``) is
  filled with middling placeholders (1 s to first token, 50 tokens/s) so routing can rank.
- **Uptime**: ``uptime_last_30m: null`` (too little traffic) counts as 100.
- **Tier**: a tag ending in ``/priority`` or ``/flex`` is that service tier.
- Endpoints with a negative or absurd price (routers such as ``openrouter/auto`` quote
  ``-1``) are left out; a model left without endpoints is skipped, and the pull lists why.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import ValidationError

from orcli.catalog.model import (
    MAX_REQUEST_PRICE_USD,
    MAX_TOKEN_PRICE_USD,
    QUANTIZATIONS,
    Catalog,
    DataPolicy,
    Endpoint,
    Model,
    Percentiles,
    Pricing,
)
from orcli.errors import UpstreamError
from orcli.ids import ProviderSlug, slug_of_name
from orcli.live.api import ApiCallFailed, ApiReader

PLACEHOLDER_LATENCY_S = Percentiles(p50=1.0, p75=1.5, p90=2.5, p99=5.0)
PLACEHOLDER_THROUGHPUT = Percentiles(p50=50.0, p75=40.0, p90=30.0, p99=15.0)
MS_THRESHOLD = 50.0  # a time to first token above this many "seconds" must be milliseconds
_TAG = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)?$")
_MAX_PAGES = 50


@dataclass(frozen=True)
class PullResult:
    catalog: Catalog
    skipped: tuple[str, ...]  # "model: why", for models left out
    warnings: tuple[str, ...]
    calls: int  # HTTP requests made, retries included


def pull_catalog(
    reader: ApiReader,
    *,
    patterns: Sequence[str] = (),
    limit: int | None = None,
    now: datetime,
    on_progress: Callable[[int, int], None] | None = None,
) -> PullResult:
    """Everything is fetched before anything is returned: a failed model fails the pull."""
    listed = _listed_models(reader)
    chosen = [m for m in listed if not patterns or any(_matches(m["id"], p) for p in patterns)]
    if limit is not None:
        chosen = chosen[:limit]
    if not chosen:
        wanted = f" matching {', '.join(patterns)}" if patterns else ""
        raise UpstreamError(f"catalog pull: {reader.base_url}/models lists no model{wanted}; nothing was written")
    warnings: list[str] = []
    zdr = _zdr_endpoints(reader, warnings)
    models: list[Model] = []
    skipped: list[str] = []
    failures: list[str] = []
    for done, entry in enumerate(chosen, start=1):
        model_id = entry["id"]
        try:
            detail = reader.get_json(f"/models/{quote(model_id, safe='/:')}/endpoints")
        except ApiCallFailed as failed:
            failures.append(f"{model_id} ({failed.message})")
        else:
            mapped = model_from_api(entry, detail, zdr)
            if isinstance(mapped, str):
                skipped.append(f"{model_id}: {mapped}")
            elif any(m.id == mapped.id for m in models):
                skipped.append(f"{model_id}: listed twice")
            else:
                models.append(mapped)
        if on_progress is not None:
            on_progress(done, len(chosen))
    if failures:
        shown = "; ".join(failures[:3]) + (f"; and {len(failures) - 3} more" if len(failures) > 3 else "")
        raise UpstreamError(
            f"catalog pull: {len(failures)} of {len(chosen)} models could not be read: {shown}; nothing was written"
        )
    if not models:
        raise UpstreamError(f"catalog pull: none of {len(chosen)} models had usable endpoints; nothing was written")
    host = urlsplit(reader.base_url).netloc
    catalog = Catalog(
        source=f"live {host} {now.date().isoformat()}",
        generated_at=now.isoformat(timespec="seconds"),
        models=tuple(models),
    )
    return PullResult(catalog, tuple(skipped), tuple(warnings), reader.calls)


def _matches(model_id: str, pattern: str) -> bool:
    return model_id == pattern or fnmatch.fnmatchcase(model_id, pattern)


def _listed_models(reader: ApiReader) -> list[dict[str, Any]]:
    """``/models``, following ``links.next`` when the API pages."""
    out: list[dict[str, Any]] = []
    path, params = "/models", None
    for _ in range(_MAX_PAGES):
        try:
            body = reader.get_json(path, params)
        except ApiCallFailed as failed:
            raise UpstreamError(f"catalog pull: {reader.base_url}/models: {failed.message}") from None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise UpstreamError(f"catalog pull: {reader.base_url}/models: expected {{'data': [...]}}")
        out.extend(m for m in data if isinstance(m, dict) and isinstance(m.get("id"), str))
        links = body.get("links")
        next_url = links.get("next") if isinstance(links, dict) else None
        if not isinstance(next_url, str) or not next_url:
            break
        parts = urlsplit(next_url)
        if parts.netloc and parts.netloc != urlsplit(reader.base_url).netloc:
            break  # never follow (and send the key) to another host
        base_path = urlsplit(reader.base_url).path
        path = parts.path[len(base_path) :] if parts.path.startswith(base_path) else parts.path
        params = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair) or None
    return out


def _zdr_endpoints(reader: ApiReader, warnings: list[str]) -> frozenset[tuple[str, str]]:
    """(model id, endpoint tag) pairs of zero-data-retention endpoints."""
    try:
        response = reader.get("/endpoints/zdr", retry=False)
        body = response.json() if response.status_code == 200 else None
    except (ApiCallFailed, ValueError):
        body = None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        warnings.append("no ZDR list from /endpoints/zdr: no endpoint is marked zero-data-retention")
        return frozenset()
    pairs = set()
    for entry in data:
        if isinstance(entry, dict) and isinstance(entry.get("model_id"), str):
            tag = entry.get("tag") or slug_of_name(str(entry.get("provider_name", "")))
            pairs.add((entry["model_id"], str(tag).lower()))
    return frozenset(pairs)


def model_from_api(entry: Mapping[str, Any], detail: Any, zdr: frozenset[tuple[str, str]] = frozenset()) -> Model | str:
    """A catalog model from one ``/models`` entry and its ``/endpoints`` body, or why not."""
    data = detail.get("data") if isinstance(detail, dict) else None
    raw_endpoints = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(raw_endpoints, list):
        return "the endpoints answer has no 'data.endpoints' list"
    model_id = str(entry["id"])
    model_context = _positive_int(entry.get("context_length"))
    endpoints: list[Endpoint] = []
    seen: set[str] = set()
    reasons: list[str] = []
    for raw in raw_endpoints:
        if not isinstance(raw, dict):
            continue
        mapped = endpoint_from_api(raw, model_id, model_context, entry, zdr)
        if isinstance(mapped, str):
            reasons.append(mapped)
        elif mapped.tag not in seen:
            seen.add(mapped.tag)
            endpoints.append(mapped)
    if not endpoints:
        return "no usable endpoint" + (f" ({reasons[0]})" if reasons else "")
    name = entry.get("name") if isinstance(entry.get("name"), str) and entry.get("name") else model_id
    try:
        return Model(
            id=model_id,
            name=str(name),
            context_length=model_context or max(ep.context_length for ep in endpoints),
            endpoints=tuple(endpoints),
        )
    except ValidationError as invalid:
        return f"not a catalog model ({invalid.errors()[0]['msg']})"


def endpoint_from_api(
    raw: Mapping[str, Any],
    model_id: str,
    model_context: int | None,
    entry: Mapping[str, Any],
    zdr: frozenset[tuple[str, str]] = frozenset(),
) -> Endpoint | str:
    provider_name = raw.get("provider_name")
    if not isinstance(provider_name, str) or not provider_name:
        return "an endpoint without provider_name"
    tag = _tag(raw.get("tag"), provider_name)
    pricing = _pricing(raw.get("pricing"))
    if isinstance(pricing, str):
        return f"{tag}: {pricing}"
    context = _positive_int(raw.get("context_length")) or model_context
    if context is None:
        return f"{tag}: no context_length"
    parameters: list[Any] = []
    for source in (raw.get("supported_parameters"), entry.get("supported_parameters")):
        if isinstance(source, list):
            parameters = source
            break
    quantization = raw.get("quantization")
    suffix = ProviderSlug.parse(tag).suffix
    try:
        return Endpoint(
            provider_name=provider_name,
            tag=tag,
            context_length=context,
            max_completion_tokens=_positive_int(raw.get("max_completion_tokens")) or context,
            pricing=pricing,
            supported_parameters=frozenset(p for p in parameters if isinstance(p, str)),
            quantization=quantization if quantization in QUANTIZATIONS else None,
            tier=suffix if suffix in ("priority", "flex") else "standard",
            data_policy=_data_policy(raw.get("data_policy"), (model_id, tag) in zdr),
            latency_last_30m=_latency(raw.get("latency_last_30m")),
            throughput_last_30m=_percentiles(raw.get("throughput_last_30m"), 1.0) or PLACEHOLDER_THROUGHPUT,
            uptime_last_30m=_uptime(raw.get("uptime_last_30m")),
            tool_call_error_rate=_rate(raw.get("tool_call_error_rate")),
        )
    except ValidationError as invalid:
        return f"{tag}: {invalid.errors()[0]['msg']}"


def _tag(raw: Any, provider_name: str) -> str:
    text = raw.lower() if isinstance(raw, str) and raw else slug_of_name(provider_name)
    if _TAG.match(text):
        return text
    parsed = ProviderSlug.parse(text)
    suffix = slug_of_name(parsed.suffix or "")
    return ProviderSlug(slug_of_name(parsed.base) or "unknown", suffix or None).tag


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return Decimal(0)
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _pricing(raw: Any) -> Pricing | str:
    if not isinstance(raw, dict):
        return "no pricing"
    prompt, completion, request = (_decimal(raw.get(k)) for k in ("prompt", "completion", "request"))
    if prompt is None or completion is None or request is None:
        return "unreadable pricing"
    if min(prompt, completion, request) < 0:
        return "variable pricing (negative price)"
    if max(prompt, completion) > MAX_TOKEN_PRICE_USD or request > MAX_REQUEST_PRICE_USD:
        return "price out of range"
    # Image and audio prices only filter ``max_price.image|audio``: one unreadable is left at 0.
    image, audio = (_decimal(raw.get(k)) for k in ("image", "audio"))
    image = image if image is not None and 0 <= image <= MAX_REQUEST_PRICE_USD else Decimal(0)
    audio = audio if audio is not None and 0 <= audio <= MAX_TOKEN_PRICE_USD else Decimal(0)
    return Pricing(prompt=prompt, completion=completion, request=request, image=image, audio=audio)


def _rate(value: Any) -> float | None:
    """The quality figure ``sort: exacto`` ranks by, where the API gives one (a share, 0..1)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    return None


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _percentiles(raw: Any, scale: float) -> Percentiles | None:
    if not isinstance(raw, dict):
        return None
    values: list[float] = []
    for key in ("p50", "p75", "p90", "p99"):
        value = raw.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            return None
        values.append(float(value) * scale)
    p50, p75, p90, p99 = values
    return Percentiles(p50=p50, p75=p75, p90=p90, p99=p99)


def _latency(raw: Any) -> Percentiles:
    seconds = _percentiles(raw, 1.0)
    if seconds is None:
        return PLACEHOLDER_LATENCY_S
    if seconds.p50 > MS_THRESHOLD:
        return _percentiles(raw, 0.001) or PLACEHOLDER_LATENCY_S
    return seconds


def _uptime(raw: Any) -> float:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return min(100.0, max(0.0, float(raw)))
    return 100.0


def _data_policy(raw: Any, zdr: bool) -> DataPolicy:
    if isinstance(raw, dict):
        training = raw.get("training")
        retains = raw.get("retains_prompts", raw.get("retainsPrompts"))
        return DataPolicy(
            training=training if isinstance(training, bool) else True,
            retains_prompts=retains if isinstance(retains, bool) else True,
            zdr=zdr,
        )
    # Unstated: treated as training and retaining, unless the endpoint is on the ZDR list.
    return DataPolicy(training=not zdr, retains_prompts=not zdr, zdr=zdr)
