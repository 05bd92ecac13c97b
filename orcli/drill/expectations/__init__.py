"""The expectation registry: one module per kind; adding one is a file and a line here."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from orcli.drill.expectations.alerts import AlertRaised
from orcli.drill.expectations.base import DrillFacts, Expectation
from orcli.drill.expectations.cost import Cost
from orcli.drill.expectations.fail_safe_approved import FailSafeApproved
from orcli.drill.expectations.faults_fired import FaultsFired
from orcli.drill.expectations.latency import Latency
from orcli.drill.expectations.max_attempts import MaxAttempts
from orcli.drill.expectations.max_fallback_depth import MaxFallbackDepth
from orcli.drill.expectations.no_malformed_tool_call import NoMalformedToolCall
from orcli.drill.expectations.no_truncated_success import NoTruncatedSuccess
from orcli.drill.expectations.outcomes import Outcomes
from orcli.drill.expectations.recovery import Recovery
from orcli.drill.expectations.retry_after import RetryAfterRespected
from orcli.drill.expectations.served_by import ServedBy
from orcli.drill.expectations.success_rate import HandledRate, SuccessRate
from orcli.drill.expectations.within_policy import WithinPolicy

ExpectationSpec = Annotated[
    SuccessRate
    | HandledRate
    | WithinPolicy
    | FailSafeApproved
    | ServedBy
    | MaxFallbackDepth
    | MaxAttempts
    | RetryAfterRespected
    | Latency
    | Cost
    | NoTruncatedSuccess
    | NoMalformedToolCall
    | FaultsFired
    | Recovery
    | Outcomes
    | AlertRaised,
    Field(discriminator="kind"),
]

__all__ = ["DrillFacts", "Expectation", "ExpectationSpec"]
