/**
 * The job form's state and its translation to and from REST payloads.
 * Pure functions: unit-tested without a browser or server.
 */
import { cronFromFields, intervalSeconds } from './describe';
import { checkLocalInput, fromLocalInput, toLocalInput } from './format';
import { IParameterRow, isNotebookPath, parametersFromRows, rowsFromParameters } from './notebookJobs';
import {
  CatchUpPolicy,
  DateType,
  IJob,
  IJobPayload,
  IScheduleFields,
  isPipelinePath,
  OverlapPolicy,
  ScheduleType
} from './tokens';

/** Units of an `interval` schedule in the form. */
export type IntervalUnit = 'seconds' | 'minutes' | 'hours' | 'days';

/** One `NAME=value` row of the environment editor. */
export interface IEnvRow {
  name: string;
  value: string;
}

/** One "after other jobs" condition in the form. */
export interface IConditionRow {
  jobId: string;
  on: 'success' | 'failure';
}

/** Everything the job form edits, as strings where the user types. */
export interface IJobFormState {
  name: string;
  /** Target file, relative to the server root. */
  path: string;
  /** Python code run when no file is given (a notebook cell's, "Schedule this cell…"). */
  code: string;
  scheduleType: ScheduleType;
  dateType: DateType;
  /** `YYYY-MM-DD HH:mm[:ss]`: a wall time in `timezone`. */
  runDate: string;
  /** Monthly schedules: the last day of every month instead of `runDate`'s day. */
  lastDayOfMonth: boolean;
  /** Days of an `every_x_days` schedule. */
  everyDays: string;
  intervalValue: string;
  intervalUnit: IntervalUnit;
  /** Optional start of an `interval` schedule (`YYYY-MM-DD HH:mm`). */
  intervalStart: string;
  cronExpression: string;
  conditions: IConditionRow[];
  logicalOperator: 'AND' | 'OR';
  timezone: string;
  /** Arguments as one shell-like string (the server splits it). */
  arguments: string;
  env: IEnvRow[];
  cwd: string;
  /** Seconds; empty: the server's default. */
  timeout: string;
  overlapPolicy: OverlapPolicy;
  maxParallel: string;
  catchUp: CatchUpPolicy;
  /** Notebook jobs: parameters as rows, the kernelspec (empty: the notebook's), an HTML export. */
  parameters: IParameterRow[];
  kernelName: string;
  htmlExport: boolean;
}

/** Defaults of a new job's form. */
export function emptyForm(options: {
  timezone: string;
  path?: string;
  timeout?: number;
  now?: Date;
}): IJobFormState {
  const now = options.now ?? new Date();
  // Next full hour, as a wall time in the browser: a sensible first run.
  const next = new Date(now.getTime() + 3600 * 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const runDate = `${next.getFullYear()}-${pad(next.getMonth() + 1)}-${pad(next.getDate())} ${pad(next.getHours())}:00`;
  const path = options.path ?? '';
  return {
    name: defaultName(path),
    path,
    code: '',
    scheduleType: 'date',
    dateType: 'once',
    runDate,
    lastDayOfMonth: false,
    everyDays: '1',
    intervalValue: '1',
    intervalUnit: 'hours',
    intervalStart: '',
    cronExpression: '0 9 * * 1-5',
    conditions: [],
    logicalOperator: 'AND',
    timezone: options.timezone,
    arguments: '',
    env: [],
    cwd: '',
    timeout: options.timeout && options.timeout > 0 ? String(options.timeout) : '',
    overlapPolicy: 'skip',
    maxParallel: '2',
    catchUp: 'run_once',
    parameters: [],
    kernelName: '',
    htmlExport: false
  };
}

/** A job name derived from a file path (`etl/load.py` → `load`). */
export function defaultName(path: string): string {
  const base = path.split('/').pop() ?? '';
  return base.replace(/\.(py|ipynb|ampln)$/i, '');
}

/** Quote one argument the way a POSIX shell would read it back. */
export function shellQuote(arg: string): string {
  if (arg === '') {
    return "''";
  }
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) {
    return arg;
  }
  return `'${arg.replace(/'/g, `'"'"'`)}'`;
}

