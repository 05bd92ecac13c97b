from __future__ import annotations

from typing import Any

import pytest
import trio.testing


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    # Virtual time: trio jumps the clock whenever every task is asleep.
    return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})
