"""``orcli route`` end to end: each command's effect on what compile and explain produce."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.overrides.conftest import Env

ADDED = "added "


def added_id(stdout: str) -> str:
    first = stdout.splitlines()[0]
    assert first.startswith(ADDED), stdout
    return first[len(ADDED) :].split(":", 1)[0]


def without_overrides(compiled: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in compiled.items() if k != "overrides"}


def test_disable_provider_reaches_compile_and_enable_restores_it(env: Env) -> None:
    before = env.compile("chat")
    result = env.route(
        "disable", "--provider", "groq", "--reason", "groq 5xx storm", "--ttl", "2h", env={"ORCLI_ACTOR": "alice"}
    )
    assert result.exit_code == 0, result.output
    override_id = added_id(result.stdout)
    # Only chat can reach groq: extract's and pinned's endpoints stay as they were, so they are not counted.
    assert "changes 1 workflow(s): chat" in result.stdout
    assert result.stdout.endswith(f"  store: {env.overrides}\n")

    after = env.compile("chat")
    assert after["request"]["provider"] == {"ignore": ["groq"], "sort": "latency"}
    assert after["overrides"] == [
        {
            "id": override_id,
            "what": "disable provider groq in every workflow",
            "reason": "groq 5xx storm",
            "created_by": "alice",
            "expires_at": after["overrides"][0]["expires_at"],
        }
    ]
    assert {k: v for k, v in after.items() if k not in ("request", "overrides")} == {
        k: v for k, v in before.items() if k != "request"
    }

    result = env.route("enable", override_id, "--reason", "groq recovered", env={"ORCLI_ACTOR": "bob"})
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"removed {override_id}: disable provider groq in every workflow no longer applies\n  store: {env.overrides}\n"
    )
    assert env.compile("chat") == before
    assert [(a["event"], a["actor"], a["why"]) for a in env.audit_lines()] == [
        ("add", "alice", "groq 5xx storm"),
        ("enable", "bob", "groq recovered"),
    ]


def test_disable_model_in_one_workflow(env: Env) -> None:
    result = env.route(
        "disable", "--model", "meta-llama/llama-3.3-70b-instruct", "-w", "chat", "--reason", "bad outputs"
    )
    assert result.exit_code == 0, result.output
    assert "changes 1 workflow(s): chat" in result.stdout
    assert "no expiry (until enabled)" in result.stdout
    chat = env.compile("chat")
    assert chat["request"] == {"model": "openai/gpt-4o-mini", "provider": {"sort": "latency"}}
    assert chat["client"]["app_fallback"]["chain"] == ["openai/gpt-4o-mini"]
    assert "overrides" not in env.compile("extract")


def test_force_pins_model_and_provider(env: Env) -> None:
    result = env.route(
        "force",
        "-w",
        "extract",
        "--model",
        "openai/gpt-4o",
        "--provider",
        "azure",
        "--reason",
        "openai degraded",
        "--ttl",
        "30m",
    )
    assert result.exit_code == 0, result.output
    extract = env.compile("extract")
    assert extract["request"] == {
        "model": "openai/gpt-4o",
        "provider": {"only": ["azure"], "allow_fallbacks": False},
    }
    again = env.route("force", "-w", "extract", "--model", "openai/gpt-4o", "--reason", "again", "--ttl", "30m")
    assert again.exit_code == 2
    forced = added_id(result.stdout)
    assert again.stderr == (
        f"refused: force model openai/gpt-4o in workflow extract contradicts active override {forced} "
        f"(force model openai/gpt-4o via azure in workflow extract, by unknown: openai degraded); "
        f"add --replace {forced} to lift it in the same change, or run 'orcli route enable {forced}' first\n"
    )


def test_explain_shows_the_override_and_the_exclusion(env: Env) -> None:
    env.route("disable", "--provider", "groq", "--reason", "groq 5xx storm")
    args = ["explain", str(env.policy_file), "-w", "chat", "--overrides", str(env.overrides)]
    data = json.loads(env.run(*args, "--json").stdout)
    llama = data["models"][0]
    assert [x["tag"] for x in llama["excluded"] if x["rule"] == "ignore"] == ["groq"]
    assert "groq" not in [e["tag"] for e in llama["eligible"]]
    assert data["overrides"][0]["what"] == "disable provider groq in every workflow"
    text = env.run(*args).stdout
    assert "route override ovr-" in text and "disable provider groq in every workflow (groq 5xx storm)" in text


def test_overrides_file_from_the_environment(env: Env) -> None:
    env.route("disable", "--provider", "groq", "--reason", "storm")
    result = env.run("compile", str(env.policy_file), "-w", "chat", env={"ORCLI_OVERRIDES": str(env.overrides)})
    assert json.loads(result.stdout)["request"]["provider"]["ignore"] == ["groq"]


def test_default_store_is_in_the_project_root_from_any_folder(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = env.root / "src" / "app"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    result = env.run("route", "disable", "--provider", "groq", "--reason", "storm")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # policies/ was found in the root, so the override was checked against it
    store = env.root / ".orcli" / "overrides.yaml"
    assert result.stdout.endswith(f"  store: {store}\n")
    assert store.is_file()
    assert (env.root / ".orcli" / "overrides.audit.jsonl").is_file()
    assert not (deep / ".orcli").exists()  # no second store in the folder the command ran from
    monkeypatch.chdir(env.policies)
    compiled = json.loads(env.run("compile", "app.yaml", "-w", "chat").stdout)
    assert compiled["request"]["provider"]["ignore"] == ["groq"]


def test_refused_when_no_endpoint_stays_eligible(env: Env) -> None:
    result = env.route("disable", "--provider", "azure", "--reason", "azure outage")
    assert result.exit_code == 2
    assert result.stderr == (
        f"refused: disable provider azure in every workflow leaves no eligible endpoint for workflow "
        f"'pinned' ({env.policy_file}): No allowed providers are available for the selected model. Providers "
        f"serving openai/gpt-4o-mini: azure, openai, but your request's provider.ignore preference excludes: "
        f"azure.; see 'orcli route preview', or add --force\n"
    )
    assert not env.overrides.exists()

    forced = env.route("disable", "--provider", "azure", "--reason", "azure outage", "--force")
    assert forced.exit_code == 0, forced.output
    assert f"warning: workflow 'pinned' ({env.policy_file}) now has no eligible endpoint" in forced.stderr
    assert env.compile("pinned")["request"]["provider"] == {"only": ["azure"], "ignore": ["azure"]}


def test_removing_the_last_model_is_refused_then_forced(env: Env) -> None:
    args = ("disable", "--model", "openai/gpt-4o-mini", "-w", "pinned", "--reason", "kill switch")
    refused = env.route(*args)
    assert refused.exit_code == 2
    assert "leaves no eligible endpoint for workflow 'pinned'" in refused.stderr
    assert "removes its last model" in refused.stderr
    forced = env.route(*args, "--force")
    assert forced.exit_code == 0, forced.output
    override_id = added_id(forced.stdout)
    result = env.run("compile", str(env.policy_file), "-w", "pinned", "--overrides", str(env.overrides))
    assert result.exit_code == 2
    assert result.stderr == (
        f"workflow 'pinned': override {override_id} (disable model openai/gpt-4o-mini in workflow pinned) removes "
        f"its last model; run 'orcli route enable {override_id}' to restore it\n"
    )


def test_typos_are_refused_unless_forced(env: Env) -> None:
    bad_provider = env.route("disable", "--provider", "groqq", "--reason", "r")
    assert bad_provider.exit_code == 2
    assert bad_provider.stderr == (
        "--provider: no endpoint in the catalog (embedded) matches 'groqq'; add --force to store the override anyway\n"
    )
    bad_workflow = env.route("disable", "--provider", "groq", "-w", "chatt", "--reason", "r")
    assert bad_workflow.stderr == (
        f"--workflow: no workflow 'chatt' in {env.policy_file}; add --force to store the override anyway\n"
    )
    bad_model = env.route("force", "-w", "chat", "--model", "openai/gpt-5x", "--reason", "r", "--ttl", "1h")
    assert bad_model.stderr.startswith("--model: 'openai/gpt-5x' is not in the catalog (embedded)")
    assert not env.overrides.exists()
    forced = env.route("disable", "--provider", "groqq", "--reason", "r", "--force")
    assert forced.exit_code == 0
    assert forced.stderr == "warning: --provider: no endpoint in the catalog (embedded) matches 'groqq'\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("disable", "--reason", "r"), "disable: give exactly one of --provider or --model"),
        (
            ("disable", "--provider", "groq", "--model", "openai/gpt-4o", "--reason", "r"),
            "disable: give exactly one of --provider or --model",
        ),
        (("disable", "--provider", "groq", "--reason", "  "), "--reason: must say why (it goes to the audit log)"),
        (
            ("disable", "--provider", "groq", "--reason", "r", "--ttl", "2 hours"),
            "--ttl: expected a duration such as 90s, 15m, 2h or 1d, got '2 hours'",
        ),
        (
            ("disable", "--provider", "groq", "--reason", "r", "--ttl", "2h", "--until", "2099-01-01T00:00:00Z"),
            "--ttl and --until: give one or the other, not both",
        ),
        (
            ("disable", "--provider", "groq", "--reason", "r", "--until", "2099-01-01T00:00:00"),
            "--until: '2099-01-01T00:00:00' has no time zone; add one, e.g. 'Z' for UTC or '+02:00'",
        ),
        (
            ("disable", "--provider", "groq", "--reason", "r", "--until", "2001-01-01T00:00:00Z"),
            "--until: 2001-01-01T00:00:00Z is not in the future",
        ),
        (
            ("force", "-w", "chat", "--model", "openai/gpt-4o", "--reason", "r"),
            "--ttl or --until is required: a forced route must expire",
        ),
        (("enable", "ovr-00000000"), "{overrides}: no override 'ovr-00000000' (ids in the store: none)"),
    ],
)
def test_bad_flags_are_one_line_exit_2(env: Env, args: tuple[str, ...], message: str) -> None:
    result = env.route(*args)
    assert result.exit_code == 2
    assert result.stderr == message.format(overrides=env.overrides) + "\n"
    assert not env.overrides.exists() or args[0] == "enable"


def test_missing_reason_is_a_usage_error(env: Env) -> None:
    result = env.route("disable", "--provider", "groq")
    assert result.exit_code == 2
    assert "--reason" in result.stderr


EXPIRED_AND_ACTIVE = """\
version: 1
overrides:
- id: ovr-0000000a
  action: disable
  provider: groq
  reason: old incident
  created_at: '2001-01-01T00:00:00Z'
  expires_at: '2001-01-01T02:00:00Z'
  created_by: alice
