/**
 * Pure formatting helpers: dates in a time zone, durations, relative times.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

/** The browser's IANA time zone (UTC when the browser does not say). */
export function browserTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Every IANA zone the browser knows, with `UTC` first. */
export function timezoneNames(): string[] {
  let names: string[] = [];
  const intl = Intl as unknown as {
    supportedValuesOf?: (key: string) => string[];
  };
  try {
    names = intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    names = [];
  }
  const all = new Set<string>(['UTC', ...names]);
  all.add(browserTimezone());
  return Array.from(all);
}

/** Whether the browser accepts `name` as a time zone. */
export function isValidTimezone(name: string): boolean {
  if (!name) {
    return false;
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock parts of an instant in a zone. */
export interface IWallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const WEEKDAY_INDEX: Record<string, number> = {
  Sun: 0,
  Mon: 1,
  Tue: 2,
  Wed: 3,
  Thu: 4,
  Fri: 5,
  Sat: 6
};

const OFFSET_RE = /(Z|[+-]\d{2}:?\d{2})$/i;
const NAIVE_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

/** Whether an ISO-8601 date-time carries an offset (`Z`, `+02:00`). */
export function hasOffset(iso: string): boolean {
  return OFFSET_RE.test(iso.trim());
}

/**
 * The wall-clock time of an ISO-8601 date-time in `timezone`.
 *
 * A date-time without offset already is a wall time in the job's zone (the
 * server reads it so) and is returned as written.
 */
export function wallTime(iso: string, timezone: string): IWallTime | null {
  const text = iso.trim();
  const naive = NAIVE_RE.exec(text);
  if (naive && !hasOffset(text)) {
    const [year, month, day, hour, minute] = naive
      .slice(1, 6)
      .map(Number) as [number, number, number, number, number];
    const second = naive[6] ? Number(naive[6]) : 0;
    const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
    return { year, month, day, hour, minute, second, weekday };
  }
  const date = new Date(text);
  if (isNaN(date.getTime())) {
    return null;
  }
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone || 'UTC',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short'
    }).formatToParts(date);
  } catch {
    return null;
  }
  const get = (type: string): string =>
    parts.find(part => part.type === type)?.value ?? '0';
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')) % 24,
    minute: Number(get('minute')),
    second: Number(get('second')),
    weekday: WEEKDAY_INDEX[get('weekday')] ?? 0
  };
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * An ISO-8601 date-time as the text of the form's date field, showing its
 * wall time in `timezone`: `YYYY-MM-DD HH:mm` (seconds when not 0), the
 * format the schedule words and the preview use too.
 */
export function toLocalInput(iso: string | null | undefined, timezone: string): string {
  if (!iso) {
    return '';
  }
  const wall = wallTime(iso, timezone);
  if (!wall) {
    return '';
  }
  const base = `${wall.year}-${pad(wall.month)}-${pad(wall.day)} ${pad(wall.hour)}:${pad(wall.minute)}`;
  return wall.second ? `${base}:${pad(wall.second)}` : base;
}

/**
 * The text of the form's date field (`YYYY-MM-DD HH:mm[:ss]`, or with a `T`)
 * as the `run_date` sent to the server: without offset, so that the server
 * reads it in the job's zone. Text that is not such a date is sent as typed
 * (the server says what is wrong with it).
 */
export function fromLocalInput(value: string): string | null {
  const text = value.trim().replace(/\s+/g, ' ');
  if (!text) {
    return null;
  }
  const naive = LOOSE_NAIVE_RE.exec(text);
  if (!naive) {
    return text;
  }
  const [, date, hour, minute, second] = naive;
  return `${date}T${pad(Number(hour))}:${minute}:${second ?? '00'}`;
}

const LOOSE_NAIVE_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Why the text of a date field is not a date and time, or null when it is
 * one (`YYYY-MM-DD HH:mm`, seconds optional).
 */
export function checkLocalInput(value: string): 'format' | 'range' | null {
  const naive = LOOSE_NAIVE_RE.exec(value.trim().replace(/\s+/g, ' '));
  if (!naive) {
    return 'format';
  }
  const [year, month, day] = naive[1].split('-').map(Number);
  const hour = Number(naive[2]);
  const minute = Number(naive[3]);
  const second = naive[4] ? Number(naive[4]) : 0;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return 'range';
  }
  return null;
}

/** `HH:MM` of a wall time. */
export function clock(wall: IWallTime): string {
  return `${pad(wall.hour)}:${pad(wall.minute)}`;
}

/**
 * An instant as the one absolute format of the extension: its wall time in
 * `timezone` (the browser's when not given), on a 24-hour clock, ISO-like
 * (`Tue 2026-12-01 07:00`, `…07:00:05` with seconds). Lists show relative
 * times and this on hover; the run view and the form show it in full.
 */
