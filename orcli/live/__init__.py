"""The live target: drills against the real OpenRouter API, made safe.

Three transports stack under the resilient client, each wrapping the next::

    AsyncClient -> FaultInjectingTransport -> GuardedTransport -> the real network

``GuardedTransport`` (:mod:`orcli.live.guarded`) enforces the hard caps on every request
that would reach the network; ``FaultInjectingTransport`` (:mod:`orcli.live.inject`) plays
the scenario's faults on the client side, because OpenRouter cannot be broken on purpose.
Faults it answers itself never reach the guard, so they cost nothing and count for nothing.

The read-only side of the live API lives here too: :mod:`orcli.live.api` (with retries),
:mod:`orcli.live.pull` (``orcli catalog pull``: a catalog built from the API) and
:mod:`orcli.live.doctor`.
"""
