/**
 * Schedule words come from the server (each job's `trigger`, the preview's
 * `trigger`): the UI only formats them.
 */
import {
  cronFromFields,
  displayZone,
  intervalSeconds,
  jobWords,
  nameJobs,
  splitZone
} from '../src/describe';
import { job, unreadableJob } from './fixtures';

describe('the server\'s words, formatted', () => {
  it('takes the zone off the words', () => {
    expect(splitZone('Every 5 minutes (UTC)')).toEqual({ words: 'Every 5 minutes', zone: 'UTC' });
    expect(splitZone('At 09:00, Monday through Friday (Europe/Paris)')).toEqual({
      words: 'At 09:00, Monday through Friday',
      zone: 'Europe/Paris'
    });
    expect(splitZone('Every day at 06:00 (America/Argentina/Buenos_Aires)').zone).toBe(
      'America/Argentina/Buenos_Aires'
    );
    // Words that end in parentheses of their own keep them.
    expect(splitZone('After load (copy) succeeds')).toEqual({ words: 'After load (copy) succeeds', zone: null });
    expect(splitZone('On demand')).toEqual({ words: 'On demand', zone: null });
    expect(splitZone(null)).toEqual({ words: '', zone: null });
  });

  it('shows Etc/UTC as UTC', () => {
    expect(displayZone('Etc/UTC')).toBe('UTC');
    expect(displayZone('UTC')).toBe('UTC');
    expect(displayZone('Europe/Paris')).toBe('Europe/Paris');
    expect(displayZone(null)).toBe('');
  });

  it('names jobs instead of their ids', () => {
    const names = new Map([
      ['51613312e06e', 'load'],
      ['f70947ff14c6', 'publish report']
    ]);
    expect(nameJobs('After 51613312e06e succeeds or f70947ff14c6 fails', names)).toBe(
      'After "load" succeeds or "publish report" fails'
    );
    expect(nameJobs('job 51613312e06e is a trigger condition of f70947ff14c6.', names)).toBe(
      'job "load" is a trigger condition of "publish report".'
    );
    expect(nameJobs('After 0000 succeeds', names)).toBe('After 0000 succeeds');
    // As the server words them (no quotes), for the preview of a trigger.
    expect(nameJobs('After 51613312e06e succeeds', names, false)).toBe('After load succeeds');
  });

  it('gives a job\'s words and its zone (none without a clock)', () => {
    expect(jobWords(job('a', { trigger: 'Every 5 minutes (Europe/Paris)', timezone: 'Europe/Paris' }))).toEqual({
      words: 'Every 5 minutes',
      zone: 'Europe/Paris'
    });
    expect(jobWords(job('b', { trigger: 'Every 5 minutes (Etc/UTC)', timezone: 'Etc/UTC' }))).toEqual({
      words: 'Every 5 minutes',
      zone: 'UTC'
    });
    expect(
      jobWords(job('c', { trigger: 'After load succeeds', schedule_type: 'trigger', timezone: 'UTC' }))
    ).toEqual({ words: 'After load succeeds', zone: null });
    expect(jobWords(job('d', { trigger: 'On demand', schedule_type: 'manual' }))).toEqual({
      words: 'On demand',
      zone: null
    });
    // A broken job's words as the server sends them.
    expect(jobWords(unreadableJob('x'))).toEqual({ words: 'unknown', zone: 'UTC' });
  });
});

describe('helpers', () => {
  it('cronFromFields follows the server defaults', () => {
    expect(cronFromFields({ hour: '3', day_of_week: 'sun' })).toBe('0 0 3 * * sun');
    expect(cronFromFields({ minute: '*/5' })).toBe('0 */5 * * * *');
    expect(cronFromFields({ month: '1' })).toBe('0 0 0 * 1 *');
    expect(cronFromFields({})).toBeNull();
  });

  it('adds up intervals', () => {
    expect(intervalSeconds({ interval_hours: 1, interval_seconds: 5 })).toBe(3605);
    expect(intervalSeconds({})).toBe(0);
  });
});
