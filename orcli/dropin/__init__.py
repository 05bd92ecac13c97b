"""The openai SDK drop-in: a workflow's policy under ``openai.OpenAI`` / ``AsyncOpenAI``.

    import openai, orcli

    sdk = openai.OpenAI(
        base_url="https://openrouter.ai/api/v1",
        api_key=os.environ["OPENROUTER_API_KEY"],
        http_client=orcli.openai_http_client("policies/general-chat.yaml", "general-chat"),
        max_retries=0,
    )
    try:
        reply = sdk.chat.completions.create(model="openai/gpt-4o-mini", messages=[...])
    except openai.APIError as exc:
        ledger = orcli.chat_result(exc)  # every attempt, the fail-safe message

Lazy: the SDK itself is never imported by orcli, and this package only when used.
"""

from orcli.dropin.translate import LEDGER_HEADER, OrcliTimeout, chat_result
from orcli.dropin.transport import (
    AsyncPolicyTransport,
    PolicyTransport,
    async_openai_http_client,
    openai_http_client,
)

__all__ = [
    "LEDGER_HEADER",
    "AsyncPolicyTransport",
    "OrcliTimeout",
    "PolicyTransport",
    "async_openai_http_client",
    "chat_result",
    "openai_http_client",
]
