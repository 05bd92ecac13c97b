"""Shared formatting: attempt chains and exact money."""

from __future__ import annotations

from decimal import Decimal

from orcli.policy.model import ErrorClass
from orcli.reports.common import attempt_chain, attempt_token, decimal_json, usd_text

from .factory import Drills, attempt


def test_chain_names_every_attempt_with_status_or_failure_class(drills: Drills) -> None:
    degraded = drills.small().requests[1]
    assert attempt_chain(degraded) == (
        "meta-llama/llama-3.1-70b-instruct@DeepInfra 429 -> "
        "meta-llama/llama-3.1-70b-instruct@Together timeout -> "
        # OpenRouter's own failover inside the last attempt is spelled out from its trail.
        "mistralai/mistral-large@Mistral 502 -> "
        "mistralai/mistral-large@Groq ok"
    )


def test_chain_spells_out_a_class_the_status_does_not_imply(drills: Drills) -> None:
    failed_safe, malformed, no_attempt = (
        drills.small().requests[2],
        drills.small().requests[3],
        drills.small().requests[5],
    )
    assert attempt_chain(failed_safe).endswith("mistralai/mistral-large@Mistral 400 context_length")
    assert attempt_chain(malformed) == "qwen/qwen-2.5-coder-32b-instruct@Fireworks malformed_tool_call"
    assert attempt_chain(no_attempt) == "no attempt"


def test_attempt_token_for_an_unknown_provider_and_reset() -> None:
    reset = attempt(1, "m1", None, None, ErrorClass.PROVIDER_FAILURE)
    assert attempt_token(reset) == "provider_failure"
    assert attempt_token(attempt(1, "m1", "a", 503, ErrorClass.PROVIDER_FAILURE)) == "503"
    assert attempt_token(attempt(1, "m1", "a", 403, ErrorClass.MODERATION)) == "403 moderation"


def test_usd_text_has_one_precision_rule() -> None:
    # Whole micro-dollars, trailing zeros dropped down to cents: a total and a per-request
    # cost side by side read alike ($11.10381 and $0.001133, not $0.00113285).
    assert usd_text(Decimal("0.1")) == "$0.10"
    assert usd_text(Decimal("11.10381")) == "$11.10381"
    assert usd_text(Decimal("0.00113285")) == "$0.001133"
    assert usd_text(Decimal("1.23456789012345")) == "$1.234568"
    assert usd_text(Decimal("1E+1")) == "$10.00"
    assert usd_text(Decimal("0E-8")) == "$0.00"
    assert usd_text(Decimal("0.000000075")) == "<$0.000001"  # never "$0.00" for a cost that is not zero


def test_decimal_json_is_canonical_and_never_rounds() -> None:
    assert decimal_json(Decimal("0.10")) == decimal_json(Decimal("0.1")) == "0.1000000000"
    assert decimal_json(Decimal("0")) == "0.0000000000"
    assert decimal_json(Decimal("2.5E-7")) == "0.0000002500"
    assert decimal_json(Decimal("0.123456789012")) == "0.123456789012"
