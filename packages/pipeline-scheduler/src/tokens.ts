/**
 * Shared identifiers and the types of the pipeline-scheduler REST API.
 */

/** The id of the frontend plugin (also the settings schema id). */
export const PLUGIN_ID = '@amphi/pipeline-scheduler:plugin';

/** The id of the left-sidebar panel. */
export const PANEL_ID = 'pipeline-scheduler-panel';

/** The gettext domain used for every user-facing string. */
export const TRANSLATION_DOMAIN = 'amphi_scheduler';

/** The server extension's URL namespace, relative to the server base URL. */
export const API_NAMESPACE = 'pipeline-scheduler';

/** The command that turns an Amphi `.ampln` pipeline into Python code. */
export const GENERATE_CODE_COMMAND = 'pipeline-editor:generate-code';

/** Command ids registered by the extension. */
export namespace CommandIDs {
  /** Open (activate) the side panel. */
  export const open = 'pipeline-scheduler:open';
  /** Open the job form for a new job; `path` prefills the target. */
  export const newJob = 'pipeline-scheduler:new-job';
  /** "Schedule…" on the file(s) selected in the file browser. */
  export const scheduleFile = 'pipeline-scheduler:schedule-file';
  /** "Schedule" the document of the current main-area widget (notebook toolbar). */
  export const scheduleCurrent = 'pipeline-scheduler:schedule-current';
  /** Open the job form on an existing job (`id`). */
  export const editJob = 'pipeline-scheduler:edit-job';
  /** Open the run view of a run (`id`). */
  export const openRun = 'pipeline-scheduler:open-run';
  /** Show the runs of a job (`id`; all jobs without it) in the panel. */
  export const showRuns = 'pipeline-scheduler:show-runs';
  /** Reload the job list (and the runs, on the Runs tab). */
  export const refresh = 'pipeline-scheduler:refresh';
  /** Run a job now (`id`). */
  export const runJob = 'pipeline-scheduler:run-job';
  /** Pause or resume a job (`id`). */
  export const togglePause = 'pipeline-scheduler:toggle-pause-job';
  /** Open the form for a copy of a job (`id`). */
  export const duplicateJob = 'pipeline-scheduler:duplicate-job';
  /** Delete a job, after confirmation (`id`). */
  export const deleteJob = 'pipeline-scheduler:delete-job';
}

/** File suffixes the scheduler can run. */
export const SUPPORTED_SUFFIXES = ['.py', '.ipynb', '.ampln'];

/** Whether a path names a file kind the scheduler runs. */
export function isSupportedPath(path: string): boolean {
  const lower = path.toLowerCase();
  return SUPPORTED_SUFFIXES.some(suffix => lower.endsWith(suffix));
}

/** Whether a path names an Amphi pipeline (run from generated code). */
export function isPipelinePath(path: string | null | undefined): boolean {
  return !!path && path.toLowerCase().endsWith('.ampln');
}

/** The status of a run, as reported by the server. */
export type RunStatus =
  | 'success'
  | 'failure'
  | 'queued'
  | 'running'
  | 'timed_out'
  | 'cancelled'
  | 'interrupted'
  | 'skipped';

/** Statuses of a run that has not ended yet. */
export const ACTIVE_STATUSES: ReadonlyArray<RunStatus> = ['queued', 'running'];

/** Every run status, in the order filters list them. */
export const RUN_STATUSES: ReadonlyArray<RunStatus> = [
  'queued',
  'running',
  'success',
  'failure',
  'timed_out',
  'cancelled',
  'interrupted',
  'skipped'
];

/** Whether a run has not ended yet. */
export function isActive(status: RunStatus | string | null | undefined): boolean {
  return status === 'queued' || status === 'running';
}

/** Who started a run. */
export type TriggeredBy = 'schedule' | 'manual' | 'trigger' | 'api';

/** The compact last run kept on a job (`job.last_run`). */
export interface IRunSummary {
  id: number;
  execution_id?: string;
  status: RunStatus;
  triggered_by?: TriggeredBy | string;
  /** ISO-8601 timestamp or null when the run has not started. */
  started_at: string | null;
  /** ISO-8601 timestamp or null when the run has not finished. */
  finished_at: string | null;
  /** Duration in seconds, or null. */
  duration: number | null;
  exit_code: number | null;
}

