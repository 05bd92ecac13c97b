"""Fault injection for the simulator: the kinds, activation rules, the live engine, the firing log.

Every kind is one module of ``orcli.upstream.faults.kinds``; the classes of the kinds that
came with orcli are also importable from here.
"""

from orcli.upstream.faults.activation import Event
from orcli.upstream.faults.behaviour import Behaviour, Effect, Need, Stage
from orcli.upstream.faults.engine import FaultEngine
from orcli.upstream.faults.kind import Fault, kinds
from orcli.upstream.faults.kinds.auth import AuthFault
from orcli.upstream.faults.kinds.bad_request import BadRequestFault
from orcli.upstream.faults.kinds.billing import BillingFault
from orcli.upstream.faults.kinds.budget import BudgetFault
from orcli.upstream.faults.kinds.connection_reset import ConnectionResetFault
from orcli.upstream.faults.kinds.context_length import ContextLengthFault
from orcli.upstream.faults.kinds.invalid_response import InvalidResponseFault
from orcli.upstream.faults.kinds.latency import LatencyFault
from orcli.upstream.faults.kinds.malformed_sse import MalformedSseFault
from orcli.upstream.faults.kinds.malformed_tool_call import MalformedToolCallFault
from orcli.upstream.faults.kinds.missing_done import MissingDoneFault
from orcli.upstream.faults.kinds.moderation import ModerationFault
from orcli.upstream.faults.kinds.no_endpoints import NoEndpointsFault
from orcli.upstream.faults.kinds.outage import OutageFault
from orcli.upstream.faults.kinds.rate_limit import RateLimitFault
from orcli.upstream.faults.kinds.stream_cut import StreamCutFault
from orcli.upstream.faults.kinds.stream_error import StreamErrorFault
from orcli.upstream.faults.kinds.stream_stall import StreamStallFault
from orcli.upstream.faults.kinds.timeout import TimeoutFault
from orcli.upstream.faults.log import Firing
from orcli.upstream.faults.spec import FAULT_KINDS, FaultPlan, FaultSpec, parse_faults, with_ids

__all__ = [
    "FAULT_KINDS",
    "AuthFault",
    "BadRequestFault",
    "Behaviour",
    "BillingFault",
    "BudgetFault",
    "ConnectionResetFault",
    "ContextLengthFault",
    "Effect",
    "Event",
    "Fault",
    "FaultEngine",
    "FaultPlan",
    "FaultSpec",
    "Firing",
    "InvalidResponseFault",
    "LatencyFault",
    "MalformedSseFault",
    "MalformedToolCallFault",
    "MissingDoneFault",
    "ModerationFault",
    "Need",
    "NoEndpointsFault",
    "OutageFault",
    "RateLimitFault",
    "Stage",
    "StreamCutFault",
    "StreamErrorFault",
    "StreamStallFault",
    "TimeoutFault",
    "kinds",
    "parse_faults",
    "with_ids",
]
