"""The pytest plugin: ``orcli_mock`` and ``orcli_scenario`` fixtures, settings by marker or ini.

Registered by the ``pytest11`` entry point, so installing orcli is all an app's test suite
needs. Settings, the marker winning over the ini option::

    [tool.pytest.ini_options]
    orcli_seed = "7"              # routing, timing and content of the mock (default 0)
    orcli_catalog = "catalog.json"  # relative to the rootdir (default: the embedded catalog)
    orcli_time_scale = "0"        # 0: virtual time; 0.01: a simulated second takes 10 ms

    @pytest.mark.orcli(seed=3, catalog="other.json", time_scale=0.01)
    def test_something(orcli_mock): ...

orcli itself is imported only when a fixture is used.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from orcli.catalog.model import Catalog
    from orcli.drill.records import DrillResult
    from orcli.testing.mock import OrcliMock

_SETTINGS = ("seed", "catalog", "time_scale")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("orcli_seed", "orcli_mock seed (routing, timing, content); orcli_scenario's too when set", default="")
    parser.addini("orcli_catalog", "catalog file for orcli fixtures, relative to the rootdir", default="")
    parser.addini(
        "orcli_time_scale", "orcli_mock time scale: 0 virtual time, >0 real seconds per simulated one", default="0"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "orcli(seed=None, catalog=None, time_scale=None): settings of the orcli_mock and orcli_scenario fixtures",
    )


@dataclass(frozen=True)
class Settings:
    seed: int | None  # None: the mock uses 0, a scenario its own seed
    catalog: Path | None
    time_scale: float


def _number(raw: Any, what: str, kind: type[int] | type[float]) -> Any:
    try:
        return kind(raw)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"orcli {what}: expected a number, got {raw!r}") from None


def settings_for(request: pytest.FixtureRequest) -> Settings:
    """The ini options, overridden by the closest ``@pytest.mark.orcli(...)``."""
    config = request.config
    raw: dict[str, Any] = {name: config.getini(f"orcli_{name}") for name in _SETTINGS}
    marker = request.node.get_closest_marker("orcli")
    if marker is not None:
        unknown = sorted(set(marker.kwargs) - set(_SETTINGS))
        if unknown or marker.args:
            raise pytest.UsageError(f"@pytest.mark.orcli takes only {', '.join(_SETTINGS)} as keywords")
        raw.update({k: v for k, v in marker.kwargs.items() if v is not None})
    seed = None if raw["seed"] in ("", None) else _number(raw["seed"], "seed", int)
    catalog = None
    if raw["catalog"] not in ("", None):
        catalog = Path(raw["catalog"])
        if not catalog.is_absolute():
            catalog = config.rootpath / catalog
    time_scale = _number(raw["time_scale"] or 0, "time_scale", float)
    if time_scale < 0:
        raise pytest.UsageError(f"orcli time_scale: must be 0 or positive, got {time_scale:g}")
    return Settings(seed, catalog, time_scale)


def _catalog(settings: Settings) -> Catalog | None:
    if settings.catalog is None:
        return None
    from orcli.catalog.load import load_catalog

    return load_catalog(settings.catalog)


@pytest.fixture
def orcli_mock(request: pytest.FixtureRequest) -> Iterator[OrcliMock]:
    """An in-process OpenRouter simulator: ``.fault(...)``, ``.http_client()``, ``.clock``, records."""
    from orcli.testing.mock import OrcliMock

    settings = settings_for(request)
    mock = OrcliMock(_catalog(settings), seed=settings.seed or 0, time_scale=settings.time_scale)
    yield mock
    mock.close()


ScenarioRunner = Callable[..., "DrillResult"]


@pytest.fixture
def orcli_scenario(request: pytest.FixtureRequest) -> ScenarioRunner:
    """Run a drill and fail the test unless every expectation holds; returns the result.

    ``orcli_scenario("scenarios/x.yaml")``: the path is relative to the rootdir. ``seed=``
    overrides the marker, the ini option and the scenario's own seed, in that order.
    """
    settings = settings_for(request)
    rootpath = request.config.rootpath

    def run(path: str | Path, *, seed: int | None = None) -> DrillResult:
        from orcli.drill.run import run_drill
        from orcli.drill.runner import prepare
        from orcli.drill.scenario import load_scenario
        from orcli.errors import OrcliError

        scenario_path = Path(path)
        if not scenario_path.is_absolute():
            scenario_path = rootpath / scenario_path
        from orcli.catalog.load import load_catalog

        try:
            loaded = load_scenario(scenario_path)
            if loaded.scenario.target != "mock":
                pytest.fail(f"{path}: orcli_scenario runs mock drills only (target: {loaded.scenario.target})", False)
            inputs = prepare(loaded, load_catalog(settings.catalog), seed=seed if seed is not None else settings.seed)
        except OrcliError as exc:
            pytest.fail(f"orcli_scenario({str(path)!r}): {exc}", pytrace=False)
        result = _off_the_running_loop(lambda: run_drill(inputs))
        if not result.passed:
            pytest.fail(failure_message(result), pytrace=False)
        return result

    return run


def failure_message(result: DrillResult) -> str:
    lines = [f"drill {result.scenario} failed (seed {result.seed}, {len(result.requests)} requests):"]
    for expectation in result.expectations:
        if expectation.passed:
            continue
        lines.append(f"  {expectation.name}: {expectation.summary}")
        lines.extend(f"    {item}" for item in expectation.evidence[:5])
    return "\n".join(lines)


def _off_the_running_loop(work: Callable[[], DrillResult]) -> DrillResult:
    """Drills run on their own virtual-time event loop; inside an async test one already runs
    in this thread, so the drill gets a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    box: list[DrillResult] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # handed back to the test's thread as is
            errors.append(exc)

    thread = threading.Thread(target=target, name="orcli-drill")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]
