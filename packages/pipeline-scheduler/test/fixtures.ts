/** Minimal jobs and runs for the unit tests: every required field, overridable. */
import { IJob, IJobSummary, IRun, JOB_SUMMARY_FIELDS } from '../src/tokens';

export function job(id: string, fields: Partial<IJob> = {}): IJob {
  return {
    id,
    name: id,
    pipeline_path: `${id}.py`,
    trigger: '',
    schedule_type: 'cron',
    timezone: 'UTC',
    next_run_time: null,
    paused: false,
    last_run: null,
    ...fields
  } as IJob;
}

/**
 * A broken job whose stored definition cannot be read: the server sends little
 * more than its identity and the reason.
 */
export function unreadableJob(id: string, fields: Partial<IJob> = {}): IJob {
  return {
    id,
    name: 'corrupt',
    kind: 'python_file',
    trigger: 'unknown',
    timezone: 'UTC',
    paused: false,
    created_at: '2030-01-01T00:00:00+00:00',
    updated_at: '2030-01-01T00:00:00+00:00',
    next_run_time: null,
    last_run: null,
    broken:
      'cannot be scheduled: its stored definition is not valid JSON; fix it with PUT or delete it',
    ...fields
  } as unknown as IJob;
}

export function run(id: number, fields: Partial<IRun> = {}): IRun {
  return {
    id,
    job_id: 'a',
    job_name: 'a',
    status: 'success',
    started_at: null,
    finished_at: null,
    duration: null,
    exit_code: null,
    ...fields
  };
}

/** Whether the server leaves a value out of the job list (null, false, 0, "", [], {}). */
function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) {
    return value.length === 0;
  }
  if (value && typeof value === 'object') {
    return Object.keys(value).length === 0;
  }
  return !value;
}

/** A job as `GET jobs?fields=…` sends it: the fields the panel reads, without the empty ones. */
export function summaryOf(whole: IJob): IJobSummary {
  const fields: ReadonlyArray<string> = JOB_SUMMARY_FIELDS;
  return Object.fromEntries(
    Object.entries(whole).filter(([key, value]) => fields.includes(key) && !isEmpty(value))
  ) as IJobSummary;
}