/** A list of arguments as one shell-like string. */
export function shellJoin(args: ReadonlyArray<string>): string {
  return args.map(shellQuote).join(' ');
}

const UNIT_SECONDS: Record<IntervalUnit, number> = {
  seconds: 1,
  minutes: 60,
  hours: 3600,
  days: 86400
};

/** The largest unit that divides an interval exactly. */
export function splitInterval(seconds: number): {
  value: string;
  unit: IntervalUnit;
} {
  for (const unit of ['days', 'hours', 'minutes'] as IntervalUnit[]) {
    if (seconds > 0 && seconds % UNIT_SECONDS[unit] === 0) {
      return { value: String(seconds / UNIT_SECONDS[unit]), unit };
    }
  }
  return { value: String(seconds || 1), unit: 'seconds' };
}

const SCHEDULE_TYPES: ReadonlyArray<ScheduleType> = ['date', 'interval', 'cron', 'trigger', 'manual'];
const DATE_TYPES: ReadonlyArray<DateType> = ['once', 'daily', 'weekly', 'monthly', 'every_x_days'];

/** `value` when it is one of `choices`, else `fallback` (a field may be missing or unknown). */
function oneOf<T extends string>(value: unknown, choices: ReadonlyArray<T>, fallback: T): T {
  return choices.includes(value as T) ? (value as T) : fallback;
}

/** A text field of a job: strings and numbers as written, anything else empty. */
function textOf(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/**
 * The form state of an existing job (edit), or of its copy (duplicate).
 *
 * A broken job may lack most fields: the form starts from what it has, and
 * from a new job's defaults for the rest (saving sends them all, which fixes
 * the job).
 */
export function formFromJob(
  job: IJob,
  options: { duplicate?: boolean; copySuffix?: string } = {}
): IJobFormState {
  const timezone = textOf(job.timezone) || 'UTC';
  const path = textOf(job.pipeline_path);
  const base = emptyForm({ timezone, path });
  const name = textOf(job.name);
  const env = job.env && typeof job.env === 'object' ? job.env : {};
  const state: IJobFormState = {
    ...base,
    name: options.duplicate ? `${name}${options.copySuffix ?? ' (copy)'}` : name,
    path,
    code: path ? '' : textOf(job.python_code),
    scheduleType: oneOf(job.schedule_type, SCHEDULE_TYPES, 'date'),
    dateType: oneOf(job.date_type, DATE_TYPES, 'once'),
    lastDayOfMonth: job.last_day_of_month === true,
    timezone,
    arguments: Array.isArray(job.arguments)
      ? shellJoin(job.arguments.map(String))
      : textOf(job.arguments),
    env: Object.entries(env).map(([name, value]) => ({
      name,
      value: String(value)
    })),
    cwd: textOf(job.cwd),
    timeout: textOf(job.timeout),
    overlapPolicy: oneOf(job.overlap_policy, ['skip', 'queue', 'parallel'], 'skip'),
    maxParallel: textOf(job.max_parallel) || '2',
    catchUp: oneOf(job.catch_up, ['run_once', 'skip'], 'run_once'),
    ...notebookFieldsOf(job)
  };
  const runDate = textOf(job.run_date) || null;
  switch (state.scheduleType) {
    case 'date':
      state.runDate = toLocalInput(runDate, timezone) || base.runDate;
      if (state.dateType === 'every_x_days') {
        state.everyDays = textOf(job.interval_days) || '1';
        state.runDate = toLocalInput(runDate, timezone);
      }
      break;
    case 'interval': {
      const split = splitInterval(intervalSeconds(job));
      state.intervalValue = split.value;
      state.intervalUnit = split.unit;
      state.intervalStart = toLocalInput(runDate, timezone);
      break;
    }
    case 'cron':
      state.cronExpression = textOf(job.cron_expression) || (cronFields(job) ?? '');
      break;
    case 'trigger':
      state.conditions = (Array.isArray(job.trigger_conditions) ? job.trigger_conditions : [])
        .filter(c => c && typeof c === 'object')
        .map(c => ({
          jobId: textOf(c.job_id),
          on: c.on === 'failure' ? 'failure' : 'success'
        }));
      state.logicalOperator = job.logical_operator === 'OR' ? 'OR' : 'AND';
      break;
  }
  return state;
}

function cronFields(job: IScheduleFields): string | null {
  const expression = cronFromFields(job);
  if (!expression) {
    return null;
  }
  // Seconds at 0 are crontab's default: show the usual five fields.
  const fields = expression.split(' ');
  return fields[0] === '0' ? fields.slice(1).join(' ') : expression;
}

/** An integer typed in a field, or null when empty (NaN stays for the server to refuse). */
function integer(text: string): number | null {
  const trimmed = text.trim();
  if (!trimmed) {
    return null;
  }
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : (trimmed as unknown as number);
}

/**
 * The schedule part of a payload: every schedule field, `null` for the ones
 * the chosen type does not use (so that a `PUT` clears them).
 */
export function scheduleFromForm(state: IJobFormState): IScheduleFields {
  const fields: IScheduleFields = {
    schedule_type: state.scheduleType,
    date_type: 'once',
    run_date: null,
    last_day_of_month: null,
    interval_days: null,
    interval_hours: null,
    interval_minutes: null,
    interval_seconds: null,
    cron_expression: null,
    second: null,
    minute: null,
    hour: null,
    day: null,
    month: null,
    day_of_week: null,
    trigger_conditions: null,
    logical_operator: 'AND',
    timezone: state.timezone.trim() || null
  };
  switch (state.scheduleType) {
    case 'date':
      fields.date_type = state.dateType;
      fields.run_date = fromLocalInput(state.runDate);
      if (state.dateType === 'monthly') {
        fields.last_day_of_month = state.lastDayOfMonth;
      }
      if (state.dateType === 'every_x_days') {
        fields.interval_days = integer(state.everyDays);
      }
      break;
    case 'interval': {
      const key = `interval_${state.intervalUnit}` as
        | 'interval_seconds'
        | 'interval_minutes'
        | 'interval_hours'
        | 'interval_days';
      fields[key] = integer(state.intervalValue);
      fields.run_date = fromLocalInput(state.intervalStart);
      break;
    }
    case 'cron':
      fields.cron_expression = state.cronExpression.trim().replace(/\s+/g, ' ');
      break;
    case 'trigger':
      fields.trigger_conditions = state.conditions
        .filter(c => c.jobId)
        .map(c => ({ job_id: c.jobId, on: c.on }));
      fields.logical_operator = state.logicalOperator;
      break;
  }
  return fields;
}

/** Drop `null`, `undefined` and empty strings (a `POST` needs no clearing). */
export function compact<T extends object>(payload: T): Partial<T> {
  const result: Partial<T> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (value !== null && value !== undefined && value !== '') {
      (result as Record<string, unknown>)[key] = value;
    }
  }
  return result;
}

