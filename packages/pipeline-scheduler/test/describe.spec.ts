import { nullTranslator } from '@jupyterlab/translation';

import {
  cronFromFields,
  describeCron,
  describeDuration,
  describeJob,
  describeSchedule,
  intervalSeconds,
  weekdayName
} from '../src/describe';
import { IJob } from '../src/tokens';

const trans = nullTranslator.load('test');

describe('describeCron (cronstrue)', () => {
  it.each([
    ['*/5 * * * *', 'Every 5 minutes'],
    ['30 2 * * 1-5', 'At 02:30, Monday through Friday'],
    ['0 9 * * 0', 'At 09:00, only on Sunday'],
    ['0 9 * * 7', 'At 09:00, only on Sunday'],
    ['0 9 L * *', 'At 09:00, on the last day of the month'],
    ['0 9 * * 5#2', 'At 09:00, on the second Friday of the month'],
    ['15 0 9 * * mon', 'At 09:00:15, only on Monday']
  ])('%s → %s', (expression, words) => {
    expect(describeCron(expression, trans)).toEqual({ text: words, error: null });
  });

  it('explains why an expression is refused', () => {
    expect(describeCron('', trans).error).toBe('Enter a cron expression');
    expect(describeCron('* * *', trans).error).toContain('got 3');
    expect(describeCron('* * * * * * *', trans).error).toContain('got 7');
    const invalid = describeCron('61 * * * *', trans);
    expect(invalid.text).toBeNull();
    expect(invalid.error).toBeTruthy();
  });
});

describe('describeSchedule', () => {
  const zone = { timezone: 'Europe/Paris' };

  it('date once / daily / weekly / monthly, in the job zone', () => {
    expect(
      describeSchedule({ ...zone, schedule_type: 'date', run_date: '2030-01-02T09:30:00' }, trans)
    ).toBe('Once, on 2030-01-02 at 09:30');
    // An offset is honoured, then read in the job's zone (08:30Z = 09:30 in Paris in winter).
    expect(
      describeSchedule({ ...zone, schedule_type: 'date', date_type: 'daily', run_date: '2030-01-02T08:30:00Z' }, trans)
    ).toBe('Every day at 09:30');
    expect(
      describeSchedule({ ...zone, schedule_type: 'date', date_type: 'weekly', run_date: '2030-01-02T09:30' }, trans)
    ).toBe('Every Wednesday at 09:30');
    expect(
      describeSchedule({ ...zone, schedule_type: 'date', date_type: 'monthly', run_date: '2030-01-31T23:05' }, trans)
    ).toBe('Every month on day 31 at 23:05');
  });

  it('monthly on the last day of the month', () => {
    const monthly = { ...zone, schedule_type: 'date' as const, date_type: 'monthly' as const };
    expect(describeSchedule({ ...monthly, run_date: '2030-01-31T09:00', last_day_of_month: true }, trans)).toBe(
      'Every month on the last day at 09:00'
    );
    expect(describeSchedule({ ...monthly, run_date: '2030-01-15T23:05:00Z', last_day_of_month: true }, trans)).toBe(
      'Every month on the last day at 00:05'
    );
    expect(describeSchedule({ ...monthly, run_date: '2030-01-31T09:00', last_day_of_month: false }, trans)).toBe(
      'Every month on day 31 at 09:00'
    );
    // Only monthly schedules have a last day.
    expect(
      describeSchedule({ ...zone, schedule_type: 'date', date_type: 'daily', run_date: '2030-01-31T09:00', last_day_of_month: true }, trans)
    ).toBe('Every day at 09:00');
  });

  it('every_x_days with and without a start', () => {
    expect(
      describeSchedule({ ...zone, schedule_type: 'date', date_type: 'every_x_days', interval_days: 3 }, trans)
    ).toBe('Every 3 days');
    expect(
      describeSchedule(
        { ...zone, schedule_type: 'date', date_type: 'every_x_days', interval_days: 1, run_date: '2030-01-01T06:00' },
        trans
      )
    ).toBe('Every day at 06:00');
  });

  it('interval, in the largest units', () => {
    expect(describeSchedule({ schedule_type: 'interval', interval_seconds: 5400 }, trans)).toBe(
      'Every 1 hour 30 minutes'
    );
    expect(describeSchedule({ schedule_type: 'interval', interval_days: 1, interval_minutes: 1 }, trans)).toBe(
      'Every 1 day 1 minute'
    );
    expect(describeSchedule({ schedule_type: 'interval' }, trans)).toBeNull();
  });

  it('cron, from an expression or from separate fields', () => {
    expect(describeSchedule({ schedule_type: 'cron', cron_expression: '0 6 * * *' }, trans)).toBe('At 06:00');
    expect(describeSchedule({ schedule_type: 'cron', hour: '3', day_of_week: 'sun' }, trans)).toBe(
      'At 03:00, only on Sunday'
    );
  });

  it('after other jobs, with their names', () => {
    const names = new Map([
      ['a', 'extract'],
      ['b', 'load']
    ]);
    expect(
      describeSchedule(
        {
          schedule_type: 'trigger',
          trigger_conditions: [
            { job_id: 'a', on: 'success' },
            { job_id: 'b', on: 'failure' }
          ],
          logical_operator: 'AND'
        },
        trans,
        names
      )
    ).toBe('After "extract" succeeds and "load" fails');
    expect(
      describeSchedule(
        { schedule_type: 'trigger', trigger_conditions: [{ job_id: 'zz', on: 'success' }, { job_id: 'a', on: 'success' }], logical_operator: 'OR' },
        trans,
        { a: 'extract' }
      )
    ).toBe('After "zz" succeeds or "extract" succeeds');
    expect(describeSchedule({ schedule_type: 'trigger', trigger_conditions: [] }, trans)).toBeNull();
  });
});

