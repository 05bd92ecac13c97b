from __future__ import annotations

import subprocess
import sys

import orcli
import orcli.client
from orcli.client.async_client import AsyncClient
from orcli.client.sync_client import Client


def test_clients_are_exported_lazily_from_both_packages() -> None:
    assert orcli.Client is Client and orcli.AsyncClient is AsyncClient
    assert orcli.client.Client is Client and orcli.client.AsyncClient is AsyncClient
    for module in (orcli, orcli.client):
        assert all(hasattr(module, name) for name in module.__all__)


def test_importing_orcli_does_not_import_httpx_or_jsonschema() -> None:
    code = (
        "import sys, orcli, orcli.client.ledger\n"
        "print(sorted(m for m in ('httpx', 'jsonschema', 'anyio') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
