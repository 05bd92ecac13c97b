"""The pytest plugin, run as an app's test suite would run it: inner sessions through ``pytester``."""

from __future__ import annotations

import shutil
from importlib.metadata import entry_points
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_the_plugin_is_registered_for_every_pytest_session() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("orcli") == "orcli.testing.pytest_plugin"


def test_the_openai_sdk_reaches_the_mock_and_faults_fire(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import openai
        import pytest

        def sdk(mock):
            return openai.OpenAI(
                base_url=mock.base_url, api_key="sk-test", http_client=mock.http_client(), max_retries=0
            )

        def test_served_then_down(orcli_mock):
            client = sdk(orcli_mock)
            first = client.chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            assert first.model == "openai/gpt-4o-mini" and first.choices[0].message.content
            spec = orcli_mock.fault(kind="outage", model="openai/gpt-4o-mini", status=503, id="down")
            assert spec.id == "down"
            with pytest.raises(openai.InternalServerError):
                client.chat.completions.create(
                    model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
                )
            assert [r.status for r in orcli_mock.requests] == [200, 503]
            assert orcli_mock.firings and {f.fault_id for f in orcli_mock.firings} == {"down"}
            assert orcli_mock.attempts[0].request_index == 1 and orcli_mock.attempts[-1].outcome == "outage"

        def test_streams_arrive_whole(orcli_mock):
            chunks = sdk(orcli_mock).chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            assert text and orcli_mock.requests[0].stream
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=2)