export function formatDateTime(
  iso: string | null | undefined,
  options: { timezone?: string | null; seconds?: boolean; weekday?: boolean } = {}
): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return iso;
  }
  const zoneName = options.timezone || browserTimezone();
  const wall = wallTime(date.toISOString(), zoneName) ?? wallTime(date.toISOString(), 'UTC');
  if (!wall) {
    return iso;
  }
  let text = `${wall.year}-${pad(wall.month)}-${pad(wall.day)} ${pad(wall.hour)}:${pad(wall.minute)}`;
  if (options.seconds) {
    text += `:${pad(wall.second)}`;
  }
  if (options.weekday !== false) {
    text = `${weekdayShort(date, zoneName)} ${text}`;
  }
  return text;
}

/** The short weekday name of an instant in a zone, in the user's language (`Tue`). */
function weekdayShort(date: Date, timezone: string): string {
  try {
    return date.toLocaleDateString(undefined, { weekday: 'short', timeZone: timezone });
  } catch {
    return date.toLocaleDateString(undefined, { weekday: 'short' });
  }
}

/**
 * An absolute time and, when `timezone` is not the browser's, its zone:
 * the hover text of relative times.
 */
export function formatDateTimeInZone(
  iso: string | null | undefined,
  timezone: string | null | undefined,
  seconds = true
): string {
  const text = formatDateTime(iso, { timezone, seconds });
  if (!text || !timezone || timezone === browserTimezone()) {
    return text;
  }
  return `${text} (${timezone})`;
}

/** A duration in seconds, compactly (`850 ms`, `12.3 s`, `4 min 5 s`, `2 h 3 min`). */
export function formatDuration(
  seconds: number | null | undefined,
  trans: TranslationBundle
): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '';
  }
  if (seconds < 1) {
    return trans.__('%1 ms', Math.round(seconds * 1000));
  }
  if (seconds < 60) {
    return trans.__('%1 s', Math.round(seconds * 10) / 10);
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return trans.__('%1 min %2 s', minutes, Math.round(seconds % 60));
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return trans.__('%1 h %2 min', hours, minutes % 60);
  }
  return trans.__('%1 d %2 h', Math.floor(hours / 24), hours % 24);
}

/** POSIX signal names of the codes a run is usually ended by. */
const SIGNAL_NAMES: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  6: 'SIGABRT',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  15: 'SIGTERM'
};

/**
 * A run's exit code; a negative one (the server's convention for "ended by
 * signal N") is named: `-15` → `-15 (SIGTERM)`.
 */
export function formatExitCode(
  code: number | null | undefined,
  trans: TranslationBundle
): string {
  if (code === null || code === undefined) {
    return '';
  }
  if (code >= 0) {
    return String(code);
  }
  const name = SIGNAL_NAMES[-code];
  return name
    ? trans.__('%1 (%2)', code, name)
    : trans.__('%1 (signal %2)', code, -code);
}

/** How far an instant is from `now`, in words (`in 5 min`, `3 h ago`). */
export function formatRelative(
  iso: string | null | undefined,
  trans: TranslationBundle,
  now: number = Date.now()
): string {
  if (!iso) {
    return '';
  }
  const time = new Date(iso).getTime();
  if (isNaN(time)) {
    return '';
  }
  const delta = (time - now) / 1000;
  const future = delta >= 0;
  const span = Math.abs(delta);
  let amount: string;
  if (span < 45) {
    return future ? trans.__('in a few seconds') : trans.__('just now');
  } else if (span < 3600) {
    amount = trans.__('%1 min', Math.round(span / 60));
  } else if (span < 86400) {
    amount = trans.__('%1 h', Math.round(span / 3600));
  } else {
    amount = trans._n('%1 day', '%1 days', Math.round(span / 86400));
  }
  return future ? trans.__('in %1', amount) : trans.__('%1 ago', amount);
}

/** The last `lines` non-empty lines of a text. */
export function tail(text: string | null | undefined, lines = 3): string {
  if (!text) {
    return '';
  }
  const all = text.replace(/\s+$/, '').split('\n');
  return all.slice(-lines).join('\n');
}

/**
 * A path as its folder part (with its trailing `/`) and its file name, so that
 * a view can elide the folders and keep the file name in sight.
 */
export function splitPath(path: string): { dir: string; base: string } {
  const slash = path.lastIndexOf('/');
  return slash === -1
    ? { dir: '', base: path }
    : { dir: path.slice(0, slash + 1), base: path.slice(slash + 1) };
}

/** A size in bytes, in decimal units (`850 B`, `12 kB`, `3.4 MB`, `1.2 GB`). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const rounded = unit === 0 || value >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${rounded} ${units[unit]}`;
}
