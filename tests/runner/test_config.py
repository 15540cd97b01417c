"""Config loading, templates and the global config (a test per precedence rule), errors with places."""

from __future__ import annotations

from pathlib import Path

import pytest
from .runner_helpers import run_cli, write

from pipeline_scheduler.runner import (ConfigError, is_job_file, job_files, job_id_for, load_config,
                                       validate_config)


def sections(config) -> dict:
    return {plugin.name: plugin.params.model_dump() for plugin in config.plugins}


def merged(path: Path, jobs: Path, **kwargs) -> dict:
    return load_config(path, jobs_dir=jobs, **kwargs).sections


# -- precedence --------------------------------------------------------------------------------

def test_rule_job_value_wins_over_its_template(jobs: Path) -> None:
    write(jobs / "base.template.toml", '[os]\ncmd = "from-template"\ncwd = "t"\n')
    job = write(jobs / "job.toml", 'template = "template::base"\n[os]\ncmd = "from-job"\n')
    assert merged(job, jobs)["os"] == {"cmd": "from-job", "cwd": "t"}


def test_rule_template_wins_over_global(jobs: Path) -> None:
    write(jobs / "global.toml", '[lifetime]\nlifetime = 100\n[os]\ncmd = "from-global"\nwait = false\n')
    write(jobs / "base.template.toml", "[lifetime]\nlifetime = 50\n")
    job = write(jobs / "job.toml", 'template = "template::base"\n')
    assert merged(job, jobs) == {"lifetime": {"lifetime": 50}, "os": {"cmd": "from-global", "wait": False}}


def test_rule_job_wins_over_global_and_global_applies_to_every_job(jobs: Path) -> None:
    write(jobs / "global.toml", "[lifetime]\nlifetime = 100\n[env]\nvars = { TEAM = \"data\" }\n")
    job = write(jobs / "job.toml", '[lifetime]\nlifetime = 5\n[os]\ncmd = "true"\n')
    config = validate_config(job, jobs)
    assert sections(config)["lifetime"]["lifetime"] == 5
    assert sections(config)["env"]["vars"] == {"TEAM": "data"}
    assert jobs / "global.toml" in config.files


def test_rule_later_template_wins_over_earlier(jobs: Path) -> None:
    write(jobs / "first.template.toml", "[lifetime]\nlifetime = 1\n[os]\ncmd = \"first\"\n")
    write(jobs / "second.template.toml", "[lifetime]\nlifetime = 2\n")
    job = write(jobs / "job.toml", 'template = ["template::first", "template::second"]\n')
    assert merged(job, jobs) == {"lifetime": {"lifetime": 2}, "os": {"cmd": "first"}}


def test_rule_nested_tables_merge_by_key_lists_are_replaced(jobs: Path) -> None:
    write(jobs / "global.toml", '[os]\ncmd = ["a", "b"]\nenv = { A = "global", B = "global" }\n')
    write(jobs / "t.template.toml", '[os]\nenv = { B = "template", C = "template" }\n')
    job = write(jobs / "job.toml", 'template = "template::t"\n[os]\ncmd = ["c"]\nenv = { C = "job" }\n')
    assert merged(job, jobs)["os"] == {"cmd": ["c"], "env": {"A": "global", "B": "template", "C": "job"}}


def test_rule_schedule_is_replaced_whole(jobs: Path) -> None:
    write(jobs / "nightly.template.toml", '[schedule]\ntrigger = "cron"\nhour = 2\nminute = 0\n')
    job = write(jobs / "job.toml", 'template = "template::nightly"\n[os]\ncmd = "true"\n'
                                   '[schedule]\ntrigger = "interval"\nminutes = 5\n')
    config = validate_config(job, jobs)
    assert config.schedule.to_trigger_payload() == {"schedule_type": "interval", "interval_minutes": 5}
    inherited = write(jobs / "inherits.toml", 'template = "template::nightly"\n[os]\ncmd = "true"\n')
    assert validate_config(inherited, jobs).schedule.cron_fields == {"hour": "2", "minute": "0"}


