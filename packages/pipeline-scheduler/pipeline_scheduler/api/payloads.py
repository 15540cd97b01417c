"""Request payloads, validated at the boundary with pydantic.

Field names follow the amphi-scheduler 0.9.7 contract so its clients work unchanged; everything
else is an extension. Lax coercion is kept on purpose ("10" for an int) because 0.9.7's form sends
strings; unknown fields are rejected so that typos do not pass silently.
"""

from __future__ import annotations

import math
import re
import shlex
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from ..errors import Invalid

ScheduleType = Literal["date", "interval", "cron", "trigger", "manual"]
DateType = Literal["once", "daily", "weekly", "monthly", "every_x_days"]
OverlapPolicy = Literal["skip", "queue", "parallel"]
CatchUpPolicy = Literal["run_once", "skip"]
TriggeredBy = Literal["schedule", "manual", "trigger", "api"]

JOB_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
ENV_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_JSON_INT = 2**53  # larger integers do not survive JSON readers (JavaScript) nor our serializer
# Control characters: none in one-line fields (paths, names, zones, dates, cron); arguments and
# environment values may hold tabs and line breaks; no string at all may hold NUL, which cannot
# reach a process's arguments, environment or a file name.
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_BUT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NUL = re.compile(r"\x00")


def refuse_control(value: Any, pattern: re.Pattern = ANY_CONTROL, where: str = "") -> Any:
    """``value`` unchanged, or a ``ValueError`` naming the first forbidden control character."""
    if isinstance(value, str):
        found = pattern.search(value)
        if found:
            what = "a NUL character" if found.group() == "\x00" else f"the control character {found.group()!r}"
            raise ValueError(f"{where}contains {what}, which is not allowed here")
    return value


def refuse_nul_anywhere(value: Any, where: str) -> None:
    """No NUL in any string of a nested structure (keys included); ``where`` is the dotted path so far."""
    if isinstance(value, dict):
        for key, item in value.items():
            refuse_control(key, NUL, f"a key in {where or 'it'} ")
            refuse_nul_anywhere(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_nul_anywhere(item, f"{where}.{index}")
    else:
        refuse_control(value, NUL, f"{where} ")


def is_notebook_target(pipeline_path: str | None, python_code: str | None) -> bool:
    """A job runs a notebook when its target is an ``.ipynb`` file (not code generated from one)."""
    return python_code is None and (pipeline_path or "").lower().endswith(".ipynb")


class Payload(BaseModel):
    """Common configuration: unknown fields are errors; empty strings mean "not given"."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _blank_means_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != "" and value is not None}
        return data


class TriggerCondition(Payload):
    """Run the dependent job when ``job_id`` finishes with the given outcome."""

    job_id: str
    on: Literal["success", "failure"] = "success"

    @field_validator("job_id")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return refuse_control(value)


class NotifyTarget(Payload):
    """Where to tell how runs ended (an Apprise URL) and on which events."""

    url: str = Field(min_length=1, max_length=2000)
    on: list[Literal["failure", "timed_out", "success", "recovery"]] = Field(
        default_factory=lambda: ["failure", "timed_out", "recovery"], min_length=1)

    @field_validator("url")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return refuse_control(value)


class TriggerSpec(Payload):
    """When a job fires: the schedule fields of the 0.9.7 contract plus our extensions."""

    schedule_type: ScheduleType = "date"
    date_type: DateType = "once"
    run_date: str | None = None
    last_day_of_month: bool = False  # date_type "monthly": the last day of each month instead of run_date's day
    interval_days: int | None = Field(default=None, gt=0, le=MAX_JSON_INT)
    interval_seconds: int | None = Field(default=None, gt=0, le=MAX_JSON_INT)
    interval_minutes: int | None = Field(default=None, gt=0, le=MAX_JSON_INT)
    interval_hours: int | None = Field(default=None, gt=0, le=MAX_JSON_INT)
    cron_expression: str | None = None
    second: str | None = None
    minute: str | None = None
    hour: str | None = None
    day: str | None = None
    month: str | None = None
    day_of_week: str | None = None
    trigger_conditions: list[TriggerCondition] | None = None
    logical_operator: Literal["AND", "OR"] = "AND"
    timezone: str | None = None

    @field_validator("logical_operator", mode="before")
    @classmethod
    def _upper_operator(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("second", "minute", "hour", "day", "month", "day_of_week", mode="before")
    @classmethod
    def _number_as_cron_field(cls, value: Any) -> Any:
        """``{"hour": 3}`` means ``"3"`` (a cron field is text, but a number is what people write)."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("run_date", "cron_expression", "second", "minute", "hour", "day", "month", "day_of_week",
                     "timezone")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return refuse_control(value)