/**
 * The payload of `POST jobs` (create) or `PUT jobs/{id}` (edit).
 *
 * @param options.mode - `create` drops empty fields; `update` sends `null`
 *   for them so that the server clears what the user emptied.
 * @param options.pythonCode - Code generated from an `.ampln` pipeline.
 */
export function payloadFromForm(
  state: IJobFormState,
  options: { mode: 'create' | 'update'; pythonCode?: string | null }
): IJobPayload {
  const env: Record<string, string> = {};
  for (const row of state.env) {
    if (row.name.trim()) {
      env[row.name.trim()] = row.value;
    }
  }
  const payload: IJobPayload = {
    name: state.name.trim() || null,
    pipeline_path: state.path.trim() || null,
    python_code: isPipelinePath(state.path)
      ? (options.pythonCode ?? null)
      : state.path.trim()
        ? null
        : state.code || null,
    ...scheduleFromForm(state),
    arguments: fieldApplies('arguments', state) ? state.arguments.trim() : '',
    env,
    cwd: state.cwd.trim() || null,
    timeout: integerOrFloat(state.timeout),
    overlap_policy: state.overlapPolicy,
    max_parallel:
      state.overlapPolicy === 'parallel'
        ? (integer(state.maxParallel) ?? undefined)
        : undefined,
    catch_up: state.catchUp,
    ...notebookPayload(state, options.mode)
  };
  if (payload.max_parallel === undefined) {
    delete payload.max_parallel;
    if (options.mode === 'update') {
      payload.max_parallel = 1;
    }
  }
  if (options.mode === 'create') {
    return compact(payload) as IJobPayload;
  }
  return payload;
}