def test_rule_false_drops_an_inherited_section(jobs: Path) -> None:
    write(jobs / "global.toml", '[notify]\nurl = "http://127.0.0.1:9/hook"\n')
    write(jobs / "t.template.toml", '[lifetime]\nlifetime = 9\n[schedule]\ncron = "0 * * * *"\n')
    job = write(jobs / "job.toml", 'template = "template::t"\nnotify = false\nschedule = false\n[os]\ncmd = "true"\n')
    config = validate_config(job, jobs)
    assert [plugin.name for plugin in config.plugins] == ["os", "lifetime"]
    assert config.schedule is None and config.job_type == "on_demand"


def test_rule_template_can_drop_a_global_section(jobs: Path) -> None:
    write(jobs / "global.toml", '[notify]\nurl = "http://127.0.0.1:9/hook"\n')
    write(jobs / "quiet.template.toml", "notify = false\n")
    job = write(jobs / "job.toml", 'template = "template::quiet"\n[os]\ncmd = "true"\n')
    assert merged(job, jobs) == {"os": {"cmd": "true"}}


def test_rule_section_reference_takes_one_section_of_a_template(jobs: Path) -> None:
    write(jobs / "tools.template.toml", '[os]\ncmd = "backup.sh"\n[lifetime]\nlifetime = 3\n')
    job = write(jobs / "job.toml", 'os = "template::tools"\n')
    assert merged(job, jobs) == {"os": {"cmd": "backup.sh"}}
    missing = write(jobs / "missing_section.toml", 'http = "template::tools"\n')
    with pytest.raises(ConfigError) as error:
        load_config(missing, jobs_dir=jobs)
    assert (error.value.section, error.value.line) == ("http", 1) and "has no [http] section" in error.value.message


def test_rule_nested_templates_outer_wins_over_inner(jobs: Path) -> None:
    write(jobs / "inner.template.toml", '[os]\ncmd = "inner"\ncwd = "inner"\n[lifetime]\nlifetime = 1\n')
    write(jobs / "outer.template.toml", 'template = "template::inner"\n[os]\ncmd = "outer"\n')
    job = write(jobs / "job.toml", 'template = "template::outer"\n[lifetime]\nlifetime = 7\n')
    loaded = load_config(job, jobs_dir=jobs)
    assert loaded.sections == {"lifetime": {"lifetime": 7}, "os": {"cmd": "outer", "cwd": "inner"}}
    assert loaded.templates == ["outer", "inner"]


def test_rule_section_order_job_then_templates_then_global(jobs: Path) -> None:
    write(jobs / "global.toml", "[g]\nx = 1\n[b]\nfrom_global = 1\n")
    write(jobs / "t.template.toml", "[t]\ny = 1\n[a]\nfrom_template = 1\n")
    job = write(jobs / "job.toml", 'template = "template::t"\n[b]\nz = 1\n[a]\nz = 1\n')
    assert list(merged(job, jobs)) == ["b", "a", "t", "g"]


def test_rule_templates_dir_is_searched_before_jobs_dir_and_other_formats_work(root: Path, jobs: Path) -> None:
    templates = root / "templates"
    write(jobs / "base.template.toml", "[lifetime]\nlifetime = 1\n")
    write(templates / "base.template.yaml", "lifetime:\n  lifetime: 2\n")
    write(jobs / "extra.template.json", '{"os": {"cmd": "from-json"}}')
    job = write(jobs / "job.yaml", "template:\n  - template::base\n  - template::extra\n")
    assert merged(job, jobs, templates_dir=templates) == {"lifetime": {"lifetime": 2}, "os": {"cmd": "from-json"}}


def test_global_config_may_not_schedule(jobs: Path) -> None:
    write(jobs / "global.toml", '[schedule]\ncron = "* * * * *"\n')
    job = write(jobs / "job.toml", '[os]\ncmd = "true"\n')
    with pytest.raises(ConfigError) as error:
        validate_config(job, jobs)
    assert error.value.file == str(jobs / "global.toml") and error.value.section == "schedule"
    assert error.value.line == 1


def test_dict_configs_use_templates_and_global_of_the_jobs_dir(jobs: Path) -> None:
    write(jobs / "global.toml", "[lifetime]\nlifetime = 30\n")
    write(jobs / "t.template.toml", '[os]\ncmd = "from-template"\n')
    config = validate_config({"template": "template::t"}, jobs, job_id="api_job")
    assert config.job_id == "api_job" and config.source is None
    assert sections(config)["os"]["cmd"] == "from-template" and sections(config)["lifetime"]["lifetime"] == 30


# -- template errors ---------------------------------------------------------------------------

