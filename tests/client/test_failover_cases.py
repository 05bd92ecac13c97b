"""The sixteen single-request failover cases, each against a fake OpenAI-compatible server
on virtual time, through the sync and the async client, with the default policy (whose
first-token and stream-idle limits are 10 s). Each test is named after its case; the
decisions they check are tabled in docs/client.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from orcli.client.hops import FallbackHop, RetryHop
from orcli.policy.model import ErrorClass, Workflow

from .conftest import ChatDriver
from .fakes import DONE, Reply, chunk, fail, good_stream, sse
from .helpers import PRIMARY, SECOND, THIRD, workflow

STREAMED = {"needs": {"streaming": True}}


def streamed() -> Workflow:
    return workflow(**STREAMED)


def answer(model: str = PRIMARY, text: str = "Hello there.") -> Reply:
    return sse(good_stream(text, model=model))


def sent(run: Any) -> list[str]:
    return [body["model"] for body in run.fake.bodies]


def test_01_rate_limit_with_retry_after(chat: ChatDriver) -> None:
    run = chat([fail(429, "Rate limit exceeded", {"Retry-After": "2"}), answer()], streamed())
    result = run.result
    assert result.ok and sent(run) == [PRIMARY, PRIMARY]
    assert result.attempts[0].next_hop == RetryHop(2.0, retry_after=True)
    assert result.attempts[1].wait_before_s == 2.0


def test_02_rate_limit_without_retry_after(chat: ChatDriver) -> None:
    run = chat([fail(429, "Rate limit exceeded"), answer()], streamed())
    result = run.result
    assert result.ok and sent(run) == [PRIMARY, PRIMARY]
    assert 0 < result.attempts[1].wait_before_s <= 0.5  # the first backoff, jittered


def test_03_server_error_once_gets_one_quick_retry_on_the_same_route(chat: ChatDriver) -> None:
    run = chat([fail(500, "Internal Server Error"), answer()], streamed())
    result = run.result
    assert result.ok and sent(run) == [PRIMARY, PRIMARY] and result.served_model == PRIMARY
    hop = result.attempts[0].next_hop
    assert isinstance(hop, RetryHop) and hop.quick and hop.wait_s <= 0.5
    assert str(hop).startswith("quick retry in ")


def test_04_persistent_503_moves_to_the_next_model_after_one_quick_retry(chat: ChatDriver) -> None:
    def upstream(body: dict[str, Any]) -> Reply:
        return fail(503, "Service Unavailable") if body["model"] == PRIMARY else answer(body["model"])

    run = chat(upstream, streamed())
    result = run.result
    assert result.ok and sent(run) == [PRIMARY, PRIMARY, SECOND]
    assert result.attempts[1].next_hop == FallbackHop(SECOND) and result.fallback_depth == 1


def test_05_connection_reset(chat: ChatDriver) -> None:
    run = chat([Reply(exception=httpx.ConnectError), answer(SECOND)], streamed())
    result = run.result
    assert result.attempts[0].error_class is ErrorClass.PROVIDER_FAILURE and result.attempts[0].status is None
    assert result.ok and sent(run) == [PRIMARY, SECOND]


def test_06_silent_route_is_left_at_the_first_token_limit_and_not_retried(chat: ChatDriver) -> None:
    run = chat([Reply(delay_s=1000), answer(SECOND)], streamed())
    result = run.result
    first = result.attempts[0]
    assert first.error_class is ErrorClass.TIMEOUT and first.latency_s == pytest.approx(10.0)
    assert result.ok and sent(run) == [PRIMARY, SECOND]
    assert result.attempts[1].wait_before_s == 0.0
    assert result.latency_s == pytest.approx(10.0)  # one first-token limit, not two


def test_07_slow_first_token(chat: ChatDriver) -> None:
    slow = Reply(200, stream=[(12.0, chunk("Late")), (0.0, chunk(finish_reason="stop")), (0.0, DONE)])
    run = chat([slow, answer(SECOND)], streamed())
    result = run.result
    assert result.attempts[0].error_class is ErrorClass.TIMEOUT
    assert result.attempts[0].detail == "no first token within 10 s"
    assert result.ok and sent(run) == [PRIMARY, SECOND] and result.latency_s == pytest.approx(10.0)


def test_08_stream_cut_is_never_a_success_and_the_retry_answers_whole(chat: ChatDriver) -> None:
    cut = sse([chunk("Half"), chunk(" an")], cut=httpx.ReadError)
    run = chat([cut, answer()], streamed())
    result = run.result
    assert result.attempts[0].error_class is ErrorClass.STREAM_TRUNCATED
    assert result.ok and result.text == "Hello there." and sent(run) == [PRIMARY, PRIMARY]


def test_09_stream_stall_is_cut_at_the_idle_limit(chat: ChatDriver) -> None:
    stall = Reply(200, stream=[(0.0, chunk("Hi")), (30.0, chunk(" there")), (0.0, DONE)])
    run = chat([stall, answer()], streamed())
    result = run.result
    first = result.attempts[0]
    assert first.error_class is ErrorClass.STREAM_TRUNCATED and first.detail == "stream stalled: no chunk for 10 s"
    assert first.latency_s == pytest.approx(10.0)
    assert result.ok and result.text == "Hello there."


def test_10_malformed_chunk_never_reaches_the_app(chat: ChatDriver) -> None:
    garbled = sse([chunk("Hel"), b"data: {not json\n\n", chunk("lo."), chunk(finish_reason="stop"), DONE])
    run = chat([garbled, answer()], streamed())
    result = run.result
    assert result.attempts[0].error_class is ErrorClass.INVALID_RESPONSE
    assert result.ok and result.text == "Hello there." and len(result.attempts) == 2


def test_11_missing_done_after_a_finished_answer_keeps_the_answer(chat: ChatDriver) -> None:
    run = chat([sse(good_stream()[:-1])], streamed())
    result = run.result
    assert result.ok and result.text == "Hello there." and sent(run) == [PRIMARY]
    assert result.attempts[0].warnings == ("protocol: the stream ended after its finish_reason without data: [DONE]",)
    assert result.usage is not None and result.usage["completion_tokens"] == 2


def test_12_context_length_moves_to_the_next_model(chat: ChatDriver) -> None:
    too_long = fail(400, "This model's maximum context length is 128000 tokens.")
    run = chat([too_long, answer(SECOND)], streamed())
    result = run.result
    assert result.attempts[0].error_class is ErrorClass.CONTEXT_LENGTH
    assert result.ok and sent(run) == [PRIMARY, SECOND]


def test_13_content_filter_code_wins_over_its_type_and_never_reaches_the_same_model(chat: ChatDriver) -> None:
    # OpenAI's shape: the family in ``type``, the cause in ``code``.
    flagged = Reply(
        400,
        {
            "error": {
                "message": "Your request was rejected as a result of our safety system.",
                "type": "invalid_request_error",
                "code": "content_policy_violation",
            }
        },
    )
    run = chat([flagged, answer(SECOND)], streamed())
    result = run.result
    assert result.attempts[0].error_class is ErrorClass.MODERATION
    assert result.ok and sent(run) == [PRIMARY, SECOND]


def test_14_fallback_rejecting_the_prefill_is_skipped_not_retried(chat: ChatDriver) -> None:
    def upstream(body: dict[str, Any]) -> Reply:
        if body["model"] == PRIMARY:
            return fail(503, "Service Unavailable")
        if body["model"] == SECOND:
            return fail(400, "This model does not support assistant message prefill.")
        return answer(THIRD)

    run = chat(upstream, streamed())
    result = run.result
    assert result.attempts[2].error_class is ErrorClass.BAD_REQUEST
    assert result.ok and sent(run) == [PRIMARY, PRIMARY, SECOND, THIRD] and result.fallback_depth == 2


def test_15_flapping_primary_gets_traffic_back_soon_after_it_recovers(chat: ChatDriver) -> None:
    """Down 1 s of every 2 s, then down for good from 10 s, healthy again from 30 s. Every
    request is answered; the breaker opens, its probes come 5, 10, 20 s apart (a failed probe
    doubles the cool-down, capped at max_cool_down_s), and the first probe after the
    recovery brings the traffic back."""

    def upstream(body: dict[str, Any], now: float) -> Reply:
        down = now < 30 and (now >= 10 or now % 2 < 1)
        if body["model"] == PRIMARY and down:
            return fail(502, "Bad Gateway")
        return answer(body["model"])

    times = [i * 0.5 for i in range(120)]
    results = chat.series(upstream, streamed(), times)
    assert all(r.ok for r in results)
    served = [(t, r.served_model) for t, r in zip(times, results, strict=True)]
    tried = [t for t, r in zip(times, results, strict=True) if any(a.model == PRIMARY for a in r.attempts)]
    # Opened at 11 s; probes at 16 s (after 5 s) and 26 s (after 10 s) fail; 20 s later the
    # next probe finds it healthy. A failed probe re-arming a fixed 30 s would have kept the
    # traffic away for good.
    assert [t for t in tried if t >= 11][:4] == [11.0, 16.0, 26.0, 46.0]
    back = next(t for t, model in served if t >= 30 and model == PRIMARY)
    assert back == 46.0
    assert all(model == PRIMARY for t, model in served if t >= back)


def test_16_failover_accounting(chat: ChatDriver) -> None:
    def upstream(body: dict[str, Any]) -> Reply:
        if body["model"] == PRIMARY:
            return fail(503, "Service Unavailable")
        if body["model"] == SECOND:
            return fail(429, "Rate limit exceeded", {"Retry-After": "1"})
        return answer(THIRD)

    run = chat(upstream, streamed())
    result = run.result
    assert result.ok and sent(run) == [PRIMARY, PRIMARY, SECOND, THIRD]
    assert [a.index for a in result.attempts] == [1, 2, 3, 4]  # every attempt is on the ledger
    counted = [a for a in result.attempts[:-1] if not (isinstance(a.next_hop, RetryHop) and a.next_hop.quick)]
    assert len(counted) + 1 <= 3  # within retry.max_attempts: the quick retry is not counted
    # The error answers cost nothing; the request costs what the serving attempt cost.
    assert [a.cost_usd for a in result.attempts[:-1]] == [Decimal(0)] * 3
    assert result.cost_usd == result.attempts[-1].cost_usd == Decimal("0.00002")
    assert not result.cost_estimated