def test_a_sixty_second_outage_costs_no_wall_time(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import httpx

        BODY = {"model": "openai/gpt-4o-mini", "models": ["google/gemini-2.5-flash"],
                "messages": [{"role": "user", "content": "hi"}]}

        def test_window(orcli_mock):
            orcli_mock.fault(kind="outage", model="openai/gpt-4o-mini", start_s=0, end_s=60)
            http = orcli_mock.http_client(headers={"Authorization": "Bearer sk-test"})
            wall = time.monotonic()
            during = http.post("/chat/completions", json=BODY).json()
            at = orcli_mock.clock.now()
            orcli_mock.clock.advance(60)
            after = http.post("/chat/completions", json=BODY).json()
            assert during["model"] == "google/gemini-2.5-flash"
            assert after["model"] == "openai/gpt-4o-mini"
            # Each answer moved the clock by its simulated latency; the test moved it by 60 s.
            assert 0 < at < 10 and orcli_mock.clock.now() > 60
            assert orcli_mock.requests[1].at_s > 60
            assert time.monotonic() - wall < 5
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_async_clients_share_the_virtual_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import openai
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"  # a real event loop: only the mock's clock is virtual

        @pytest.mark.anyio
        async def test_async_sdk(orcli_mock):
            orcli_mock.fault(kind="timeout", model="openai/gpt-4o-mini", hang=True, end_s=30)
            sdk = openai.AsyncOpenAI(
                base_url=orcli_mock.base_url, api_key="sk-test",
                http_client=orcli_mock.async_http_client(), max_retries=0, timeout=30,
            )
            wall = time.monotonic()
            with pytest.raises(openai.APITimeoutError):
                await sdk.chat.completions.create(
                    model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
                )
            assert orcli_mock.clock.now() == pytest.approx(30, abs=0.1)
            answer = await sdk.chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            assert answer.model == "openai/gpt-4o-mini"
            assert time.monotonic() - wall < 5
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_orcli_clients_take_the_mock_transport(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from orcli import Client
        from orcli.policy.model import Workflow

        def test_client(orcli_mock):
            workflow = Workflow.model_validate({"models": {"primary": "openai/gpt-4o-mini",
                                                           "fallbacks": ["google/gemini-2.5-flash"]}})
            orcli_mock.fault(kind="outage", model="openai/gpt-4o-mini")
            client = Client(workflow, api_key="sk-test", transport=orcli_mock.transport(), clock=orcli_mock.clock)
            result = client.chat([{"role": "user", "content": "hi"}])
            assert result.ok and result.served_model == "google/gemini-2.5-flash"
            assert result.attempts[0].started_at == 0.0
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_faults_are_validated_like_scenario_faults(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from orcli.testing import FaultError

        @pytest.mark.parametrize("fields, message", [
            ({"kind": "outage", "status": 418}, "fault 'outage': status: "),
            ({"kind": "outage", "start_s": -1}, "start_s: Input should be greater than or equal to 0"),
            ({"kind": "outage", "start_s": 10, "end_s": 5}, "end_s must be after start_s"),
            ({"kind": "outage", "providr": "groq"}, "providr"),
            ({"kind": "melted"}, "fault 'melted'"),
        ])
        def test_refused(orcli_mock, fields, message):
            with pytest.raises(FaultError, match=None) as caught:
                orcli_mock.fault(**fields)
            assert message in str(caught.value)
            assert orcli_mock.faults == ()

        def test_duplicate_ids(orcli_mock):
            orcli_mock.fault(kind="outage", id="x")
            with pytest.raises(FaultError, match="already exists"):
                orcli_mock.fault(kind="latency", id="x")
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=6)


def test_settings_come_from_the_ini_file_and_the_marker_wins(pytester: pytest.Pytester) -> None:
    shutil.copy(REPO / "orcli/catalog/data/default.json", pytester.path / "catalog.json")
    pytester.makeini(
        """
        [pytest]
        orcli_seed = 7
        orcli_catalog = catalog.json
        orcli_time_scale = 0
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_ini(orcli_mock):
            assert orcli_mock.seed == 7 and orcli_mock.clock.virtual

        @pytest.mark.orcli(seed=3, time_scale=0.001)
        def test_marker(orcli_mock):
            assert orcli_mock.seed == 3 and orcli_mock.clock.time_scale == 0.001
            assert not orcli_mock.clock.virtual

        @pytest.mark.orcli(seed="many")
        def test_bad_marker(orcli_mock):
            pass
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*orcli seed: expected a number, got 'many'*"])


def test_the_same_seed_gives_the_same_answers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx, pytest

        SEEN = []

        @pytest.mark.parametrize("run", [1, 2])
        @pytest.mark.orcli(seed=11)
        def test_twice(orcli_mock, run):
            http = orcli_mock.http_client(headers={"Authorization": "Bearer k"})
            body = http.post("/chat/completions", json={"model": "openai/gpt-4o",
                             "messages": [{"role": "user", "content": "same"}]}).json()
            SEEN.append((body["provider"], body["choices"][0]["message"]["content"], orcli_mock.clock.now()))

        def test_compare():
            assert len(SEEN) == 2 and SEEN[0] == SEEN[1]
        """
    )
    pytester.runpytest_inprocess("-p", "no:randomly").assert_outcomes(passed=3)


def _scenario_project(pytester: pytest.Pytester, *, min_rate: float) -> None:
    (pytester.path / "policies").mkdir()
    shutil.copy(REPO / "policies/general-chat.yaml", pytester.path / "policies/general-chat.yaml")
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios/outage.yaml").write_text(
        f"""
name: outage
policy: ../policies/general-chat.yaml
seed: 5
traffic:
  requests: 20
  rate_per_s: 2
faults:
  - id: primary-down
    kind: outage
    model: openai/gpt-4o-mini
expect:
  - kind: success_rate
    min: {min_rate}
  - kind: max_fallback_depth
    max: 0
""",
        encoding="utf-8",
    )


def test_orcli_scenario_fails_the_test_with_the_unmet_expectations(pytester: pytest.Pytester) -> None:
    _scenario_project(pytester, min_rate=1.0)
    pytester.makepyfile(
        """
        def test_drill(orcli_scenario):
            orcli_scenario("scenarios/outage.yaml")
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*drill outage failed (seed 5, 20 requests):*", "*max_fallback_depth:*"])
    assert "Traceback" not in result.stdout.str()


def test_orcli_scenario_returns_the_result_of_a_passing_drill(pytester: pytest.Pytester) -> None:
    _scenario_project(pytester, min_rate=1.0)
    text = (pytester.path / "scenarios/outage.yaml").read_text(encoding="utf-8")
    (pytester.path / "scenarios/outage.yaml").write_text(text.replace("max: 0", "max: 1"), encoding="utf-8")
    pytester.makepyfile(
        """
        import pytest

        def test_drill(orcli_scenario):
            result = orcli_scenario("scenarios/outage.yaml")
            assert result.passed and result.seed == 5 and len(result.requests) == 20
            assert {f.fault_id for f in result.fired} == {"primary-down"}

        @pytest.mark.orcli(seed=9)
        def test_seeded(orcli_scenario):
            assert orcli_scenario("scenarios/outage.yaml").seed == 9

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_inside_an_async_test(orcli_scenario):
            assert orcli_scenario("scenarios/outage.yaml").passed

        def test_bad_path(orcli_scenario):
            orcli_scenario("scenarios/missing.yaml")
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*orcli_scenario('scenarios/missing.yaml'): *missing.yaml*"])
