"""Formatting shared by every report format: attempt chains (from :mod:`orcli.drill.chain`), exact money, outcome order.

Each helper is a pure function of records, so the terminal, JSON, JUnit and Markdown
reports say the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from orcli.drill.chain import attempt_chain as attempt_chain
from orcli.drill.chain import attempt_token as attempt_token
from orcli.drill.records import DrillResult, Outcome, RequestRecord

Report = DrillResult | Sequence[DrillResult]
"""What a writer is given: one drill (``orcli drill x.yaml``) or a folder run (``orcli drill dir/``)."""

# Worst first: condensed tables and timelines show the outcome a reader must see first.
SEVERITY: tuple[Outcome, ...] = (Outcome.FAILED, Outcome.FAILED_SAFE, Outcome.DEGRADED, Outcome.SERVED)

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.SERVED: "served",
    Outcome.DEGRADED: "degraded",
    Outcome.FAILED_SAFE: "failed safe",
    Outcome.FAILED: "failed",
}

JSON_DECIMAL_PLACES = 10  # enough for per-token prices; more places are kept, never rounded away


def as_results(report: Report) -> tuple[DrillResult, ...]:
    return (report,) if isinstance(report, DrillResult) else tuple(report)


def time_kind(result: DrillResult) -> str:
    """What a drill's seconds are: ``simulated`` on the mock's virtual clock, ``live`` wall time."""
    return "live" if result.target == "live" else "simulated"


def request_number(record: RequestRecord) -> int:
    """The 1-based number people see, the one ``from_request`` and ``to_request`` count in
    (the records and the JSON ``index`` are 0-based)."""
    return record.index + 1


# One rule for every dollar amount people read: whole micro-dollars (six places), trailing
# zeros dropped down to cents. A per-request cost keeps its significant digits
# ($0.001133) and a total does not grow a tail ($11.10381).
USD_PLACES = 6
_MICRO = Decimal(1).scaleb(-USD_PLACES)


def usd_text(amount: Decimal) -> str:
    """Dollars for people, by the one rule above: ``$0.001133``, ``$11.10381``, ``$0.02``."""
    if not amount.is_finite():
        raise ValueError(f"cost is not a finite amount: {amount}")
    if 0 < abs(amount) < _MICRO / 2:
        return f"<${_MICRO}" if amount > 0 else f"-<${_MICRO}"
    rounded = amount.quantize(_MICRO, rounding=ROUND_HALF_UP)
    whole, _, frac = f"{rounded:f}".partition(".")
    return f"${whole}.{frac.rstrip('0').ljust(2, '0')}"


def decimal_json(amount: Decimal) -> str:
    """Exact, canonical decimal for JSON: plain notation with at least JSON_DECIMAL_PLACES places.

    Equal values give equal strings (``Decimal("0.10") == Decimal("0.1")``), and no digit is
    ever rounded away.
    """
    plain = _plain_decimal(amount)
    whole, _, frac = plain.partition(".")
    return f"{whole}.{frac.ljust(JSON_DECIMAL_PLACES, '0')}"


def _plain_decimal(amount: Decimal) -> str:
    if not amount.is_finite():
        raise ValueError(f"cost is not a finite amount: {amount}")
    normal = amount.normalize()
    if normal.is_zero():
        return "0"
    return format(normal, "f")


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def workflow_order(result: DrillResult) -> list[str]:
    """The scenario's workflows in its order, then any other workflow a request named."""
    names = list(result.workflows)
    for record in result.requests:
        if record.workflow not in names:
            names.append(record.workflow)
    return names


def outcome_counts(records: Sequence[RequestRecord]) -> dict[Outcome, int]:
    counts = dict.fromkeys(Outcome, 0)
    for record in records:
        counts[record.outcome] += 1
    return counts


def fired_counts(result: DrillResult, *, applied: bool = False) -> dict[str, int]:
    """Firings per declared fault id (zero for a fault that never fired), then undeclared ids.
    Every match counts; with ``applied``, only the firings that changed what the client got."""
    counts = {f.fault_id: 0 for f in result.declared_faults}
    for firing in result.fired:
        counts[firing.fault_id] = counts.get(firing.fault_id, 0) + (firing.applied or not applied)
    return counts


def fired_text(matched: int, applied: int) -> str:
    """One cell: ``15x``, ``15x matched, 3 applied``, ``never fired``."""
    if matched == 0:
        return "never fired"
    if applied == matched:
        return f"{matched}x"
    return f"{matched}x matched, {'never' if applied == 0 else applied} applied"


def failed_expectation_count(result: DrillResult) -> int:
    return sum(not e.passed for e in result.expectations)
