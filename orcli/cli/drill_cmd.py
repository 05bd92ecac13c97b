"""``orcli drill``: run scenarios, print the report, write report files, set the exit code."""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from orcli.catalog.load import load_catalog
from orcli.cli.boundary import ExitCode, UsageError
from orcli.cli.output import stdout_console
from orcli.cli.progress import drill_progress
from orcli.cli.progress import wanted as progress_wanted
from orcli.drill.otlp import UpstreamRecords, write_otlp_json
from orcli.drill.records import DrillResult
from orcli.drill.run import drill_recorder, run_drill
from orcli.drill.runner import DrillInputs, Progress, prepare
from orcli.drill.scenario import LoadedScenario, load_scenario, scenario_files
from orcli.errors import CheckFailed, InputError, SpendLimitReached
from orcli.openrouter import BASE_URL
from orcli.reports import write_rendered, write_report
from orcli.reports.junit import ScenarioRun, to_junit
from orcli.reports.terminal import render_drill, render_summary, render_verdict

if TYPE_CHECKING:
    from orcli.drill.live import LiveRun
    from orcli.traffic.recorder import TrafficRecorder
    from orcli.upstream import Simulator

TARGETS = ("mock", "live")
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class LiveFlags:
    """The command-line flags of a live drill, as typed."""

    base_url: str
    yes_live: bool
    max_requests: int
    max_cost_usd: str
    max_tokens: int
    concurrency: int | None
    abort_error_rate: float
    abort_min_requests: int
    abort_spend_usd: str | None
    trail: bool
    app_url: str | None


def drill_cmd(
    paths: list[Path],
    *,
    seed: int | None,
    catalog_path: Path | None,
    overrides_path: str | None,
    json_path: Path | None,
    junit_path: Path | None,
    markdown_path: Path | None,
    html_path: Path | None = None,
    otlp_path: Path | None = None,
    max_rows: int,
    quiet: bool,
    target: str | None = None,
    live_flags: LiveFlags | None = None,
    record_traffic: Path | None = None,
    record_sample: float = 1.0,
) -> int:
    if max_rows < 1:
        raise UsageError(f"--max-rows: must be at least 1, got {max_rows}")
    if not 0 < record_sample <= 1:
        raise UsageError(f"--record-sample: must be in (0, 1], got {record_sample:g}")
    if target is not None and target not in TARGETS:
        raise UsageError(f"--target: expected one of {', '.join(TARGETS)}, got '{target}'")
    files = scenario_files(paths)
    if record_traffic is not None and len(files) != 1:
        raise UsageError(f"--record-traffic: records one drill, got {len(files)} scenarios")
    # Every scenario is read and prepared before any runs, so bad input shows first. A bad one
    # does not stop the others: its one line goes to stderr, JUnit gets an errored testcase,
    # and the exit code is 2 once the rest have run.
    bad: dict[Path, str] = {}
    loaded: dict[Path, LoadedScenario] = {}
    for file in files:
        try:
            loaded[file] = _targeted(load_scenario(file), target)
        except InputError as exc:
            bad[file] = exc.message
    live: LiveRun | None = None
    if any(item.scenario.target == "live" for item in loaded.values()):
        # Consent and caps are checked before anything else happens: nothing is sent without them.
        live = live_run(live_flags)
    catalog = load_catalog(catalog_path)
    prepared: dict[Path, DrillInputs] = {}
    for file, item in loaded.items():
        try:
            prepared[file] = prepare(item, catalog, seed=seed, overrides_path=overrides_path)
        except InputError as exc:
            bad[file] = exc.message
    for file in files:
        if file in bad:
            print(bad[file], file=sys.stderr)
    console = stdout_console()
    results: list[DrillResult] = []
    traced: list[tuple[DrillResult, UpstreamRecords | None]] = []
    runs: list[ScenarioRun] = []
    for file in files:
        inputs = prepared.get(file)
        if inputs is None:
            runs.append(ScenarioRun(str(file), None, error=bad[file]))
            continue
        is_live = inputs.loaded.scenario.target == "live"
        upstream: list[UpstreamRecords] = []
        started = time.perf_counter()
        label = f"{'live drill' if is_live else 'drill'} {inputs.loaded.scenario.name}"
        recorder = None
        if record_traffic is not None:
            record_traffic.unlink(missing_ok=True)  # the log of this drill only
            recorder = drill_recorder(inputs, record_traffic, sample=record_sample)
        with contextlib.ExitStack() as stack, drill_progress(label, enabled=progress_wanted(quiet)) as on_progress:
            if recorder is not None:
                stack.enter_context(recorder)
            if is_live:
                result = _run_live(inputs, live, on_progress, recorder)
            elif otlp_path is not None:

                def keep(simulator: Simulator, kept: list[UpstreamRecords] = upstream) -> None:
                    kept.append(UpstreamRecords(simulator.requests, simulator.log, simulator.firings))

                result = run_drill(inputs, keep_upstream=keep, on_progress=on_progress, recorder=recorder)
            else:
                result = run_drill(inputs, on_progress=on_progress, recorder=recorder)
        runs.append(ScenarioRun(result.scenario_path, result, wall_s=time.perf_counter() - started))
        results.append(result)
        traced.append((result, upstream[0] if upstream else None))
        if quiet:
            render_verdict(result, console)  # one line per drill, PASS or FAIL
        else:
            render_drill(result, console, max_rows=max_rows)
            console.print()
    single = len(paths) == 1 and paths[0].is_file()
    if results and (len(results) > 1 or not single):
        render_summary(results, console)
    if junit_path is not None:
        write_rendered("junit", [to_junit(runs)], junit_path)  # always, errored scenarios included
    if results:
        report: DrillResult | list[DrillResult] = results[0] if single else results
        for kind, path in (("json", json_path), ("markdown", markdown_path), ("html", html_path)):
            if path is not None:
                write_report(kind, report, path)
        if otlp_path is not None:
            write_otlp_json(traced, otlp_path)
    if bad:
        if len(files) > 1:
            names = ", ".join(str(f) for f in files if f in bad)
            print(f"drill: {len(bad)} of {len(files)} scenarios could not run (bad input): {names}", file=sys.stderr)
        return int(ExitCode.BAD_INPUT)
    limited = [f"{r.scenario}: {r.abort}" for r in results if r.abort is not None and r.abort.spend_limit]
    if limited:
        raise SpendLimitReached(f"drill stopped by a spend limit: {'; '.join(limited)}")
    aborted = [f"{r.scenario}: {r.abort}" for r in results if r.abort is not None]
    if aborted:
        raise CheckFailed(f"drill aborted by a safeguard: {'; '.join(aborted)}")
    failed = [r.scenario for r in results if not r.passed]
    if failed:
        raise CheckFailed(f"drill failed: {', '.join(failed)} (expectations not met)")
    return 0


