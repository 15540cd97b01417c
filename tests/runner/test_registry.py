"""Custom plugins from a plugins directory and from entry points; load errors are reported, never hidden."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from .runner_helpers import run_cli, write

from pipeline_scheduler.runner import ConfigError, PluginRegistry, RunOptions, run_config, validate_config

GOOD = """
    from dataclasses import dataclass, field
    from pipeline_scheduler.runner import Plugin, PluginParams, RootPath, hook

    class Stamp(Plugin):
        '''Writes a stamp file at startup and removes nothing.'''
        name = "stamp"

        class Params(PluginParams):
            path: RootPath
            text: str = "stamped"

        @hook("startup", priority=5)
        def write(self, ctx):
            ctx.path(self.params.path, field="path", plugin=self.name).write_text(self.params.text)

    @dataclass
    class CountParams:
        times: int
        tags: list[str] = field(default_factory=list)

    class Count(Plugin):
        '''Counts should_stop calls and stops after `times`.'''
        name = "count"
        Params = CountParams

        def __init__(self, ctx, params):
            super().__init__(ctx, params)
            self.calls = 0

        @hook("should_stop")
        def done(self, ctx):
            self.calls += 1
            return self.calls >= self.params.times

    class NotAPlugin:  # ignored: not a Plugin subclass
        name = "nope"
