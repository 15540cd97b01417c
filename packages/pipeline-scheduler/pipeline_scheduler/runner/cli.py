"""``python -m pipeline_scheduler.runner CONFIG``: run a runner config by hand, exactly as the scheduler does.

The exit code is the run's (see :mod:`pipeline_scheduler.runner.outcome`): 0 success, 2 invalid
config, 75 skipped, 124 timed out, 143/130 terminated, otherwise failed. Without ``--jobs-dir`` the
config's own directory is the jobs directory (its ``global.toml`` and templates apply), so running a
file of the jobs directory by hand gives the same result as the scheduler. Without
``--plugins-dir``, ``<root>/.amphi/plugins`` (the root, or the current directory) is used when it
exists.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import validate_config
from .errors import ConfigError
from .outcome import EXIT_CONFIG_ERROR
from .registry import PluginRegistry
from .runner import RunOptions, Runner


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline_scheduler.runner",
                                     description="Run a runner config (TOML, YAML or JSON) once.")
    parser.add_argument("config", nargs="?", help="the config file")
    parser.add_argument("--jobs-dir", help="where global.toml and templates are (default: the config's directory)")
    parser.add_argument("--templates-dir", help="searched for <name>.template.toml before the jobs directory")
    parser.add_argument("--plugins-dir", help="custom plugins (*.py) (default: <root>/.amphi/plugins if present)")
    parser.add_argument("--root", help="paths in the config must stay inside this directory; relative paths start here")
    parser.add_argument("--job-id", help="the job id (default: the config file's name without suffix)")
    parser.add_argument("--python", help="interpreter of the python plugin (default: this one)")
    parser.add_argument("--result-file", help="write the outcome as JSON to this file")
    parser.add_argument("--no-global", action="store_true", help="do not apply <jobs-dir>/global.toml")
    parser.add_argument("--check", action="store_true", help="validate only; print the merged config as JSON")
    parser.add_argument("--list-plugins", action="store_true", help="print the plugins (and load errors) as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    root = Path(args.root).resolve() if args.root else None
    plugins_dir = Path(args.plugins_dir) if args.plugins_dir else (root or Path.cwd()) / ".amphi" / "plugins"
    registry = PluginRegistry.load(plugins_dir if plugins_dir.is_dir() or args.plugins_dir else None)
    if args.list_plugins:
        print(json.dumps(registry.to_dict(), indent=2, default=str))
        return 0
    if not args.config:
        build_parser().error("the config file is required")
    for error in registry.errors:
        where = f":{error['line']}" if error.get("line") else ""
        print(f"[runner] warning: plugin {error['origin']}{where} failed to load: {error['error']}", file=sys.stderr)
    config_path = Path(args.config)
    jobs_dir = Path(args.jobs_dir) if args.jobs_dir else config_path.parent
    try:
        config = validate_config(config_path, jobs_dir, root=root, templates_dir=args.templates_dir,
                                 registry=registry, job_id=args.job_id, use_global=not args.no_global)
    except ConfigError as error:
        print(f"[runner] config error: {error}", file=sys.stderr)
        _write_result(args.result_file, {"status": "error", "exit_code": EXIT_CONFIG_ERROR, "reason": str(error),
                                         "config_error": error.to_dict()})
        return EXIT_CONFIG_ERROR
    if args.check:
        print(json.dumps(config.to_dict(), indent=2))
        return 0
    options = RunOptions(root=root, jobs_dir=jobs_dir, registry=registry, job_id=args.job_id,
                         python_executable=args.python or sys.executable, handle_signals=True)
    outcome = Runner(config, options).run()
    _write_result(args.result_file, outcome.to_dict())
    return outcome.exit_code


def _write_result(path: str | None, data: dict) -> None:
    if path:
        target = Path(path)
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
        temporary.replace(target)