- id: ovr-0000000b
  action: disable
  model: openai/gpt-4o-mini
  workflow: chat
  reason: current incident
  created_at: '2001-01-01T00:00:00Z'
  expires_at: '2999-01-01T00:00:00Z'
  created_by: bob
"""


def test_list_marks_expired_and_compile_ignores_them(env: Env) -> None:
    env.overrides.parent.mkdir(parents=True)
    env.overrides.write_text(EXPIRED_AND_ACTIVE)
    listed = json.loads(env.route("list", "--json").stdout)
    assert [(o["id"], o["active"]) for o in listed] == [("ovr-0000000a", False), ("ovr-0000000b", True)]
    assert listed[0]["seconds_left"] < 0 < listed[1]["seconds_left"]
    text = env.route("list").stdout
    assert "expired " in text and " ago" in text and "old incident" in text
    assert "expires" in text and "2999-01-01T00:00:00Z (in " in text  # the status may wrap after "expires"

    chat = env.compile("chat")
    assert chat["request"] == {"model": "meta-llama/llama-3.3-70b-instruct", "provider": {"sort": "latency"}}
    assert [o["id"] for o in chat["overrides"]] == ["ovr-0000000b"]

    cleared = env.route("clear", "--expired")
    assert cleared.stdout == f"removed 1 expired override(s): ovr-0000000a\n  store: {env.overrides}\n"
    assert [o["id"] for o in json.loads(env.route("list", "--json").stdout)] == ["ovr-0000000b"]
    cleared = env.route("clear", "--reason", "incident closed")
    assert cleared.stdout == f"removed 1 override(s): ovr-0000000b\n  store: {env.overrides}\n"
    assert env.route("list").stdout == "no route overrides\n"
    assert "overrides" not in env.compile("chat")
    assert [(a["event"], a["why"]) for a in env.audit_lines()] == [
        ("clear", "expired"),
        ("clear", "incident closed"),
    ]


def test_a_broken_overrides_file_stops_every_command_and_stays_as_is(env: Env) -> None:
    env.overrides.parent.mkdir(parents=True)
    env.overrides.write_text(EXPIRED_AND_ACTIVE.replace("  workflow: chat", "  workfow: chat"))
    before = env.overrides.read_bytes()
    expected = f"{env.overrides}:13:3: overrides[1].workfow: unknown key; did you mean 'workflow'?\n"
    for result in (
        env.route("disable", "--provider", "groq", "--reason", "r"),
        env.route("enable", "ovr-0000000a"),
        env.route("clear", "--reason", "r"),
        env.route("list"),
        env.run("compile", str(env.policy_file), "--overrides", str(env.overrides)),
    ):
        assert result.exit_code == 2
        assert result.stderr == expected
    assert env.overrides.read_bytes() == before
    assert not env.overrides.with_name("overrides.audit.jsonl").exists()


def preview(env: Env, *args: str) -> dict[str, Any]:
    result = env.route("preview", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "args",
    [
        ("disable", "--provider", "openai", "--reason", "r", "--ttl", "1h"),
        ("disable", "--model", "openai/gpt-4o", "--reason", "r"),
        (
            "force",
            "-w",
            "chat",
            "--model",
            "openai/gpt-4o-mini",
            "--provider",
            "openai",
            "--reason",
            "r",
            "--ttl",
            "1h",
        ),
    ],
)
def test_preview_matches_what_compile_then_produces(env: Env, args: tuple[str, ...]) -> None:
    env.route("disable", "--provider", "groq", "--reason", "already in force")
    shown = preview(env, *args)
    changed = {w["workflow"]: w for w in shown["workflows"]}
    before = {name: env.compile(name) for name in ("chat", "extract", "pinned")}
    assert env.overrides.read_text().count("id: ovr-") == 1  # preview stores nothing

    result = env.route(*args)
    assert result.exit_code == 0, result.output
    for name, was in before.items():
        now = env.compile(name)
        if name not in changed:
            # Not listed: the request may name the override, but its endpoints stay the same.
            assert now.get("models") == was.get("models")
            continue
        assert without_overrides(changed[name]["before"]["compiled"]) == without_overrides(was)
        assert without_overrides(changed[name]["after"]["compiled"]) == without_overrides(now)
        assert [o["what"] for o in changed[name]["after"]["compiled"]["overrides"]] == [
            o["what"] for o in now["overrides"]
        ]


def test_preview_lists_eligible_endpoints_before_and_after(env: Env) -> None:
    shown = preview(env, "disable", "--provider", "azure")
    pinned = next(w for w in shown["workflows"] if w["workflow"] == "pinned")
    assert pinned["stranded"] is True
    assert pinned["before"]["eligible"] == ["openai/gpt-4o-mini via azure"]
    assert pinned["after"]["eligible"] == []
    assert pinned["no_longer_eligible"] == ["openai/gpt-4o-mini via azure"]
    extract = next(w for w in shown["workflows"] if w["workflow"] == "extract")
    assert "openai/gpt-4o via azure" in extract["no_longer_eligible"]
    assert extract["stranded"] is False
    assert all(" via azure" not in e for e in extract["after"]["eligible"])

    text = env.route("preview", "disable", "--provider", "azure")
    assert text.exit_code == 0
    assert "workflow pinned" in text.stdout
    assert "  eligible after (0): none: No allowed providers are available" in text.stdout
    assert text.stdout.endswith(
        "changes 3 of 3 workflow(s); leaves no route for pinned: 'orcli route' refuses it without --force\n"
    )


def test_preview_needs_policies(
    env: Env, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    empty = tmp_path_factory.mktemp("elsewhere")  # not under env.root, whose policies/ would be found
    monkeypatch.chdir(empty)
    result = env.run("route", "preview", "disable", "--provider", "groq")
    assert result.exit_code == 2
    assert result.stderr == "--policy: no policies given and no policies/ folder in the project\n"