"""


def test_plugins_directory_good_file(root: Path, plugins: Path) -> None:
    write(plugins / "good.py", GOOD)
    registry = PluginRegistry.load(plugins)
    assert registry.errors == []
    listing = {item["name"]: item for item in registry.list(source="custom")}
    assert set(listing) == {"stamp", "count"}
    stamp = listing["stamp"]
    assert stamp["origin"] == str(plugins / "good.py") and stamp["doc"].startswith("Writes a stamp file")
    assert stamp["params"]["required"] == ["path"] and stamp["hooks"] == [
        {"stage": "startup", "priority": 5, "method": "write"}]
    assert listing["count"]["params"]["properties"]["times"]["type"] == "integer"
    outcome = run_config({"stamp": {"path": "stamp.txt"}, "count": {"times": 2}},
                         RunOptions(root=root, registry=registry, poll_interval=0.01))
    assert outcome.status == "success", outcome
    assert (root / "stamp.txt").read_text() == "stamped"
    assert outcome.stop_reason == "count: done returned True"


def test_custom_plugin_parameters_are_validated(root: Path, plugins: Path) -> None:
    write(plugins / "good.py", GOOD)
    registry = PluginRegistry.load(plugins)
    with pytest.raises(ConfigError) as error:
        validate_config({"count": {"times": "2"}}, registry=registry)
    assert (error.value.section, error.value.field) == ("count", "times")
    with pytest.raises(ConfigError) as error:
        validate_config({"count": {"times": 2, "colour": "red"}}, registry=registry)
    assert error.value.field == "colour" and "unknown parameter" in error.value.message
    with pytest.raises(ConfigError) as error:
        validate_config({"count": {"times": 1, "tags": ["a", 2]}}, registry=registry)
    assert error.value.field == "tags.1"
    with pytest.raises(ConfigError) as error:
        validate_config({"stamp": {"path": "../x"}}, registry=registry, root=root)
    assert (error.value.section, error.value.field) == ("stamp", "path")


def test_broken_plugin_files_are_reported_and_do_not_hide_good_ones(root: Path, plugins: Path) -> None:
    write(plugins / "good.py", GOOD)
    write(plugins / "syntax.py", "from pipeline_scheduler.runner import Plugin\n\nclass X(Plugin:\n    name = 'x'\n")
    write(plugins / "crash.py", "import this_module_does_not_exist_xyz\n")
    write(plugins / "empty.py", "VALUE = 1\n")
    write(plugins / "badhook.py", """
        from pipeline_scheduler.runner import Plugin, hook

        class Bad(Plugin):
            name = "badhook"

            @hook("teatime")
            def tea(self, ctx):
                pass
    """)
    write(plugins / "clash.py", """
        from pipeline_scheduler.runner import Plugin

        class MyOs(Plugin):
            name = "os"
    """)
    write(plugins / "_helper.py", "raise RuntimeError('helpers are not plugins')\n")
    registry = PluginRegistry.load(plugins)
    assert {"stamp", "count", "os"} <= set(registry.names())
    errors = {Path(error["origin"]).name: error for error in registry.errors}
    assert set(errors) == {"syntax.py", "crash.py", "empty.py", "badhook.py", "clash.py"}
    assert errors["syntax.py"]["error"].startswith("SyntaxError") and errors["syntax.py"]["line"] == 3
    assert "this_module_does_not_exist_xyz" in errors["crash.py"]["error"] and errors["crash.py"]["line"] == 1
    assert "defines no plugin" in errors["empty.py"]["error"]
    assert "unknown hook stage 'teatime'" in errors["badhook.py"]["error"]
    assert "already taken by the builtin plugin" in errors["clash.py"]["error"]
    assert all(error["source"] == "custom" for error in registry.errors)
    assert registry.info("os").source == "builtin"
    with pytest.raises(ConfigError) as error:
        validate_config({"crash": {}}, registry=registry)
    assert "crash.py failed to load: ModuleNotFoundError" in error.value.message
    assert registry.to_dict()["errors"][0]["traceback"]


def test_cli_warns_about_broken_plugins_and_runs_good_ones(root: Path, jobs: Path, plugins: Path) -> None:
    write(plugins / "good.py", GOOD)
    write(plugins / "crash.py", "raise ValueError('boom')\n")
    job = write(jobs / "job.toml", '[stamp]\npath = "cli-stamp.txt"\ntext = "from cli"\n')
    result = run_cli(job, "--root", root, cwd=root)  # default plugins dir: <root>/.amphi/plugins
    assert result.returncode == 0, result.stderr
    assert "crash.py:1 failed to load: ValueError: boom" in result.stderr
    assert (root / "cli-stamp.txt").read_text() == "from cli"
    listing = run_cli("--list-plugins", "--root", root, cwd=root)
    data = json.loads(listing.stdout)
    assert {"os", "stamp", "count"} <= {item["name"] for item in data["plugins"]}
    assert [Path(error["origin"]).name for error in data["errors"]] == ["crash.py"]


def test_entry_point_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    write(site / "ps_demo_plugins.py", """
        from pipeline_scheduler.runner import Plugin, hook

        class Hello(Plugin):
            '''Says hello.'''
            name = "hello"

            @hook("startup")
            def hi(self, ctx):
                (ctx.base_dir / "hello.txt").write_text("hi")
    """)
    write(site / "ps_broken_plugins.py", "raise ImportError('missing dependency')\n")
    write(site / "ps_demo-1.0.dist-info" / "METADATA", "Metadata-Version: 2.1\nName: ps-demo\nVersion: 1.0\n")
    write(site / "ps_demo-1.0.dist-info" / "entry_points.txt",
          "[pipeline_scheduler.plugins]\nhello = ps_demo_plugins:Hello\nbroken = ps_broken_plugins\n")
    monkeypatch.syspath_prepend(str(site))
    try:
        registry = PluginRegistry.load()
        assert registry.info("hello").source == "entry-point"
        assert registry.info("hello").origin == "hello = ps_demo_plugins:Hello"
        [error] = [error for error in registry.errors if error["source"] == "entry-point"]
        assert error["origin"] == "broken = ps_broken_plugins" and "missing dependency" in error["error"]
        outcome = run_config({"hello": {}}, RunOptions(root=tmp_path, registry=registry))
        assert outcome.ok and (tmp_path / "hello.txt").read_text() == "hi"
        assert "hello" not in PluginRegistry.load(entry_points=False)
    finally:
        sys.modules.pop("ps_demo_plugins", None)


def test_registries_are_independent(plugins: Path) -> None:
    write(plugins / "good.py", GOOD)
    with_custom = PluginRegistry.load(plugins)
    plain = PluginRegistry.load()
    assert "stamp" in with_custom and "stamp" not in plain
    with pytest.raises(ConfigError):
        validate_config({"stamp": {"path": "x"}}, registry=plain)
