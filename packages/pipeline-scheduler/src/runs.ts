/**
 * What the views say about runs: the one-line reason a run failed, attempts
 * of one run grouped together. Pure functions.
 */
import { stripAnsi } from './ansi';
import { plainError } from './messages';
import type { IJob, IRun } from './tokens';

/** Statuses that mean the run went wrong. */
export const FAILED_STATUSES: ReadonlySet<string> = new Set(['failure', 'timed_out', 'interrupted']);

/** Whether a run went wrong. */
export function isFailed(status: string | null | undefined): boolean {
  return !!status && FAILED_STATUSES.has(status);
}

/** Log lines that say something about the run, not why it failed. */
const NOISE = [
  /^executed notebook saved to /i,
  /^-{3,}$/,
  /^\s*$/,
  /^Traceback \(most recent call last\):?$/
];

/** A Python exception line: `ValueError: bad input`, `pkg.mod.Error`, `KeyboardInterrupt`. */
const EXCEPTION_LINE =
  /^(?:[A-Za-z_][\w]*\.)*(?:[A-Z][\w]*(?:Error|Exception|Exit|Interrupt|Warning|Failure|Fault)|Exception|BaseException)(?::\s.*|:?$)/;

/** The server's generic reason for a non-zero exit (`exited with code 1`). */
const GENERIC_ERROR = /^exited with code -?\d+$/i;

/**
 * The line of a log that says why the run failed: the last exception line
 * of a traceback when there is one, else the last line that is not noise
 * (`executed notebook saved to …`). ANSI colours are stripped.
 */
export function errorLine(output: string | null | undefined): string {
  if (!output) {
    return '';
  }
  const lines = stripAnsi(output)
    .split('\n')
    .map(line => line.replace(/\s+$/, ''));
  for (let i = lines.length - 1; i >= 0; i--) {
    if (EXCEPTION_LINE.test(lines[i].trim())) {
      return lines[i].trim();
    }
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!NOISE.some(pattern => pattern.test(line))) {
      return line;
    }
  }
  return '';
}

/**
 * Why a run failed, in a line or two: the server's reason when it says more
 * than "exited with code N" (a timeout, a missing file), and the error line
 * of its log.
 */
export function failureSummary(run: Pick<IRun, 'error' | 'output'>): string {
  const error = plainError(stripAnsi(String(run.error ?? '')).trim());
  const line = errorLine(run.output);
  const parts: string[] = [];
  if (error && !GENERIC_ERROR.test(error)) {
    parts.push(error);
  }
  if (line && !parts.some(part => part.includes(line))) {
    parts.push(line);
  }
  if (parts.length === 0 && error) {
    parts.push(error);
  }
  return parts.join('\n');
}

/** The id of the first attempt of a run (itself when it is not a retry). */
export function firstAttemptId(run: Pick<IRun, 'id' | 'retry_of'>): number {
  const first = run.retry_of;
  return typeof first === 'number' && Number.isFinite(first) ? first : run.id;
}

/** Whether a run is one of several attempts (a retry, or a first attempt that was retried). */
export function hasAttempts(run: Pick<IRun, 'attempt' | 'retry_of'>): boolean {
  return (typeof run.attempt === 'number' && run.attempt > 1) || typeof run.retry_of === 'number';
}

/**
 * How many attempts a run may get: the job's `retries` + 1, or null when the
 * job does not say.
 */
export function attemptsAllowed(job: Pick<IJob, 'retries'> | null | undefined): number | null {
  const retries = job?.retries;
  return typeof retries === 'number' && Number.isFinite(retries) && retries >= 0 ? retries + 1 : null;
}

/** A run with the earlier attempts of the same run (newest first). */
export interface IRunGroup {
  run: IRun;
  earlier: IRun[];
}

/**
 * Runs (newest first) with the attempts of one run together: each group
 * sits where its newest attempt is, its earlier attempts below it.
 */
export function groupAttempts(runs: ReadonlyArray<IRun>): IRunGroup[] {
  const groups: IRunGroup[] = [];
  const byFirst = new Map<number, IRunGroup>();
  for (const run of runs) {
    const first = firstAttemptId(run);
    const group = byFirst.get(first);
    if (group) {
      group.earlier.push(run);
    } else {
      const created: IRunGroup = { run, earlier: [] };
      byFirst.set(first, created);
      groups.push(created);
    }
  }
  return groups;
}

/** Job names by id of the runs whose job is not in `known` (deleted jobs), by name. */
export function formerJobs(
  runs: ReadonlyArray<Pick<IRun, 'job_id' | 'job_name'>>,
  known: (id: string) => boolean
): Array<[string, string]> {
  const names = new Map<string, string>();
  for (const run of runs) {
    if (run.job_id && !known(run.job_id) && !names.has(run.job_id)) {
      names.set(run.job_id, run.job_name || run.job_id);
    }
  }
  return Array.from(names.entries()).sort((a, b) => a[1].localeCompare(b[1]));
}