class PreviewRequest(TriggerSpec):
    """``POST triggers/preview``: a trigger payload, how many fire times to list, and after which
    instant (ISO-8601; default now)."""

    count: int = Field(default=5, ge=1, le=100)
    after: str | None = None


class JobSpec(TriggerSpec):
    """A job as clients send it (``POST jobs``, ``PUT jobs/{id}``)."""

    id: str | None = None
    name: str | None = Field(default=None, max_length=200)
    pipeline_path: str | None = None
    python_code: str | None = None
    runner_config: dict[str, Any] | None = None
    origin: Literal["api", "registry", "jobs_dir"] = "api"
    arguments: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    timeout: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    overlap_policy: OverlapPolicy | None = None
    max_parallel: int = Field(default=1, ge=1, le=1000)
    catch_up: CatchUpPolicy = "run_once"
    on_stale: Literal["warn", "fail"] = "warn"  # code older than its .ampln pipeline: run with a warning, or refuse
    # set by the server (jobs/pipeline_source.py), never by requests: the pipeline the code was generated from
    pipeline_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    code_generated_at: str | None = None
    kill_leftovers: bool = True  # end what a run leaves running (false: jobs that start daemons on purpose)
    retries: int = Field(default=0, ge=0, le=20)
    retry_delay: float = Field(default=60.0, ge=0, le=86400, allow_inf_nan=False)  # seconds before the first retry
    retry_backoff: float = Field(default=2.0, ge=1, le=10, allow_inf_nan=False)  # each further wait × this
    retry_on: list[Literal["failure", "timed_out", "interrupted"]] = Field(
        default_factory=lambda: ["failure", "timed_out"], min_length=1)
    notify: list[NotifyTarget] = Field(default_factory=list, max_length=20)
    resources: dict[str, float] = Field(default_factory=dict, max_length=20)  # Dask worker resources a run needs
    # notebook jobs only: papermill-style parameters, the kernelspec (default: the notebook's), an HTML export
    parameters: dict[str, Any] | None = None
    kernel_name: str | None = Field(default=None, max_length=200)
    html_export: bool = False

    @field_validator("parameters", "kernel_name", "html_export")
    @classmethod
    def _notebooks_only(cls, value: Any, info: ValidationInfo) -> Any:
        if value and not is_notebook_target(info.data.get("pipeline_path"), info.data.get("python_code")):
            raise ValueError("only notebook jobs (a pipeline_path ending in .ipynb) take it")
        if info.field_name == "kernel_name":
            refuse_control(value)
        return value

    @field_validator("resources")
    @classmethod
    def _check_resources(cls, value: dict[str, float]) -> dict[str, float]:
        for name, amount in value.items():
            refuse_control(name, ANY_CONTROL, "a resource name ")
            if not math.isfinite(amount) or amount < 0:
                raise ValueError(f"{name} must be a finite amount of 0 or more")
        return value
    paused: bool = False
    # APScheduler options of the 0.9.7 contract. ``max_instances`` maps to the overlap policy when no
    # policy is given; ``coalesce: true`` runs only the latest of instants that came due together
    # (the others are recorded skipped); fires are never dropped for lateness (see catch_up).
    max_instances: int | None = Field(default=None, ge=1, le=1000)
    coalesce: bool = False
    misfire_grace_time: int | None = Field(default=None, ge=0, le=MAX_JSON_INT)
    replace_existing: bool | None = None

    @field_validator("name", "pipeline_path", "cwd")
    @classmethod
    def _one_line_text(cls, value: str | None) -> str | None:
        return refuse_control(value)

    @field_validator("python_code")
    @classmethod
    def _code_without_nul(cls, value: str | None) -> str | None:
        return refuse_control(value, NUL)

    @field_validator("runner_config")
    @classmethod
    def _config_without_nul(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            refuse_nul_anywhere(value, "")
        return value

    @field_validator("arguments")
    @classmethod
    def _check_arguments(cls, value: list[str]) -> list[str]:
        for index, argument in enumerate(value):
            refuse_control(argument, CONTROL_BUT_WHITESPACE, f"argument {index} ")
        return value

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str | None) -> str | None:
        if value is not None and not JOB_ID_PATTERN.match(value):
            raise ValueError("must be 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit")
        return value

    @field_validator("arguments", mode="before")
    @classmethod
    def _split_argument_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return shlex.split(value)
            except ValueError as error:
                raise ValueError(f"cannot split the argument string: {error}") from error
        return value

    @field_validator("env")
    @classmethod
    def _check_env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not ENV_NAME_PATTERN.match(name):
                raise ValueError(f"invalid environment variable name {name!r}")
            refuse_control(text, CONTROL_BUT_WHITESPACE, f"the value of {name} ")
        return value

    @model_validator(mode="after")
    def _resolve_overlap_policy(self) -> JobSpec:
        if self.overlap_policy is None:
            if self.max_instances and self.max_instances > 1:
                self.overlap_policy, self.max_parallel = "parallel", self.max_instances
            else:
                self.overlap_policy = "skip"
        return self

    def stored(self) -> dict[str, Any]:
        """The normalised spec kept in the database (request-only flags dropped)."""
        return self.model_dump(exclude={"replace_existing"}, mode="json")