def test_missing_template_names_file_section_and_line(jobs: Path) -> None:
    job = write(jobs / "job.toml", 'template = "template::nope"\n[os]\ncmd = "true"\n')
    with pytest.raises(ConfigError) as error:
        validate_config(job, jobs)
    assert error.value.file == str(job) and error.value.section == "template" and error.value.line == 1
    assert "template 'nope' not found" in error.value.message and str(jobs) in error.value.message


def test_missing_template_referenced_by_a_template_names_that_template(jobs: Path) -> None:
    write(jobs / "outer.template.toml", '# outer\n# template\ntemplate = "template::gone"\n')
    job = write(jobs / "job.toml", 'template = "template::outer"\n')
    with pytest.raises(ConfigError) as error:
        load_config(job, jobs_dir=jobs)
    assert error.value.file == str(jobs / "outer.template.toml") and error.value.line == 3


def test_template_cycle_is_detected(jobs: Path) -> None:
    write(jobs / "a.template.toml", 'template = "template::b"\n[os]\ncmd = "a"\n')
    write(jobs / "b.template.toml", 'template = "template::a"\n')
    job = write(jobs / "job.toml", 'template = "template::a"\n')
    with pytest.raises(ConfigError) as error:
        load_config(job, jobs_dir=jobs)
    assert "template cycle: a → b → a" in error.value.message
    assert error.value.file == str(jobs / "b.template.toml") and error.value.section == "template"


def test_template_referencing_itself_is_a_cycle(jobs: Path) -> None:
    write(jobs / "self.template.toml", 'os = "template::self"\n')
    job = write(jobs / "job.toml", 'template = "template::self"\n')
    with pytest.raises(ConfigError) as error:
        load_config(job, jobs_dir=jobs)
    assert "template cycle: self → self" in error.value.message and error.value.section == "os"


def test_template_names_cannot_be_paths(jobs: Path) -> None:
    for reference in ("template::../secret", "template::/etc/x", "template::", "base"):
        job = write(jobs / "job.toml", f'template = "{reference}"\n')
        with pytest.raises(ConfigError) as error:
            load_config(job, jobs_dir=jobs)
        assert error.value.section == "template", reference


def test_template_without_jobs_dir_is_an_error() -> None:
    with pytest.raises(ConfigError) as error:
        load_config({"template": "template::x"})
    assert "no jobs or templates directory" in error.value.message


# -- errors name file, section, field and line --------------------------------------------------

def test_toml_syntax_error_has_the_line(jobs: Path) -> None:
    job = write(jobs / "broken.toml", '[os]\ncmd = "true"\n\n[lifetime]\nlifetime = = 3\n')
    with pytest.raises(ConfigError) as error:
        validate_config(job, jobs)
    assert error.value.file == str(job) and error.value.line == 5
    assert str(error.value).startswith(f"{job}:5: invalid TOML")


def test_yaml_and_json_syntax_errors_have_the_line(jobs: Path) -> None:
    yaml_job = write(jobs / "broken.yaml", "os:\n  cmd: [unclosed\nlifetime: 3\n")
    with pytest.raises(ConfigError) as error:
        validate_config(yaml_job, jobs)
    assert error.value.line in (2, 3) and "invalid YAML" in error.value.message
    json_job = write(jobs / "broken.json", '{\n  "os": {"cmd": "true"},\n  "lifetime": {lifetime: 1}\n}\n')
    with pytest.raises(ConfigError) as error:
        validate_config(json_job, jobs)
    assert error.value.line == 3 and "invalid JSON" in error.value.message


def test_unknown_plugin_names_section_and_line(jobs: Path) -> None:
    job = write(jobs / "job.toml", '[os]\ncmd = "true"\n\n[backup]\nx = 1\n')
    with pytest.raises(ConfigError) as error:
        validate_config(job, jobs)
    assert (error.value.file, error.value.section, error.value.field, error.value.line) == (str(job), "backup", None, 4)
    assert "unknown plugin 'backup'" in error.value.message and "os" in error.value.message


