/**
 * The server's messages in plain words for the views: without the REST
 * field names they start with (the form shows the message on its field),
 * with job names instead of job ids. Pure functions.
 */
import { nameJobs } from './describe';
import type { IJob } from './tokens';

/** REST field names as words, for the few messages that name one mid-sentence. */
const FIELD_WORDS: Record<string, string> = {
  pipeline_path: 'the file',
  python_code: 'the generated code',
  cwd: 'the working directory',
  run_date: 'the date',
  timezone: 'the time zone',
  cron_expression: 'the cron expression',
  interval_days: 'the number of days',
  interval_hours: 'the number of hours',
  interval_minutes: 'the number of minutes',
  interval_seconds: 'the number of seconds',
  trigger_conditions: 'the jobs to wait for',
  timeout: 'the timeout',
  max_parallel: 'the number of parallel runs',
  arguments: 'the arguments',
  env: 'the environment variables',
  name: 'the name'
};

/** A REST field path at the start of a message (`cron_expression: `, `trigger_conditions.0.job_id: `). */
const FIELD_PREFIX = /^([a-z][a-z_]*(?:\.\d+)?(?:\.[a-z_]+)?):\s+/;

/**
 * A server message in plain words: without its field prefix (the form shows
 * the message on that field), without internal names, capitalized.
 *
 * `cron_expression: invalid cron expression '61 * * * *': the minute field
 * '61' is not valid (values 0-59, …)` → `The minute field '61' is not valid
 * (values 0-59, …)`.
 */
export function plainError(message: string, field?: string | null): string {
  let text = String(message ?? '').trim();
  // The field the message is about, as a prefix: the form shows it already.
  for (let i = 0; i < 2; i++) {
    const prefix = FIELD_PREFIX.exec(text);
    if (!prefix || (!prefix[1].includes('_') && prefix[1] !== field && !(prefix[1] in FIELD_WORDS))) {
      break;
    }
    text = text.slice(prefix[0].length);
  }
  // A field name starting a sentence ("pipeline_path points outside the server root").
  const leading = /^([a-z]+_[a-z_]+|cwd)\b/.exec(text);
  if (leading && FIELD_WORDS[leading[1]]) {
    text = FIELD_WORDS[leading[1]] + text.slice(leading[1].length);
  }
  text = text
    // A field named inside the message (`cannot run: pipeline_path: no such file…`).
    .replace(/(:\s+)[a-z]+_[a-z_]+(?:\.\d+(?:\.[a-z_]+)?)?:\s+/g, '$1')
    // The expression is in the field: say what is wrong with it.
    .replace(/^invalid cron expression '.*?':\s*/i, '')
    .replace(/ for (?:schedule_type|date_type) '[a-z_]+'/g, ' for this schedule')
    .replace(/ \(or python_code\)/g, '')
    .replace(/\b([a-z]+_[a-z_]+)\b/g, name => FIELD_WORDS[name] ?? name);
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/** The jobs that wait for `jobId` (its `trigger` dependents), by name. */
export function dependentsOf<T extends Pick<IJob, 'id' | 'trigger_conditions'>>(
  jobId: string,
  jobs: ReadonlyArray<T>
): T[] {
  return jobs.filter(
    job =>
      job.id !== jobId &&
      Array.isArray(job.trigger_conditions) &&
      job.trigger_conditions.some(condition => condition && condition.job_id === jobId)
  );
}

/** `"a"`, `"a" and "b"`, `"a", "b" and "c"`. */
export function quotedList(names: ReadonlyArray<string>, and = 'and'): string {
  const quoted = names.map(name => `"${name}"`);
  if (quoted.length <= 1) {
    return quoted.join('');
  }
  return `${quoted.slice(0, -1).join(', ')} ${and} ${quoted[quoted.length - 1]}`;
}

/**
 * The ids a conflict message names (`job 51613312e06e is a trigger condition
 * of f70947ff14c6, 0a1b2c3d4e5f; …`) that are known jobs.
 */
export function idsIn(message: string, known: (id: string) => boolean): string[] {
  const ids: string[] = [];
  for (const token of message.match(/[A-Za-z0-9][A-Za-z0-9_.-]*/g) ?? []) {
    const id = token.replace(/[.]+$/, '');
    if (known(id) && !ids.includes(id)) {
      ids.push(id);
    }
  }
  return ids;
}

/** A message with the job ids it names replaced by the jobs' names. */
export function withJobNames(
  message: string,
  names: ReadonlyMap<string, string> | Record<string, string>
): string {
  return nameJobs(message, names);
}
