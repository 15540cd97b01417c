/** Minimal jobs and runs for the unit tests: every required field, overridable. */
import { IJob, IRun } from '../src/tokens';

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
