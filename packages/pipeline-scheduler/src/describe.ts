/**
 * Schedules in words. The words come from one source, the server: each job
 * carries them (`trigger`) and `POST triggers/preview` returns them for the
 * schedule being edited, so the UI, the CLI and the API say the same thing.
 * The UI only formats them (the zone apart, job ids as names). Pure functions.
 */
import { hasClock, IJobSummary, IScheduleFields } from './tokens';

/** A zone name as shown (`Etc/UTC` is `UTC`). */
export function displayZone(zone: string | null | undefined): string {
  const name = String(zone ?? '').trim();
  return /^(Etc\/)?(UTC|UCT|Universal|Zulu|GMT)$/i.test(name) ? 'UTC' : name;
}

/** The server's words ending with the zone in parentheses (`Every 5 minutes (UTC)`). */
const ZONE_SUFFIX = /\s*\(((?:[A-Za-z][A-Za-z0-9_+-]*\/)*[A-Za-z][A-Za-z0-9_+-]*)\)$/;

/**
 * The server's words of a schedule without their zone suffix, and the zone
 * (null when the words name none: triggers, on-demand jobs).
 */
export function splitZone(words: string | null | undefined): { words: string; zone: string | null } {
  const text = String(words ?? '').trim();
  const match = ZONE_SUFFIX.exec(text);
  if (!match || !/\/|^(UTC|GMT|UCT|Zulu|Universal)$/i.test(match[1])) {
    return { words: text, zone: null };
  }
  return { words: text.slice(0, match.index).trim(), zone: match[1] };
}

/**
 * Job ids in a text (a trigger's words, an error message) replaced by the
 * jobs' names, in quotes unless `quote` is false (the server's words name
 * jobs without quotes): `job 51613312e06e …` → `job "load" …`.
 */
export function nameJobs(
  text: string,
  names: ReadonlyMap<string, string> | Record<string, string>,
  quote = true
): string {
  const lookup = (id: string): string | undefined =>
    names instanceof Map ? names.get(id) : (names as Record<string, string>)[id];
  return text.replace(/[A-Za-z0-9][A-Za-z0-9_.-]*/g, token => {
    const bare = token.replace(/[.]+$/, '');
    const name = lookup(bare);
    if (name === undefined || name === bare) {
      return token;
    }
    return `${quote ? `"${name}"` : name}${token.slice(bare.length)}`;
  });
}

/** A job's schedule as shown: the server's words, and the zone when it has a clock. */
export function jobWords(job: Pick<IJobSummary, 'trigger' | 'timezone' | 'schedule_type'>): {
  words: string;
  zone: string | null;
} {
  const { words, zone } = splitZone(job.trigger);
  const clock = hasClock(job.schedule_type);
  return {
    words,
    zone: clock ? displayZone(zone ?? job.timezone) || null : null
  };
}

/** The cron fields of the REST API, in crontab order (seconds first when given). */
const CRON_FIELD_NAMES = [
  'second',
  'minute',
  'hour',
  'day',
  'month',
  'day_of_week'
] as const;

/**
 * The crontab expression of the separate cron fields (`minute`, `hour`…), with
 * the server's defaults: `*` above the finest field given, `0` below it.
 */
export function cronFromFields(fields: IScheduleFields): string | null {
  const significance = [
    'month',
    'day',
    'day_of_week',
    'hour',
    'minute',
    'second'
  ] as const;
  const given = significance.filter(
    name => fields[name] !== undefined && fields[name] !== null && fields[name] !== ''
  );
  if (given.length === 0) {
    return null;
  }
  const finest = Math.max(...given.map(name => significance.indexOf(name)));
  const values: Record<string, string> = {};
  significance.forEach((name, index) => {
    const value = fields[name];
    if (value !== undefined && value !== null && value !== '') {
      values[name] = String(value).replace(/\s*,\s*/g, ',').trim();
    } else {
      values[name] =
        index > finest && ['hour', 'minute', 'second'].includes(name) ? '0' : '*';
    }
  });
  return CRON_FIELD_NAMES.map(name => values[name]).join(' ');
}

/** The total of the `interval_*` fields of a schedule, in seconds. */
export function intervalSeconds(fields: IScheduleFields): number {
  return (
    (Number(fields.interval_days) || 0) * 86400 +
    (Number(fields.interval_hours) || 0) * 3600 +
    (Number(fields.interval_minutes) || 0) * 60 +
    (Number(fields.interval_seconds) || 0)
  );
}