/** A run of a job. */
export interface IRun extends IRunSummary {
  job_id: string;
  job_name: string;
  /** The last 8 KiB of the log. */
  output?: string;
  /** Why the run failed, timed out, was skipped or cancelled. */
  error?: string | null;
  scheduled_for?: string | null;
  queued_at?: string | null;
  pid?: number | null;
  log_path?: string | null;
  /** Which attempt of the run this is (1-based), when the server retries runs. */
  attempt?: number | null;
  /** The id of the run's first attempt, when this one is a retry. */
  retry_of?: number | null;
  /** Bytes dropped from the middle of the log (it grew past its limit); null: whole. */
  log_truncated?: number | null;
  /** Why the notification of the run's end could not be sent. */
  notification_error?: string | null;
  /** What the run started with that its reader should know (e.g. code older than its pipeline). */
  warning?: string | null;
  [key: string]: unknown;
}

/** The schedule types of the REST API (`manual`: on demand only, no clock). */
export type ScheduleType = 'date' | 'interval' | 'cron' | 'trigger' | 'manual';

/** Whether a schedule type has a clock (fire times, a zone, missed runs). */
export function hasClock(type: ScheduleType | string | null | undefined): boolean {
  return type !== 'trigger' && type !== 'manual';
}

/** The kinds of `date` schedules. */
export type DateType = 'once' | 'daily' | 'weekly' | 'monthly' | 'every_x_days';

/** What happens when a run is due while another one is active. */
export type OverlapPolicy = 'skip' | 'queue' | 'parallel';

/** What happens to fires missed while the server was down. */
export type CatchUpPolicy = 'run_once' | 'skip';

/** One condition of a `trigger` job. */
export interface ITriggerCondition {
  job_id: string;
  on: 'success' | 'failure';
}

/** The schedule fields of a job, as sent to and echoed by the server. */
export interface IScheduleFields {
  schedule_type?: ScheduleType;
  date_type?: DateType;
  run_date?: string | null;
  /**
   * `date_type: "monthly"` only: fire on the last day of every month (at
   * `run_date`'s time) instead of on `run_date`'s day.
   */
  last_day_of_month?: boolean | null;
  interval_days?: number | null;
  interval_hours?: number | null;
  interval_minutes?: number | null;
  interval_seconds?: number | null;
  cron_expression?: string | null;
  second?: string | null;
  minute?: string | null;
  hour?: string | null;
  day?: string | null;
  month?: string | null;
  day_of_week?: string | null;
  trigger_conditions?: ITriggerCondition[] | null;
  logical_operator?: 'AND' | 'OR';
  timezone?: string | null;
}

/** A job payload (`POST jobs`, `PUT jobs/{id}`). */
export interface IJobPayload extends IScheduleFields {
  id?: string;
  name?: string | null;
  pipeline_path?: string | null;
  python_code?: string | null;
  arguments?: string[] | string;
  env?: Record<string, string>;
  cwd?: string | null;
  timeout?: number | null;
  overlap_policy?: OverlapPolicy;
  max_parallel?: number;
  catch_up?: CatchUpPolicy;
  paused?: boolean;
  /** Extra attempts after a failed run (shown when the server sends it). */
  retries?: number | null;
  /** Seconds between attempts. */
  retry_delay?: number | null;
  /** Which outcomes are retried. */
  retry_on?: string[] | string | null;
  /** Whether processes a run leaves behind are ended. */
  kill_leftovers?: boolean | null;
  /** Where the end of a run is notified. */
  notify?: unknown;
  /** Notebook jobs: parameters injected after the `parameters` cell. */
  parameters?: Record<string, unknown> | null;
  /** Notebook jobs: the kernelspec (default: the notebook's). */
  kernel_name?: string | null;
  /** Notebook jobs: keep an HTML export of each run. */
  html_export?: boolean;
}

/**
 * A scheduled job.
 *
 * A broken job whose stored definition cannot be read may come with little
 * more than its id, name, kind, trigger, zone, paused, dates, next run time
 * and last run: every other field may be missing.
 */
export interface IJob extends IJobPayload {
  id: string;
  name: string;
  /** The executor that runs it: `python_file`, `python_code`, `notebook`… */
  kind?: string;
  pipeline_path?: string | null;
  /** A human-readable description of the trigger, computed by the server. */
  trigger: string;
  schedule_type?: ScheduleType;
  timezone: string;
  /** ISO-8601 timestamp of the next run, or null when there is none. */
  next_run_time: string | null;
  paused: boolean;
  created_at?: string;
  updated_at?: string;
  last_run: IRunSummary | null;
  /**
   * Why the job is broken; absent when it is fine. `cannot be scheduled: …`
   * (it never fires until saved again with `PUT`) or `cannot run: …` (its
   * target is missing: it still fires, and its runs fail saying why).
   */
  broken?: string;
  /** Jobs whose code was generated from an `.ampln` pipeline: whether the pipeline changed since. */
  code_stale?: boolean;
  /** Jobs whose code was generated from an `.ampln` pipeline: when it was. */
  code_generated_at?: string;
  [key: string]: unknown;
}

