/**
 * Schedules in words: cron through `cronstrue`, the other trigger types in
 * plain language. Pure functions (no DOM, no server).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import cronstrue from 'cronstrue';

import { clock, formatDate, wallTime } from './format';
import type { IJob, IScheduleFields } from './tokens';

/** The result of explaining a cron expression. */
export interface ICronWords {
  /** The explanation, or null when the expression is invalid. */
  text: string | null;
  /** Why the expression is invalid, or null. */
  error: string | null;
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
 * A cron expression in words (cron `day_of_week` 0 and 7 are Sunday, as on
 * the server). Five fields are `m h dom mon dow`; six have seconds first.
 */
export function describeCron(
  expression: string,
  trans: TranslationBundle,
  locale?: string
): ICronWords {
  const text = expression.trim().replace(/\s+/g, ' ');
  if (!text) {
    return { text: null, error: trans.__('Enter a cron expression') };
  }
  const count = text.split(' ').length;
  if (count !== 5 && count !== 6) {
    return {
      text: null,
      error: trans.__(
        'Expected 5 fields (minute hour day month weekday) or 6 with seconds first; got %1',
        count
      )
    };
  }
  try {
    const words = cronstrue.toString(text, {
      use24HourTimeFormat: true,
      throwExceptionOnParseError: true,
      dayOfWeekStartIndexZero: true,
      ...(locale ? { locale } : {})
    });
    return { text: words, error: null };
  } catch (reason) {
    const message = String(
      reason instanceof Error ? reason.message : reason
    ).replace(/^Error:\s*/, '');
    return { text: null, error: message };
  }
}

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

/** An interval in words, largest units first (`1 hour 30 minutes`). */
export function describeDuration(
  totalSeconds: number,
  trans: TranslationBundle
): string {
  let remaining = Math.round(totalSeconds);
  const words: string[] = [];
  const units: Array<[number, (n: number) => string]> = [
    [86400, n => trans._n('%1 day', '%1 days', n)],
    [3600, n => trans._n('%1 hour', '%1 hours', n)],
    [60, n => trans._n('%1 minute', '%1 minutes', n)],
    [1, n => trans._n('%1 second', '%1 seconds', n)]
  ];
  for (const [size, word] of units) {
    const amount = Math.floor(remaining / size);
    remaining -= amount * size;
    if (amount) {
      words.push(word(amount));
    }
  }
  return words.join(' ') || trans._n('%1 second', '%1 seconds', 0);
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

/** Weekday names, Sunday first (crontab numbering). */
export function weekdayName(index: number, trans: TranslationBundle): string {
  return [
    trans.__('Sunday'),
    trans.__('Monday'),
    trans.__('Tuesday'),
    trans.__('Wednesday'),
    trans.__('Thursday'),
    trans.__('Friday'),
    trans.__('Saturday')
  ][((index % 7) + 7) % 7];
}

/**
 * A schedule in words.
 *
 * @param fields - The schedule fields of a job or of the job form.
 * @param jobNames - Names of the jobs a `trigger` schedule waits on, by id.
 * @returns The words, or null when the fields do not describe a schedule yet.
 */
export function describeSchedule(
  fields: IScheduleFields,
  trans: TranslationBundle,
  jobNames: ReadonlyMap<string, string> | Record<string, string> = {}
): string | null {
  const timezone = fields.timezone || 'UTC';
  switch (fields.schedule_type ?? 'date') {
    case 'cron': {
      const expression = fields.cron_expression || cronFromFields(fields);
      if (!expression) {
        return null;
      }
      return describeCron(expression, trans).text;
    }
    case 'interval': {
      const seconds = intervalSeconds(fields);
      if (seconds <= 0) {
        return null;
      }
      const every = trans.__('Every %1', describeDuration(seconds, trans));
      if (fields.run_date) {
        return trans.__(
          '%1, starting %2',
          every,
          formatDate(fields.run_date, timezone)
        );
      }
      return every;
    }
    case 'trigger': {
      const conditions = fields.trigger_conditions ?? [];
      if (conditions.length === 0) {
        return null;
      }
      const name = (id: string): string =>
        (jobNames instanceof Map
          ? jobNames.get(id)
          : (jobNames as Record<string, string>)[id]) ?? id;
      const parts = conditions.map(condition =>
        condition.on === 'failure'
          ? trans.__('"%1" fails', name(condition.job_id))
          : trans.__('"%1" succeeds', name(condition.job_id))
      );
      const joined =
        fields.logical_operator === 'OR'
          ? parts.join(trans.__(' or '))
          : parts.join(trans.__(' and '));
      return trans.__('After %1', joined);
    }
    case 'date':
    default:
      return describeDate(fields, trans, timezone);
  }
}

function describeDate(
  fields: IScheduleFields,
  trans: TranslationBundle,
  timezone: string
): string | null {
  const dateType = fields.date_type ?? 'once';
  if (dateType === 'every_x_days') {
    const days = Number(fields.interval_days);
    if (!days || days <= 0) {
      return null;
    }
    const every =
      days === 1 ? trans.__('Every day') : trans.__('Every %1 days', days);
    const wall = fields.run_date ? wallTime(fields.run_date, timezone) : null;
    return wall ? trans.__('%1 at %2', every, clock(wall)) : every;
  }
  if (!fields.run_date) {
    return null;
  }
  const wall = wallTime(fields.run_date, timezone);
  if (!wall) {
    return null;
  }
  switch (dateType) {
    case 'daily':
      return trans.__('Every day at %1', clock(wall));
    case 'weekly':
      return trans.__(
        'Every %1 at %2',
        weekdayName(wall.weekday, trans),
        clock(wall)
      );
    case 'monthly':
      return fields.last_day_of_month
        ? trans.__('Every month on the last day at %1', clock(wall))
        : trans.__('Every month on day %1 at %2', wall.day, clock(wall));
    case 'once':
    default: {
      const pad = (n: number): string => String(n).padStart(2, '0');
      return trans.__(
        'Once, on %1 at %2',
        `${wall.year}-${pad(wall.month)}-${pad(wall.day)}`,
        clock(wall)
      );
    }
  }
}

/**
 * A job's trigger in words: ours when the fields allow it, else the server's
 * own description.
 */
export function describeJob(
  job: IJob,
  trans: TranslationBundle,
  jobNames: ReadonlyMap<string, string> | Record<string, string> = {}
): string {
  let words: string | null = null;
  try {
    words = describeSchedule(job, trans, jobNames);
  } catch {
    words = null;
  }
  return words || String(job.trigger ?? '').replace(/\s*\([^)]*\)$/, '');
}
