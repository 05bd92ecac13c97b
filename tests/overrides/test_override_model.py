"""Override records: validation, ids, and the flags' time syntax."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orcli.errors import InvalidValue
from orcli.overrides import OverrideAction, new_override
from orcli.overrides.model import unique_id
from orcli.overrides.timefmt import human_duration, iso_utc, parse_ttl, parse_until

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), (" 2H ", 7200)],
)
def test_parse_ttl(text: str, seconds: int) -> None:
    assert parse_ttl(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "2", "h", "-1h", "1.5h", "2 hours", "0s", "1w"])
def test_parse_ttl_rejects(text: str) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_ttl(text)
    assert info.value.message.startswith("--ttl: ")


def test_parse_until_needs_a_zone_and_the_future() -> None:
    assert parse_until("2030-01-01T14:00:00+02:00", T0 - timedelta(hours=1)) == T0
    with pytest.raises(InvalidValue, match="has no time zone"):
        parse_until("2030-01-01T14:00:00", T0)
    with pytest.raises(InvalidValue, match=r"2030-01-01T12:00:00Z is not in the future"):
        parse_until("2030-01-01T12:00:00Z", T0)
    with pytest.raises(InvalidValue, match="expected an ISO 8601 time"):
        parse_until("tomorrow", T0)


def test_human_duration_and_iso() -> None:
    assert human_duration(timedelta(hours=1, minutes=59, seconds=59)) == "1h 59m"
    assert human_duration(timedelta(seconds=45)) == "45s"
    assert human_duration(timedelta(days=2, hours=3, minutes=1)) == "2d 3h"
    assert iso_utc(datetime(2030, 1, 1, 14, tzinfo=UTC) - timedelta(hours=2)) == "2030-01-01T12:00:00Z"


def test_ids_are_stable_and_short() -> None:
    one = new_override(action=OverrideAction.DISABLE, provider="groq", reason="r", created_at=T0, created_by="a")
    two = new_override(action=OverrideAction.DISABLE, provider="groq", reason="r", created_at=T0, created_by="a")
    later = new_override(
        action=OverrideAction.DISABLE, provider="groq", reason="r", created_at=T0 + timedelta(seconds=1), created_by="a"
    )
    assert one.id == two.id
    assert one.id != later.id
    assert len(one.id) == len("ovr-") + 8
    fresh = unique_id(one, {one.id})
    assert fresh.id != one.id and fresh.model_dump(exclude={"id"}) == one.model_dump(exclude={"id"})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": OverrideAction.DISABLE}, "override: a disable override names exactly one of 'provider' or 'model'"),
        ({"action": OverrideAction.DISABLE, "provider": "groq", "reason": "  "}, "override: reason must not be blank"),
        (
            {"action": OverrideAction.FORCE, "workflow": "chat", "model": "openai/gpt-4o"},
            "override: a force override needs 'expires_at': pinning a route must not outlive the incident",
        ),
        ({"action": OverrideAction.DISABLE, "model": "gpt4"}, "--model: string should match pattern"),
        (
            {"action": OverrideAction.DISABLE, "provider": "groq", "workflow": "Chat!"},
            "--workflow: string should match",
        ),
    ],
)
def test_invalid_overrides_name_the_flag(fields: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"reason": "why", "created_at": T0, "created_by": "a", **fields}
    with pytest.raises(InvalidValue) as info:
        new_override(**args)  # type: ignore[arg-type]
    assert info.value.message.startswith(message)
