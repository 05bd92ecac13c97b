"""``orcli doctor``: is this machine ready for live drills?

Each check is a frozen record (name, ok/warn/fail, one line of detail) so the command
only prints them. The key is shown by its hint (family and last four characters) only;
the ``label`` the API returns is not printed either, since it quotes part of the key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from orcli.catalog.model import Catalog
from orcli.client.keys import ENV_VAR, ApiKey
from orcli.clock import Clock
from orcli.live.api import ApiCallFailed, ApiReader, Retries

# "skip": the check could not be made (the API was not reached), which is not the same as ok.
Status = Literal["ok", "warn", "fail", "skip"]
STALE_CATALOG_DAYS = 30
LOW_CREDIT_USD = 0.10


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str


def run_doctor(
    base_url: str,
    key: ApiKey | None,
    catalog: Catalog,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    now: datetime | None = None,
) -> list[Check]:
    checks = [
        Check("api key", "ok", f"{key.hint} (from {ENV_VAR})")
        if key
        else Check("api key", "fail", f"{ENV_VAR} is not set")
    ]
    retries = Retries(max_attempts=2, base_backoff_s=0.5)
    with ApiReader(base_url, key, transport=transport, clock=clock, retries=retries) as reader:
        started = time.monotonic()
        try:
            response = reader.get("/key")
        except ApiCallFailed as failed:
            checks.append(Check("base url", "fail", f"{reader.base_url} unreachable: {failed.message}"))
            if key:
                checks.append(Check("key valid", "skip", "the API could not be reached to ask"))
            response = None
        if response is not None:
            elapsed_ms = (time.monotonic() - started) * 1000
            answered = f"answered (HTTP {response.status_code}, {elapsed_ms:.0f} ms)"
            checks.append(Check("base url", "ok", f"{reader.base_url} {answered}"))
            if key:
                checks.append(_key_check(reader, response))
    checks.append(_catalog_check(catalog, now or datetime.now(UTC)))
    return checks


def _key_check(reader: ApiReader, response: httpx.Response) -> Check:
    if response.status_code in (401, 403):
        return Check("key valid", "fail", f"rejected (HTTP {response.status_code}: {reader.error_message(response)})")
    if response.status_code != 200:
        return Check("key valid", "fail", f"GET /key answered HTTP {response.status_code}")
    try:
        data = response.json().get("data")
    except (ValueError, AttributeError):
        data = None
    if not isinstance(data, dict):
        return Check("key valid", "fail", "GET /key did not answer {'data': {...}}")
    limit, remaining = _number(data.get("limit")), _number(data.get("limit_remaining"))
    parts = [
        "no credit limit" if limit is None else f"credit limit ${limit:g}",
        "" if remaining is None else f"${remaining:g} remaining",
        f"usage ${_number(data.get('usage')) or 0:g}",
        "free tier" if data.get("is_free_tier") is True else "paid tier",
    ]
    detail = ", ".join(p for p in parts if p)
    if remaining is not None and remaining < LOW_CREDIT_USD:
        return Check("key valid", "warn", f"{detail}: credit nearly used up")
    return Check("key valid", "ok", detail)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _catalog_check(catalog: Catalog, now: datetime) -> Check:
    models = f"{len(catalog.models)} models"
    if catalog.source == "embedded":
        return Check(
            "catalog",
            "warn",
            f"the embedded catalog ({models}, illustrative figures); for live prices run "
            "'orcli catalog pull -o catalog.json' and pass --catalog catalog.json",
        )
    if catalog.generated_at is None:
        return Check("catalog", "warn", f"{catalog.source} ({models}) has no generated_at: its age is unknown")
    try:
        generated = datetime.fromisoformat(catalog.generated_at)
    except ValueError:
        return Check("catalog", "warn", f"{catalog.source}: generated_at '{catalog.generated_at}' is not ISO 8601")
    if generated.tzinfo is None:
        generated = generated.replace(tzinfo=UTC)
    age_days = (now - generated).total_seconds() / 86_400
    detail = f"{catalog.source} ({models}), generated {catalog.generated_at}, {age_days:.1f} days old"
    if age_days > STALE_CATALOG_DAYS:
        return Check("catalog", "warn", f"{detail}: stale, pull it again")
    return Check("catalog", "ok", detail)
