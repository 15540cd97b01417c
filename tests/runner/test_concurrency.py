"""Two configs running at once in one process (threads) do not interfere."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from .runner_plugin_helpers import registry_with

from pipeline_scheduler.runner import Plugin, PluginParams, RunOptions, hook, run_config


class Probe(Plugin):
    """Records, per run, what it sees of the other plugins of its own run through ctx.plugins."""

    name = "probe"

    class Params(PluginParams):
        label: str

    @hook("startup", priority=-10)
    def look(self, ctx):
        seen = {"label": self.params.label, "lifetime": ctx.plugins["lifetime"].params.lifetime,
                "plugins": list(ctx.plugins), "env": ctx.env.get("RUN_LABEL"), "job": ctx.job_id}
        (ctx.base_dir / "probe.json").write_text(json.dumps(seen))


def test_two_configs_in_threads_do_not_interfere(tmp_path: Path) -> None:
    registry = registry_with(Probe)
    dump = "import os, time; time.sleep(0.3); open('child.txt', 'w').write(os.environ['RUN_LABEL'])"
    roots = {label: tmp_path / label for label in ("fast", "slow")}
    for path in roots.values():
        path.mkdir()
    configs = {
        "fast": {"env": {"vars": {"RUN_LABEL": "fast"}}, "lifetime": {"lifetime": 30}, "probe": {"label": "fast"},
                 "os": {"cmd": [sys.executable, "-c", dump]}},
        # the slow one is cut by its own lifetime; the fast one must not be
        "slow": {"env": {"vars": {"RUN_LABEL": "slow"}}, "lifetime": {"lifetime": 2.0}, "probe": {"label": "slow"},
                 "os": {"cmd": [sys.executable, "-c", dump + "; time.sleep(30)"]}},
    }
    outcomes: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def go(label: str) -> None:
        barrier.wait()
        outcomes[label] = run_config(configs[label], RunOptions(root=roots[label], registry=registry,
                                                                job_id=f"job-{label}"))

    threads = [threading.Thread(target=go, args=(label,)) for label in configs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    fast, slow = outcomes["fast"], outcomes["slow"]
    assert fast.status == "success", fast
    assert slow.status == "timed_out", slow
    assert fast.job_id == "job-fast" and slow.job_id == "job-slow"
    for label in configs:
        seen = json.loads((roots[label] / "probe.json").read_text())
        assert seen == {"label": label, "lifetime": configs[label]["lifetime"]["lifetime"],
                        "plugins": ["env", "lifetime", "probe", "os"], "env": label, "job": f"job-{label}"}
        assert (roots[label] / "child.txt").read_text() == label
    assert "RUN_LABEL" not in __import__("os").environ


def test_the_same_config_object_runs_twice_at_once(tmp_path: Path) -> None:
    from pipeline_scheduler.runner import validate_config

    class Mutator(Plugin):
        name = "mutator"

        class Params(PluginParams):
            items: list[str] = []

        @hook("startup")
        def grow(self, ctx):
            self.params.items.append("x")  # must not leak into the shared config or the other run
            (ctx.base_dir / f"{threading.get_ident()}.txt").write_text(str(len(self.params.items)))

    config = validate_config({"mutator": {}}, registry=registry_with(Mutator))
    results = []
    threads = [threading.Thread(target=lambda: results.append(run_config(config, RunOptions(root=tmp_path))))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert [outcome.status for outcome in results] == ["success"] * 4
    assert {path.read_text() for path in tmp_path.glob("*.txt")} == {"1"}
    assert config.plugins[0].params.items == []
