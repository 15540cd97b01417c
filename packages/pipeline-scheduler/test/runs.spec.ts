/** Why a run failed in a line, and the attempts of one run together. */
import {
  attemptsAllowed,
  errorLine,
  failureSummary,
  formerJobs,
  groupAttempts,
  hasAttempts
} from '../src/runs';
import { run } from './fixtures';

const NOTEBOOK_FAILURE = [
  'starting',
  'An error occurred while executing the following cell:',
  '------------------',
  '1/0',
  '------------------',
  '',
  '\x1b[0;31m---------------------------------------------------------------------------\x1b[0m',
  '\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)',
  'Cell \x1b[0;32mIn[1], line 1\x1b[0m',
  '\x1b[0;32m----> 1\x1b[0m \x1b[38;5;241m1\x1b[39m\x1b[38;5;241m/\x1b[39m\x1b[38;5;241m0\x1b[39m',
  '',
  '\x1b[0;31mZeroDivisionError\x1b[0m: division by zero',
  '',
  'executed notebook saved to /srv/.amphi/outputs/x/y.ipynb',
  ''
].join('\n');

describe('failure summary', () => {
  it('finds the exception of a notebook traceback, without colours, not the saved-notebook line', () => {
    expect(errorLine(NOTEBOOK_FAILURE)).toBe('ZeroDivisionError: division by zero');
    expect(failureSummary({ error: 'exited with code 1', output: NOTEBOOK_FAILURE })).toBe(
      'ZeroDivisionError: division by zero'
    );
  });

  it('takes the last meaningful line when there is no traceback (SystemExit with a message)', () => {
    const output = 'connecting to the warehouse\nboom: the warehouse is down\n';
    expect(failureSummary({ error: 'exited with code 1', output })).toBe('boom: the warehouse is down');
  });

  it("keeps the server's reason when it says more than the exit code", () => {
    expect(failureSummary({ error: 'timed out after 5 s', output: 'step 1\nstep 2\n' })).toBe(
      'Timed out after 5 s\nstep 2'
    );
    expect(failureSummary({ error: 'cannot run: pipeline_path: no such file or directory: x.py', output: '' })).toBe(
      'Cannot run: no such file or directory: x.py'
    );
    expect(failureSummary({ error: 'exited with code 3', output: '' })).toBe('Exited with code 3');
    expect(failureSummary({ error: null, output: 'Traceback (most recent call last):\nKeyError: \'x\'' })).toBe(
      "KeyError: 'x'"
    );
  });
});

describe('attempts', () => {
  it('groups the attempts of a run under its newest one', () => {
    const runs = [
      run(9, { job_id: 'b' }),
      run(8, { attempt: 3, retry_of: 5 }),
      run(7, { job_id: 'b' }),
      run(6, { attempt: 2, retry_of: 5 }),
      run(5, { attempt: 1 }),
      run(4)
    ];
    const groups = groupAttempts(runs);
    expect(groups.map(g => [g.run.id, g.earlier.map(r => r.id)])).toEqual([
      [9, []],
      [8, [6, 5]],
      [7, []],
      [4, []]
    ]);
  });

  it('knows a retried run and how many attempts a job allows', () => {
    expect(hasAttempts({ attempt: 2, retry_of: 5 })).toBe(true);
    expect(hasAttempts({ attempt: 1 })).toBe(false);
    expect(hasAttempts({})).toBe(false);
    expect(attemptsAllowed({ retries: 2 })).toBe(3);
    expect(attemptsAllowed({ retries: 0 })).toBe(1);
    expect(attemptsAllowed({})).toBeNull();
    expect(attemptsAllowed(null)).toBeNull();
  });
});

describe('deleted jobs', () => {
  it('lists the jobs of runs that no longer exist, by name', () => {
    const runs = [
      run(3, { job_id: 'gone', job_name: 'old report' }),
      run(2, { job_id: 'here', job_name: 'here' }),
      run(1, { job_id: 'gone', job_name: 'old report' }),
      run(0, { job_id: 'also-gone', job_name: 'archive' })
    ];
    expect(formerJobs(runs, id => id === 'here')).toEqual([
      ['also-gone', 'archive'],
      ['gone', 'old report']
    ]);
  });
});