class RunRequest(Payload):
    """``POST jobs/{id}/runs`` and ``POST run/{id}``: optional label of who asked, and (notebook jobs)
    parameters for this run only, over the job's own."""

    triggered_by: Literal["manual", "api"] = "api"
    parameters: dict[str, Any] | None = None


ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_payload(model: type[ModelT], payload: Any) -> ModelT:
    """Validate ``payload`` into ``model``; the first problem becomes an :class:`Invalid` naming its field."""
    if not isinstance(payload, dict):
        raise Invalid("the request body must be a JSON object", None)
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        kind = first["type"]
        if kind == "extra_forbidden":
            reason = "unknown field"
        elif kind == "missing":
            reason = "field required"
        else:
            reason = first["msg"].removeprefix("Value error, ")
        raise Invalid(f"{field}: {reason}" if field else reason, field) from None


MAX_DATABASE_INT = 2**63 - 1


def query_int(value: str | None, field: str, default: int | None, minimum: int = 0) -> int | None:
    """An integer query parameter: 400 naming ``field`` when it is not one or below ``minimum``; capped
    at the database's integer range so that absurd values answer like large ones."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise Invalid(f"{field}: expected an integer, got {value!r}", field) from None
    if number < minimum:
        raise Invalid(f"{field}: must be {minimum} or more", field)
    return min(number, MAX_DATABASE_INT)


SERVER_SET_FIELDS = ("pipeline_sha256", "code_generated_at")


def refuse_server_set(payload: Any) -> None:
    """A 400 naming the first field of ``payload`` that only the server sets."""
    for field in SERVER_SET_FIELDS:
        if isinstance(payload, dict) and field in payload:
            raise Invalid(f"{field}: set by the server when python_code is saved; do not send it", field)


def merge_update(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply a ``PUT`` body onto a stored spec.

    Changing ``schedule_type`` replaces the whole schedule (fields of the old schedule would only
    confuse); other fields are merged key by key.
    """
    schedule_keys = set(TriggerSpec.model_fields) - {"timezone"}
    merged = dict(current)
    if "schedule_type" in changes and changes["schedule_type"] != current.get("schedule_type"):
        for key in schedule_keys:
            merged.pop(key, None)
    merged.update(changes)
    return merged
