/**
 * Filtering and sorting of the job list (pure).
 */
import { IJob, IJobSummary, IRun, isActive } from './tokens';

/** The status filter of the job list. */
export type JobStatusFilter =
  | 'all'
  | 'scheduled'
  | 'paused'
  | 'running'
  | 'failed'
  | 'succeeded'
  | 'never'
  | 'broken';

/** The orders of the job list. */
export type JobSort = 'name' | 'next' | 'last' | 'created';

const FAILED = new Set(['failure', 'timed_out', 'interrupted']);

/** Whether a job is broken (`broken` carries the reason). */
export function isBroken(job: Pick<IJob, 'broken'>): boolean {
  return typeof job.broken === 'string' ? job.broken.length > 0 : !!job.broken;
}

/** Whether a job passes the status filter. */
export function matchesStatus(job: IJobSummary, status: JobStatusFilter): boolean {
  const last = job.last_run?.status;
  switch (status) {
    case 'scheduled':
      return !job.paused;
    case 'paused':
      return !!job.paused;
    case 'running':
      return isActive(last);
    case 'failed':
      return !!last && FAILED.has(last);
    case 'succeeded':
      return last === 'success';
    case 'never':
      return !job.last_run;
    case 'broken':
      return isBroken(job);
    case 'all':
    default:
      return true;
  }
}

/** Whether a job matches a search text (name, file or id; case-insensitive). */
export function matchesSearch(job: IJobSummary, search: string): boolean {
  const query = search.trim().toLowerCase();
  if (!query) {
    return true;
  }
  return (
    String(job.name ?? '').toLowerCase().includes(query) ||
    String(job.pipeline_path ?? '').toLowerCase().includes(query) ||
    String(job.id ?? '').toLowerCase() === query
  );
}

let sharedCollator: Intl.Collator | null = null;

/** One collator for every comparison (`localeCompare` with options builds one per call). */
function collator(): Intl.Collator {
  if (!sharedCollator) {
    sharedCollator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  }
  return sharedCollator;
}

function time(iso: string | null | undefined): number {
  const value = iso ? new Date(iso).getTime() : NaN;
  return isNaN(value) ? NaN : value;
}

/**
 * The jobs that pass the filters, in the chosen order. `jobs` are in the
 * server's order (oldest first), which the "created" order reverses.
 */
export function filterJobs<T extends IJobSummary>(
  jobs: ReadonlyArray<T>,
  options: { search?: string; status?: JobStatusFilter; sort?: JobSort }
): T[] {
  const status = options.status ?? 'all';
  const result = jobs.filter(
    job => matchesStatus(job, status) && matchesSearch(job, options.search ?? '')
  );
  const byName = (a: IJobSummary, b: IJobSummary): number =>
    collator().compare(String(a.name ?? ''), String(b.name ?? '')) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  switch (options.sort ?? 'name') {
    case 'next':
      return result.sort((a, b) => {
        const ta = time(a.next_run_time);
        const tb = time(b.next_run_time);
        if (isNaN(ta) || isNaN(tb)) {
          return isNaN(ta) === isNaN(tb) ? byName(a, b) : isNaN(ta) ? 1 : -1;
        }
        return ta - tb || byName(a, b);
      });
    case 'last':
      return result.sort((a, b) => {
        const ra = a.last_run?.id ?? -1;
        const rb = b.last_run?.id ?? -1;
        return rb - ra || byName(a, b);
      });
    case 'created':
      return result.reverse();
    case 'name':
    default:
      return result.sort(byName);
  }
}

/** Whether a run passes the filters of the run list. */
export function runMatches(
  run: IRun,
  filters: { jobId?: string | null; status?: string | null }
): boolean {
  return (
    (!filters.jobId || run.job_id === filters.jobId) &&
    (!filters.status || run.status === filters.status)
  );
}

/**
 * Merge a changed run into a list sorted newest first: replaced when known,
 * inserted at its place when it matches the filters.
 */
export function mergeRun(
  runs: ReadonlyArray<IRun>,
  run: IRun,
  filters: { jobId?: string | null; status?: string | null }
): IRun[] {
  const index = runs.findIndex(item => item.id === run.id);
  const matches = runMatches(run, filters);
  if (index !== -1) {
    const next = runs.slice();
    if (matches) {
      next[index] = { ...runs[index], ...run };
    } else {
      next.splice(index, 1);
    }
    return next;
  }
  if (!matches) {
    return runs as IRun[];
  }
  const oldest = runs.length ? runs[runs.length - 1].id : -Infinity;
  if (runs.length && run.id < oldest) {
    return runs as IRun[]; // older than the loaded page: it will come with "load more"
  }
  const next = runs.slice();
  const at = next.findIndex(item => item.id < run.id);
  next.splice(at === -1 ? next.length : at, 0, run);
  return next;
}