/** The notebook fields of a job in the form (a job of another kind has none). */
function notebookFieldsOf(job: IJob): Pick<IJobFormState, 'parameters' | 'kernelName' | 'htmlExport'> {
  return {
    parameters: rowsFromParameters(job.parameters),
    kernelName: typeof job.kernel_name === 'string' ? job.kernel_name : '',
    htmlExport: job.html_export === true
  };
}

/**
 * The notebook fields of the payload: only for a notebook target (the server
 * refuses them on other kinds); on `update`, cleared fields are sent empty.
 */
function notebookPayload(
  state: IJobFormState,
  mode: 'create' | 'update'
): Pick<IJobPayload, 'parameters' | 'kernel_name' | 'html_export'> {
  if (!isNotebookPath(state.path)) {
    return mode === 'update' ? { parameters: null, kernel_name: null, html_export: false } : {};
  }
  const parameters = parametersFromRows(state.parameters);
  return {
    parameters: Object.keys(parameters).length ? parameters : mode === 'update' ? null : undefined,
    kernel_name: state.kernelName.trim() || (mode === 'update' ? null : undefined),
    html_export: state.htmlExport || (mode === 'update' ? false : undefined)
  };
}

function integerOrFloat(text: string): number | null {
  const trimmed = text.trim();
  if (!trimmed) {
    return null;
  }
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : (trimmed as unknown as number);
}

/**
 * The payload of `POST triggers/preview` for the form's schedule (its words
 * and next fire times), or null when there is nothing to ask yet (no job
 * to wait for).
 */
export function previewPayload(
  state: IJobFormState,
  count = 5
): (IScheduleFields & { count: number }) | null {
  const fields = compact(scheduleFromForm(state)) as IScheduleFields;
  if (state.scheduleType === 'trigger' && !fields.trigger_conditions?.length) {
    return null;
  }
  return { ...fields, count };
}

/** File kinds run by a runner (`python -m pipeline_scheduler.runner`): no arguments. */
const RUNNER_CONFIG = /\.(toml|ya?ml|json)$/i;

/**
 * Whether a field of the form applies to the job as it is being edited:
 * arguments reach `.py` files and pipelines' code only (not notebooks nor
 * runner configs); the time zone and missed runs need a clock (not jobs
 * that run after others or on demand).
 */
export function fieldApplies(
  field: 'arguments' | 'timezone' | 'catchUp',
  state: Pick<IJobFormState, 'path' | 'scheduleType'>
): boolean {
  switch (field) {
    case 'arguments': {
      const path = state.path.trim().toLowerCase();
      return !(path.endsWith('.ipynb') || RUNNER_CONFIG.test(path));
    }
    case 'timezone':
    case 'catchUp':
      return state.scheduleType !== 'trigger' && state.scheduleType !== 'manual';
    default:
      return true;
  }
}

/** Form field keys, for server errors shown next to the field they name. */
export type FormField =
  | 'name'
  | 'path'
  | 'scheduleType'
  | 'runDate'
  | 'everyDays'
  | 'interval'
  | 'intervalStart'
  | 'cronExpression'
  | 'conditions'
  | 'timezone'
  | 'arguments'
  | 'env'
  | 'cwd'
  | 'timeout'
  | 'overlapPolicy'
  | 'maxParallel'
  | 'catchUp'
  | 'parameters'
  | 'kernelName'
  | 'general';

/**
 * The form field a server error names (`field` of the error body, e.g.
 * `cron_expression`, `trigger_conditions.0.job_id`).
 */
