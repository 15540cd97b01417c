import { nullTranslator } from '@jupyterlab/translation';

import {
  checkLocalInput,
  formatBytes,
  formatDateTime,
  formatDateTimeInZone,
  formatDuration,
  formatExitCode,
  formatRelative,
  fromLocalInput,
  hasOffset,
  isValidTimezone,
  tail,
  timezoneNames,
  toLocalInput,
  wallTime
} from '../src/format';

const trans = nullTranslator.load('test');

describe('wall times', () => {
  it('reads offsets in the zone and keeps naive times as written', () => {
    expect(wallTime('2030-07-01T12:00:00Z', 'America/New_York')).toMatchObject({
      year: 2030,
      month: 7,
      day: 1,
      hour: 8,
      minute: 0,
      weekday: 1
    });
    expect(wallTime('2030-07-01T12:00:00', 'America/New_York')).toMatchObject({ hour: 12, weekday: 1 });
    expect(wallTime('not a date', 'UTC')).toBeNull();
    expect(hasOffset('2030-01-01T00:00:00+05:30')).toBe(true);
    expect(hasOffset('2030-01-01T00:00:00')).toBe(false);
  });

  it('converts to and from the text of the date field (YYYY-MM-DD HH:MM)', () => {
    expect(toLocalInput('2030-01-01T23:30:00-01:00', 'UTC')).toBe('2030-01-02 00:30');
    expect(toLocalInput('2030-01-01T10:00:07', 'UTC')).toBe('2030-01-01 10:00:07');
    expect(toLocalInput(null, 'UTC')).toBe('');
    expect(fromLocalInput('2030-01-01T10:00')).toBe('2030-01-01T10:00:00');
    expect(fromLocalInput('2030-01-01 10:00')).toBe('2030-01-01T10:00:00');
    expect(fromLocalInput(' 2030-01-01   9:05 ')).toBe('2030-01-01T09:05:00');
    expect(fromLocalInput('2030-01-01T10:00:05')).toBe('2030-01-01T10:00:05');
    expect(fromLocalInput('next monday')).toBe('next monday');
    expect(fromLocalInput(' ')).toBeNull();
  });

  it('checks the text of the date field', () => {
    expect(checkLocalInput('2030-01-01 10:00')).toBeNull();
    expect(checkLocalInput('2030-01-01T10:00:59')).toBeNull();
    expect(checkLocalInput('01/02/2030 10:00')).toBe('format');
    expect(checkLocalInput('2030-02-29 10:00')).toBe('range');
    expect(checkLocalInput('2028-02-29 10:00')).toBeNull();
    expect(checkLocalInput('2030-01-01 24:00')).toBe('range');
  });

  it('knows time zones', () => {
    expect(timezoneNames()[0]).toBe('UTC');
    expect(isValidTimezone('Europe/Paris')).toBe(true);
    expect(isValidTimezone('Mars/Olympus')).toBe(false);
  });
});

describe('durations and relative times', () => {
  it('formats durations', () => {
    expect(formatDuration(0.25, trans)).toBe('250 ms');
    expect(formatDuration(12.34, trans)).toBe('12.3 s');
    expect(formatDuration(125, trans)).toBe('2 min 5 s');
    expect(formatDuration(3 * 3600 + 120, trans)).toBe('3 h 2 min');
    expect(formatDuration(3 * 86400 + 3600, trans)).toBe('3 d 1 h');
    expect(formatDuration(null, trans)).toBe('');
  });

  it('formats relative times', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(formatRelative('2030-01-01T00:10:00Z', trans, now)).toBe('in 10 min');
    expect(formatRelative('2029-12-31T21:00:00Z', trans, now)).toBe('3 h ago');
    expect(formatRelative('2030-01-03T00:00:00Z', trans, now)).toBe('in 2 days');
    expect(formatRelative('2030-01-01T00:00:10Z', trans, now)).toBe('in a few seconds');
    expect(formatRelative(null, trans, now)).toBe('');
  });

  it('keeps the tail of a log', () => {
    expect(tail('a\nb\nc\nd\n\n', 2)).toBe('c\nd');
    expect(tail('', 2)).toBe('');
  });
});

describe('exit codes', () => {
  it('names the signal that ended a run and keeps other codes as they are', () => {
    expect(formatExitCode(0, trans)).toBe('0');
    expect(formatExitCode(7, trans)).toBe('7');
    expect(formatExitCode(-15, trans)).toBe('-15 (SIGTERM)');
    expect(formatExitCode(-9, trans)).toBe('-9 (SIGKILL)');
    expect(formatExitCode(-31, trans)).toBe('-31 (signal 31)');
    expect(formatExitCode(null, trans)).toBe('');
  });
});

describe('one absolute format: ISO-like, 24-hour clock', () => {
  it('formats an instant in a zone, with or without seconds and weekday', () => {
    const iso = '2030-01-01T19:05:07Z';
    expect(formatDateTime(iso, { timezone: 'UTC', weekday: false })).toBe('2030-01-01 19:05');
    expect(formatDateTime(iso, { timezone: 'UTC', weekday: false, seconds: true })).toBe('2030-01-01 19:05:07');
    expect(formatDateTime(iso, { timezone: 'Asia/Tokyo', weekday: false })).toBe('2030-01-02 04:05');
    expect(formatDateTime(iso, { timezone: 'UTC' })).toMatch(/^\S+ 2030-01-01 19:05$/);
    expect(formatDateTime(null)).toBe('');
    expect(formatDateTime('not a date')).toBe('not a date');
  });

  it('never uses a 12-hour clock', () => {
    expect(formatDateTime('2030-01-01T00:30:00Z', { timezone: 'UTC', weekday: false })).toBe('2030-01-01 00:30');
    expect(formatDateTime('2030-01-01T12:30:00Z', { timezone: 'UTC', weekday: false })).toBe('2030-01-01 12:30');
  });

  it('names the zone on hover when it is not the browser\'s', () => {
    const text = formatDateTimeInZone('2030-01-01T19:05:07Z', 'Pacific/Auckland');
    expect(text).toMatch(/2030-01-02 08:05:07 \(Pacific\/Auckland\)$/);
  });

  it('formats sizes in decimal units', () => {
    expect(formatBytes(850)).toBe('850 B');
    expect(formatBytes(12_345)).toBe('12.3 kB');
    expect(formatBytes(3_400_000)).toBe('3.4 MB');
    expect(formatBytes(250_000_000)).toBe('250 MB');
  });
});
