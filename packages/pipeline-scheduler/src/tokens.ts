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

/** Command ids registered by the extension. */
export namespace CommandIDs {
  export const open = 'pipeline-scheduler:open';
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

/** A summary of one run of a job. */
export interface IRun {
  id: number;
  status: RunStatus;
  /** ISO-8601 timestamp or null when the run has not started. */
  started_at: string | null;
  /** ISO-8601 timestamp or null when the run has not finished. */
  finished_at: string | null;
  /** Duration in seconds, or null. */
  duration: number | null;
  exit_code: number | null;
  [key: string]: unknown;
}

/** A scheduled job. */
export interface IJob {
  id: string;
  name: string;
  pipeline_path: string;
  /** A human-readable description of the trigger, computed by the server. */
  trigger: string;
  schedule_type: string;
  /** ISO-8601 timestamp of the next run, or null when there is none. */
  next_run_time: string | null;
  paused: boolean;
  last_run: IRun | null;
  [key: string]: unknown;
}

/** Response body of `GET jobs`. */
export interface IJobListResponse {
  jobs: IJob[];
}

/** Response body of `GET health`. */
export interface IHealth {
  scheduler_running: boolean;
  jobs: number;
  running_runs: number;
  version: string;
}

/** The body of an error response. */
export interface IErrorBody {
  error?: string;
  field?: string | null;
  /** jupyter_server's own error pages use `message`. */
  message?: string;
}

/** The user settings of the plugin (see schema/plugin.json). */
export interface ISchedulerSettings {
  openAtStartup: boolean;
  /** Seconds between automatic refreshes of the job list; 0 disables it. */
  refreshInterval: number;
}

export const DEFAULT_SETTINGS: ISchedulerSettings = {
  openAtStartup: false,
  refreshInterval: 10
};