export function formFieldOf(
  field: string | null | undefined,
  state?: Pick<IJobFormState, 'scheduleType' | 'dateType'>
): FormField {
  if (!field) {
    return 'general';
  }
  const head = field.split('.')[0];
  switch (head) {
    case 'name':
    case 'id':
      return 'name';
    case 'pipeline_path':
    case 'python_code':
      return 'path';
    case 'schedule_type':
    case 'date_type':
      return 'scheduleType';
    case 'run_date':
      return state?.scheduleType === 'interval' ? 'intervalStart' : 'runDate';
    case 'last_day_of_month':
      return 'runDate';
    case 'interval_days':
      return state?.scheduleType === 'interval' ? 'interval' : 'everyDays';
    case 'interval_hours':
    case 'interval_minutes':
    case 'interval_seconds':
      return 'interval';
    case 'cron_expression':
    case 'second':
    case 'minute':
    case 'hour':
    case 'day':
    case 'month':
    case 'day_of_week':
      return 'cronExpression';
    case 'trigger_conditions':
    case 'logical_operator':
    case 'job_id':
      return 'conditions';
    case 'timezone':
      return 'timezone';
    case 'parameters':
      return 'parameters';
    case 'kernel_name':
      return 'kernelName';
    case 'arguments':
      return 'arguments';
    case 'env':
      return 'env';
    case 'cwd':
      return 'cwd';
    case 'timeout':
      return 'timeout';
    case 'overlap_policy':
    case 'max_instances':
      return 'overlapPolicy';
    case 'max_parallel':
      return 'maxParallel';
    case 'catch_up':
      return 'catchUp';
    default:
      return 'general';
  }
}

/**
 * Problems the form can see before asking the server, by field (the server
 * still validates everything).
 */
export function checkForm(
  state: IJobFormState,
  trans: { __: (msg: string, ...args: unknown[]) => string }
): Partial<Record<FormField, string>> {
  const errors: Partial<Record<FormField, string>> = {};
  if (!state.path.trim() && !state.code.trim()) {
    errors.path = trans.__('Choose the file to run');
  }
  const positive = (text: string): boolean =>
    /^\s*\d+\s*$/.test(text) && Number(text) > 0;
  switch (state.scheduleType) {
    case 'date':
      if (state.dateType === 'every_x_days') {
        if (!positive(state.everyDays)) {
          errors.everyDays = trans.__('Enter a whole number of days, 1 or more');
        }
      } else if (!state.runDate.trim()) {
        errors.runDate = trans.__('Choose a date and time');
      }
      if (state.runDate.trim()) {
        const problem = dateProblem(state.runDate, trans);
        if (problem) {
          errors.runDate = problem;
        }
      }
      break;
    case 'interval':
      if (!positive(state.intervalValue)) {
        errors.interval = trans.__('Enter a whole number, 1 or more');
      }
      if (state.intervalStart.trim()) {
        const problem = dateProblem(state.intervalStart, trans);
        if (problem) {
          errors.intervalStart = problem;
        }
      }
      break;
    case 'cron':
      if (!state.cronExpression.trim()) {
        errors.cronExpression = trans.__('Enter a cron expression');
      }
      break;
    case 'trigger':
      if (!state.conditions.some(c => c.jobId)) {
        errors.conditions = trans.__('Pick at least one job to wait for');
      }
      break;
  }
  if (state.timeout.trim() && !(Number(state.timeout) > 0)) {
    errors.timeout = trans.__('Enter a number of seconds greater than 0, or leave empty');
  }
  if (
    state.overlapPolicy === 'parallel' &&
    !positive(state.maxParallel)
  ) {
    errors.maxParallel = trans.__('Enter a whole number, 1 or more');
  }
  const names = new Set<string>();
  if (!fieldApplies('timezone', state)) {
    delete errors.timezone;
  }
  for (const row of state.env) {
    const name = row.name.trim();
    if (!name && !row.value) {
      continue;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      errors.env = trans.__('Invalid variable name "%1"', name);
      break;
    }
    if (names.has(name)) {
      errors.env = trans.__('Variable "%1" is set twice', name);
      break;
    }
    names.add(name);
  }
  return errors;
}

/** Why the text of a date field is not a date and time, in words, or null. */
function dateProblem(
  text: string,
  trans: { __: (msg: string, ...args: unknown[]) => string }
): string | null {
  switch (checkLocalInput(text)) {
    case 'format':
      return trans.__('Enter a date and time as YYYY-MM-DD HH:MM, e.g. 2026-12-01 07:00');
    case 'range':
      return trans.__('This date or time does not exist');
    default:
      return null;
  }
}