def test_unknown_and_wrong_typed_parameters_name_the_field_and_line(jobs: Path) -> None:
    job = write(jobs / "job.toml", '[lifetime]\nlifetime = 5\n\n[os]\ncmd = "true"\nwait = "yes"\n')
    with pytest.raises(ConfigError) as error:
        validate_config(job, jobs)
    assert (error.value.section, error.value.field, error.value.line) == ("os", "wait", 6)
    assert "'yes'" in error.value.message
    assert str(error.value).startswith(f"{job}:6: [os] wait: ")
    job = write(jobs / "job.toml", '[os]\ncmd = "true"\ntimeout = 3\n')
    with pytest.raises(ConfigError) as error:
        validate_config(job, jobs)
    assert (error.value.field, error.value.line) == ("timeout", 3) and "unknown parameter" in error.value.message
    job = write(jobs / "job.yaml", "os:\n  cmd: 5\n")
    with pytest.raises(ConfigError) as error:
        validate_config(job, jobs)
    assert (error.value.field, error.value.line) == ("cmd", 2) and "expected" in error.value.message


def test_bad_value_from_a_template_points_at_the_template(jobs: Path) -> None:
    write(jobs / "t.template.toml", '# a template\n[lifetime]\nlifetime = "long"\n')
    job = write(jobs / "job.toml", 'template = "template::t"\n[os]\ncmd = "true"\n')
    with pytest.raises(ConfigError) as error:
        validate_config(job, jobs)
    assert (error.value.file, error.value.section, error.value.field, error.value.line) == (
        str(jobs / "t.template.toml"), "lifetime", "lifetime", 3)


def test_path_escaping_the_root_names_file_section_field(root: Path, jobs: Path) -> None:
    job = write(jobs / "job.toml", '[os]\ncmd = "true"\ncwd = "/etc"\n')
    with pytest.raises(ConfigError) as error:
        validate_config(job, jobs, root=root)
    assert (error.value.file, error.value.section, error.value.field, error.value.line) == (str(job), "os", "cwd", 3)
    (root / "inside").mkdir()
    (root / "link").symlink_to("/tmp")
    write(job, '[os]\ncmd = "true"\ncwd = "link"\n')
    with pytest.raises(ConfigError):
        validate_config(job, jobs, root=root)
    write(job, '[os]\ncmd = "true"\ncwd = "inside"\n')
    assert validate_config(job, jobs, root=root)


def test_non_table_sections_and_empty_configs_are_errors(jobs: Path) -> None:
    with pytest.raises(ConfigError) as error:
        validate_config(write(jobs / "a.toml", 'os = 3\n'), jobs)
    assert error.value.section == "os" and error.value.line == 1
    with pytest.raises(ConfigError) as error:
        validate_config(write(jobs / "b.toml", '[schedule]\ncron = "* * * * *"\n'), jobs)
    assert "nothing to run" in error.value.message
    with pytest.raises(ConfigError) as error:
        validate_config(write(jobs / "c.yaml", "- a list\n"), jobs)
    assert "mapping" in error.value.message
    with pytest.raises(ConfigError) as error:
        validate_config(jobs / "absent.toml", jobs)
    assert "no such file" in error.value.message


def test_config_error_as_json(jobs: Path) -> None:
    job = write(jobs / "job.toml", '[os]\ncmd = 1\n')
    with pytest.raises(ConfigError) as error:
        validate_config(job, jobs)
    data = error.value.to_dict()
    assert {key: data[key] for key in ("file", "section", "field", "line")} == {
        "file": str(job), "section": "os", "field": "cmd", "line": 2}
    assert data["error"] == str(error.value)


def test_cli_reports_config_errors_with_exit_2(root: Path, jobs: Path) -> None:
    job = write(jobs / "job.toml", '[os]\ncmd = "true"\n[lifetime]\nlifetime = "x"\n')
    result = run_cli(job, cwd=root)
    assert result.returncode == 2
    assert f"{job}:4: [lifetime] lifetime:" in result.stderr


# -- jobs directory helpers --------------------------------------------------------------------

def test_job_files_skip_global_templates_and_others(jobs: Path) -> None:
    for name in ("b.toml", "a.yaml", "c.json", "d.yml", "global.toml", "x.template.toml", ".hidden.toml", "notes.txt"):
        write(jobs / name, "")
    assert [path.name for path in job_files(jobs)] == ["a.yaml", "b.toml", "c.json", "d.yml"]
    assert job_id_for(jobs / "daily_backup.toml") == "daily_backup"
    assert not is_job_file("global.yaml") and not is_job_file("base.template.json") and is_job_file("x.toml")