/**
 * The fields of a job the panel reads from the job list: its cards (name,
 * file, kind, schedule words and zone, next and last run, paused, broken,
 * out-of-date code), filters and orders, the jobs a pipeline save
 * regenerates, the jobs that wait on a job (deleting it), the attempts of
 * its runs. The panel asks for these only (`GET jobs?fields=…`); the job
 * form and "Run with other parameters" read the whole job (`GET jobs/{id}`).
 * The "created" order is the list's own (the server lists jobs oldest first).
 */
export const JOB_SUMMARY_FIELDS = [
  'id',
  'name',
  'kind',
  'pipeline_path',
  'schedule_type',
  'trigger',
  'timezone',
  'paused',
  'next_run_time',
  'last_run',
  'broken',
  'code_stale',
  'code_generated_at',
  'trigger_conditions',
  'retries'
] as const;

/**
 * A job as the job list has it (see {@link JOB_SUMMARY_FIELDS}): the server
 * leaves out empty values (null, false, 0, "", [], {}), so any field but the
 * id may be missing and reads as empty.
 */
export type IJobSummary = Pick<IJob, 'id'> & Partial<Pick<IJob, (typeof JOB_SUMMARY_FIELDS)[number]>>;

/** Response body of `GET jobs?fields=…` with {@link JOB_SUMMARY_FIELDS}. */
export interface IJobSummaryListResponse {
  jobs: IJobSummary[];
}

/** Response body of `GET runs`. */
export interface IRunListResponse {
  runs: IRun[];
}

/** Response body of `POST triggers/preview`. */
export interface IPreview {
  trigger: string;
  timezone: string;
  next_run_times: string[];
}

/** The server that fires scheduled jobs (holds the dispatcher lease). */
export interface IDispatcher {
  server_id: string;
  /** Null when the holder of the lease is not registered (any more). */
  host: string | null;
  pid: number | null;
  /** Since when it dispatches (seconds since the epoch). */
  since: number | string | null;
  /** Whether it is the server that answered. */
  this_server: boolean;
}

/** Response body of `GET health`. */
export interface IHealth {
  /** Whether some server fires scheduled jobs (`dispatcher` is not null). */
  scheduler_running: boolean;
  /** Whether the server that answered fires scheduled jobs. */
  dispatching?: boolean;
  /** The server that fires scheduled jobs; null: none does (fires are missed). */
  dispatcher?: IDispatcher | null;
  /** How many servers share the database. */
  servers?: number;
  /** The id of the server that answered. */
  server_id?: string;
  jobs: number;
  /** How many jobs are broken (see `IJob.broken`). */
  broken_jobs?: number;
  /** Jobs whose stored trigger could not be read and was rebuilt, since the server started. */
  repaired_jobs?: { id: string; problem: string; at: string }[];
  running_runs: number;
  queued_runs?: number;
  started_at?: string | null;
  version: string;
}

/** Response body of `GET config` (the parts the UI reads). */
export interface IServerConfig {
  timezone?: string;
  /** Seconds; null or 0: no timeout. */
  default_timeout?: number | null;
  [key: string]: unknown;
}

/** The body of an error response. */
export interface IErrorBody {
  error?: string;
  field?: string | null;
  /** jupyter_server's own error pages use `message`. */
  message?: string;
}

/** A chunk of a run's log (`GET runs/{id}/log`). */
export interface ILogChunk {
  text: string;
  nextOffset: number;
  status: RunStatus | string;
}

/** A change announced by `GET events`. */
export type SchedulerEvent =
  | { type: 'run'; run: IRun }
  | { type: 'job'; id: string; action: 'created' | 'updated' | 'deleted' };

/** The user settings of the plugin (see schema/plugin.json). */
export interface ISchedulerSettings {
  /** IANA zone of new jobs; empty: the browser's zone. */
  defaultTimezone: string;
  /** Timeout (seconds) prefilled in new jobs; 0: none. */
  defaultTimeout: number;
  openAtStartup: boolean;
  /**
   * Seconds between refreshes of the job list when the live event stream is
   * unavailable; 0 disables polling.
   */
  refreshInterval: number;
}

export const DEFAULT_SETTINGS: ISchedulerSettings = {
  defaultTimezone: '',
  defaultTimeout: 0,
  openAtStartup: false,
  refreshInterval: 10
};
