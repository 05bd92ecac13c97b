"""httpx transports that put a workflow's policy under the openai SDK.

    sdk = openai.OpenAI(base_url=..., api_key=..., max_retries=0,
                        http_client=orcli.openai_http_client("policies/chat.yaml", "general-chat"))

Each chat-completions request the SDK sends is run through orcli's own :class:`~orcli.Client`
(or :class:`~orcli.AsyncClient`): timeouts, retries, model and provider fallbacks, breakers,
validation, budgets and route overrides are the client's, with one engine per API key and
base URL, so breakers and spend carry over from call to call. Every other request (model
listings, ...) goes to the network unchanged. ``max_retries=0`` on the SDK: the policy
retries; an SDK retry on top would repeat the whole policy run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import httpx

from orcli.client.async_client import AsyncClient
from orcli.client.sync_client import Client
from orcli.dropin import translate
from orcli.errors import BudgetExceeded
from orcli.policy.model import Workflow

PolicySource = str | Path | Workflow
C = TypeVar("C", Client, AsyncClient)


def load_workflow(policy: PolicySource, workflow: str) -> Workflow:
    if isinstance(policy, Workflow):
        return policy
    from orcli.policy.load import load_policy

    return load_policy(policy).workflow(workflow)


class _Policy:
    """The workflow and the client options shared by both transports."""

    def __init__(self, policy: PolicySource, workflow: str, api_key: str | None, options: dict[str, Any]) -> None:
        self.workflow = load_workflow(policy, workflow)
        self.name = workflow
        self.api_key = api_key
        self.options = options

    def key_for(self, request: httpx.Request) -> str | None:
        return self.api_key or translate.bearer(request)

    def read(self, request: httpx.Request, raw: bytes) -> translate.SdkCall:
        return translate.read_call(raw, self.workflow, self.name, request.headers.get("idempotency-key"))

    def client(self, clients: dict[tuple[str, str | None], C], request: httpx.Request, make: type[C], shared: Any) -> C:
        """The client for the request's API key and base URL in ``clients``, made on first use."""
        key = self.key_for(request)
        slot = (translate.base_url(request), key)
        if slot not in clients:
            clients[slot] = make(
                self.workflow, api_key=key, base_url=slot[0], transport=shared, workflow_name=self.name, **self.options
            )
        return clients[slot]


def _refused(exc: translate.Refused | BudgetExceeded, request: httpx.Request) -> httpx.Response:
    """The answer to a call the policy refused, as OpenRouter would word it."""
    if isinstance(exc, BudgetExceeded):
        return translate.error(402, exc.message, request, None)
    return translate.error(exc.status, exc.message, request, None)


class PolicyTransport(httpx.BaseTransport):
    """Sync: chat completions through :class:`~orcli.Client`, everything else to ``network``."""

    def __init__(
        self,
        policy: PolicySource,
        workflow: str,
        *,
        api_key: str | None = None,
        network: httpx.BaseTransport | None = None,
        **client_options: Any,
    ) -> None:
        self._policy = _Policy(policy, workflow, api_key, client_options)
        self._network = network if network is not None else httpx.HTTPTransport()
        self._shared = _Shared(self._network)
        self._clients: dict[tuple[str, str | None], Client] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not translate.is_chat(request):
            return self._network.handle_request(request)
        try:
            call = self._policy.read(request, request.read())
            client = self._policy.client(self._clients, request, Client, self._shared)
            result = client.chat(call.messages, **call.chat_arguments())
        except (translate.Refused, BudgetExceeded) as exc:
            return _refused(exc, request)
        return translate.answer(result, call, request)

    def close(self) -> None:
        self._network.close()


class AsyncPolicyTransport(httpx.AsyncBaseTransport):
    """Async twin of :class:`PolicyTransport`, on :class:`~orcli.AsyncClient`."""

    def __init__(
        self,
        policy: PolicySource,
        workflow: str,
        *,
        api_key: str | None = None,
        network: httpx.AsyncBaseTransport | None = None,
        **client_options: Any,
    ) -> None:
        self._policy = _Policy(policy, workflow, api_key, client_options)
        self._network = network if network is not None else httpx.AsyncHTTPTransport()
        self._shared = _AsyncShared(self._network)
        self._clients: dict[tuple[str, str | None], AsyncClient] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not translate.is_chat(request):
            return await self._network.handle_async_request(request)
        try:
            call = self._policy.read(request, await request.aread())
            client = self._policy.client(self._clients, request, AsyncClient, self._shared)
            result = await client.chat(call.messages, **call.chat_arguments())
        except (translate.Refused, BudgetExceeded) as exc:
            return _refused(exc, request)
        return translate.answer(result, call, request)

    async def aclose(self) -> None:
        await self._network.aclose()


class _Shared(httpx.BaseTransport):
    """The network transport as each client sees it: clients come and go, the transport is
    closed once, by the drop-in. Says whether it routes like OpenRouter (the simulator does)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner
        self.openrouter_compatible = getattr(inner, "openrouter_compatible", False) is True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)


class _AsyncShared(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.openrouter_compatible = getattr(inner, "openrouter_compatible", False) is True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)


def openai_http_client(
    policy: PolicySource,
    workflow: str,
    *,
    api_key: str | None = None,
    transport: httpx.BaseTransport | None = None,
    **client_options: Any,
) -> httpx.Client:
    """An ``httpx.Client`` for ``openai.OpenAI(http_client=...)`` that applies ``workflow`` of
    ``policy`` (a policy file or a :class:`Workflow`) to every chat completion.

    ``api_key``: the OpenRouter key (default: the SDK's own ``api_key``). ``transport``: the
    network edge (default: real HTTP; in tests, ``orcli_mock.transport()``). Any other keyword
    goes to :class:`orcli.Client` (``seed``, ``catalog``, ``clock``, ``fallback_mode``,
    ``telemetry``, ...).
    """
    inner = PolicyTransport(policy, workflow, api_key=api_key, network=transport, **client_options)
    return httpx.Client(transport=inner, timeout=None)


def async_openai_http_client(
    policy: PolicySource,
    workflow: str,
    *,
    api_key: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **client_options: Any,
) -> httpx.AsyncClient:
    """The async twin of :func:`openai_http_client`, for ``openai.AsyncOpenAI(http_client=...)``."""
    inner = AsyncPolicyTransport(policy, workflow, api_key=api_key, network=transport, **client_options)
    return httpx.AsyncClient(transport=inner, timeout=None)
