/** The server's messages in plain words: no REST field names, job names instead of ids. */
import { dependentsOf, idsIn, plainError, quotedList, withJobNames } from '../src/messages';
import { job } from './fixtures';

describe('plainError', () => {
  it('drops the field prefix and the repeated expression of a cron error', () => {
    expect(
      plainError(
        "cron_expression: invalid cron expression '61 * * * *': the minute field '61' is not valid (values 0-59, with lists, ranges and */n steps)",
        'cron_expression'
      )
    ).toBe("The minute field '61' is not valid (values 0-59, with lists, ranges and */n steps)");
  });

  it('says internal names in words', () => {
    expect(plainError('pipeline_path points outside the server root', 'pipeline_path')).toBe(
      'The file points outside the server root'
    );
    expect(plainError("run_date: required for date_type 'daily'", 'run_date')).toBe('Required for this schedule');
    expect(plainError('pipeline_path: required (or python_code)', 'pipeline_path')).toBe('Required');
    expect(plainError("trigger_conditions.0.job_id: unknown job 'abc'", 'trigger_conditions.0.job_id')).toBe(
      "Unknown job 'abc'"
    );
    expect(plainError('timeout: must be 1 or more', 'timeout')).toBe('Must be 1 or more');
    expect(plainError('cannot run: pipeline_path: no such file or directory: etl/x.py')).toBe(
      'Cannot run: no such file or directory: etl/x.py'
    );
    expect(plainError('run_date: 2020-01-01T00:00:00 is in the past', 'run_date')).toBe(
      '2020-01-01T00:00:00 is in the past'
    );
  });

  it('leaves plain messages alone', () => {
    expect(plainError('Could not reach the server')).toBe('Could not reach the server');
    expect(plainError('')).toBe('');
  });
});

describe('job names in messages', () => {
  const jobs = [
    job('51613312e06e', { name: 'load' }),
    job('f70947ff14c6', {
      name: 'publish',
      schedule_type: 'trigger',
      trigger_conditions: [{ job_id: '51613312e06e', on: 'success' }]
    }),
    job('0a0a0a0a0a0a', {
      name: 'alert',
      schedule_type: 'trigger',
      trigger_conditions: [{ job_id: '51613312e06e', on: 'failure' }]
    })
  ];
  const names = new Map(jobs.map(item => [item.id, item.name]));

  it('finds the jobs that wait for a job', () => {
    expect(dependentsOf('51613312e06e', jobs).map(item => item.name)).toEqual(['publish', 'alert']);
    expect(dependentsOf('f70947ff14c6', jobs)).toEqual([]);
  });

  it("reads the ids of the server's 409 and names them", () => {
    const message =
      'job 51613312e06e is a trigger condition of 0a0a0a0a0a0a, f70947ff14c6; change or delete those jobs first';
    expect(idsIn(message, id => names.has(id) && id !== '51613312e06e')).toEqual([
      '0a0a0a0a0a0a',
      'f70947ff14c6'
    ]);
    expect(withJobNames(message, names)).toBe(
      'job "load" is a trigger condition of "alert", "publish"; change or delete those jobs first'
    );
  });

  it('lists names in words', () => {
    expect(quotedList(['a'])).toBe('"a"');
    expect(quotedList(['a', 'b'])).toBe('"a" and "b"');
    expect(quotedList(['a', 'b', 'c'])).toBe('"a", "b" and "c"');
  });
});
