from __future__ import annotations

import pytest

from orcli.client.retry_after import retry_after_s

NOW = 1_743_292_700.0  # 2025-03-29 23:58:20 UTC


def wall() -> float:
    return NOW


def test_delay_seconds() -> None:
    assert retry_after_s({"Retry-After": "7"}, wall_now=wall) == 7.0


def test_http_date_is_read_against_the_response_date() -> None:
    headers = {"Date": "Sun, 30 Mar 2025 01:00:00 GMT", "Retry-After": "Sun, 30 Mar 2025 01:00:30 GMT"}
    assert retry_after_s(headers, wall_now=lambda: 0.0) == 30.0


def test_http_date_without_a_date_header_uses_the_wall_clock() -> None:
    assert retry_after_s({"retry-after": "Sun, 30 Mar 2025 00:00:00 GMT"}, wall_now=wall) == pytest.approx(100.0)


def test_ratelimit_reset_in_epoch_milliseconds() -> None:
    assert retry_after_s({"X-RateLimit-Reset": "1743292800000"}, wall_now=wall) == pytest.approx(100.0)


def test_reset_copied_into_the_error_metadata() -> None:
    body = {"error": {"code": 429, "message": "x", "metadata": {"headers": {"X-RateLimit-Reset": "1743292760000"}}}}
    assert retry_after_s({}, body, wall_now=wall) == pytest.approx(60.0)


def test_availability_retry_after() -> None:
    body = {"error": {"code": 429, "message": "x", "availability": {"code": "capacity_exhausted", "retry_after": 12}}}
    assert retry_after_s({}, body, wall_now=wall) == 12.0


def test_the_longest_hint_wins() -> None:
    headers = {"Retry-After": "5", "X-RateLimit-Reset": "1743292720000"}
    assert retry_after_s(headers, wall_now=wall) == pytest.approx(20.0)


def test_past_dates_mean_no_wait_and_garbage_is_ignored() -> None:
    assert retry_after_s({"Retry-After": "Sat, 29 Mar 2025 23:00:00 GMT"}, wall_now=wall) == 0.0
    assert retry_after_s({"Retry-After": "soon"}, wall_now=wall) is None
    assert retry_after_s({}, wall_now=wall) is None