def _targeted(loaded: LoadedScenario, target: str | None) -> LoadedScenario:
    if target is None or target == loaded.scenario.target:
        return loaded
    return replace(loaded, scenario=loaded.scenario.model_copy(update={"target": target}))


def live_run(flags: LiveFlags | None) -> LiveRun:
    """Check the live flags and the consent; the key comes from ``OPENROUTER_API_KEY`` only."""
    from orcli.client.keys import ENV_VAR, resolve_api_key
    from orcli.drill.live import DEFAULT_APP_URL, LiveOptions, LiveRun
    from orcli.live.guard import LiveLimits

    if flags is None:
        raise UsageError("live drill refused: no live settings given")
    options = LiveOptions(
        base_url=checked_base_url(flags.base_url),
        limits=LiveLimits(
            max_requests=_at_least("--max-requests", flags.max_requests, 1),
            max_cost_usd=_usd("--max-cost", flags.max_cost_usd),
            abort_error_rate=_share("--abort-error-rate", flags.abort_error_rate),
            abort_min_requests=_at_least("--abort-min-requests", flags.abort_min_requests, 1),
            abort_spend_usd=None if flags.abort_spend_usd is None else _usd("--abort-spend", flags.abort_spend_usd),
        ),
        max_tokens=_at_least("--max-tokens", flags.max_tokens, 1),
        concurrency=None if flags.concurrency is None else _at_least("--concurrency", flags.concurrency, 1),
        trail=flags.trail,
        app_url=flags.app_url or DEFAULT_APP_URL,
    )
    key = resolve_api_key(None)
    missing = []
    if key is None:
        missing.append(f"{ENV_VAR} is not set")
    if not flags.yes_live:
        missing.append("--yes-live was not given")
    if missing:
        limits = options.limits
        raise UsageError(
            f"live drill refused ({'; '.join(missing)}): it sends real, billed requests to {options.base_url} "
            f"(at most {limits.max_requests} requests and ${limits.max_cost_usd}); nothing was sent"
        )
    assert key is not None
    return LiveRun(key=key, options=options)


def _run_live(
    inputs: DrillInputs, live: LiveRun | None, on_progress: Progress, recorder: TrafficRecorder | None
) -> DrillResult:
    assert live is not None
    result = run_drill(inputs, replace(live, on_progress=on_progress), recorder=recorder)
    if result.abort is not None:
        print(f"drill {result.scenario} {result.abort}", file=sys.stderr)
    return result


def checked_base_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base-url: expected an http(s) URL such as {BASE_URL}, got '{raw}'")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise UsageError(f"--base-url: refusing to send the API key over plain http to {parts.hostname}; use https")
    return raw.rstrip("/")


def _at_least(flag: str, value: int, minimum: int) -> int:
    if value < minimum:
        raise UsageError(f"{flag}: must be at least {minimum}, got {value}")
    return value


def _usd(flag: str, raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip().lstrip("$"))
    except InvalidOperation:
        raise UsageError(f"{flag}: expected an amount in USD such as 0.10, got '{raw}'") from None
    if not value.is_finite() or value <= 0:
        raise UsageError(f"{flag}: must be a positive amount in USD, got '{raw}'")
    return value


def _share(flag: str, value: float) -> float:
    if not 0 < value <= 1:
        raise UsageError(f"{flag}: expected a share between 0 (exclusive) and 1, e.g. 0.5, got {value}")
    return value