describe('describeJob', () => {
  const base = {
    id: 'j',
    name: 'j',
    pipeline_path: 'x.py',
    timezone: 'UTC',
    next_run_time: null,
    paused: false,
    last_run: null
  };

  it('uses our words when it can', () => {
    const job = { ...base, schedule_type: 'cron', cron_expression: '*/10 * * * *', trigger: 'Cron */10 * * * * (UTC)' } as IJob;
    expect(describeJob(job, trans)).toBe('Every 10 minutes');
  });

  it('describes a monthly job on the last day', () => {
    const job = {
      ...base,
      schedule_type: 'date',
      date_type: 'monthly',
      run_date: '2030-01-31T09:00:00',
      last_day_of_month: true,
      trigger: 'Monthly on the last day at 09:00 (UTC)'
    } as IJob;
    expect(describeJob(job, trans)).toBe('Every month on the last day at 09:00');
  });

  it('describes a broken job that lacks its schedule fields by the server words', () => {
    const broken = {
      id: 'b',
      name: 'b',
      trigger: 'unknown (UTC)',
      timezone: 'UTC',
      next_run_time: null,
      paused: false,
      last_run: null,
      broken: 'cannot be scheduled: its stored definition is not valid JSON; fix it with PUT or delete it'
    } as IJob;
    expect(describeJob(broken, trans)).toBe('unknown');
    expect(describeJob({ ...broken, trigger: undefined } as unknown as IJob, trans)).toBe('');
    expect(describeJob({ ...broken, run_date: 12 } as unknown as IJob, trans)).toBe('unknown');
  });

  it("falls back to the server's words (without the zone)", () => {
    const job = { ...base, schedule_type: 'date', date_type: 'once', trigger: 'Once at 2030-01-01 00:00 (UTC)' } as IJob;
    expect(describeJob(job, trans)).toBe('Once at 2030-01-01 00:00');
  });
});

describe('helpers', () => {
  it('cronFromFields follows the server defaults', () => {
    expect(cronFromFields({ hour: '3', day_of_week: 'sun' })).toBe('0 0 3 * * sun');
    expect(cronFromFields({ minute: '*/5' })).toBe('0 */5 * * * *');
    expect(cronFromFields({ month: '1' })).toBe('0 0 0 * 1 *');
    expect(cronFromFields({})).toBeNull();
  });

  it('durations and weekdays', () => {
    expect(describeDuration(1, trans)).toBe('1 second');
    expect(describeDuration(90061, trans)).toBe('1 day 1 hour 1 minute 1 second');
    expect(describeDuration(0, trans)).toBe('0 seconds');
    expect(intervalSeconds({ interval_hours: 1, interval_seconds: 5 })).toBe(3605);
    expect(weekdayName(0, trans)).toBe('Sunday');
    expect(weekdayName(7, trans)).toBe('Sunday');
  });
});
