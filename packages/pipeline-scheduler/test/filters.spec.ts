import { filterJobs, isBroken, matchesSearch, matchesStatus, mergeRun, runMatches } from '../src/filters';
import { IJob, IRun } from '../src/tokens';
import { job, run } from './fixtures';

const lastRun = (status: IRun['status'], id = 1) => ({
  id,
  status,
  started_at: null,
  finished_at: null,
  duration: null,
  exit_code: null
});

describe('filterJobs', () => {
  const jobs = [
    job('job10', { next_run_time: '2030-01-01T02:00:00Z' }),
    job('job2', {
      paused: true,
      last_run: lastRun('failure', 5)
    }),
    job('Nightly ETL', {
      pipeline_path: 'etl/load.ipynb',
      next_run_time: '2030-01-01T01:00:00Z',
      last_run: lastRun('running', 9)
    }),
    job('ok', { last_run: lastRun('success', 7), next_run_time: '2030-01-01T03:00:00Z' })
  ];
  const names = (list: IJob[]) => list.map(item => item.id);

  it('sorts by name (natural), next run, last run, creation (the list order)', () => {
    expect(names(filterJobs(jobs, {}))).toEqual(['job2', 'job10', 'Nightly ETL', 'ok']);
    expect(names(filterJobs(jobs, { sort: 'next' }))).toEqual(['Nightly ETL', 'job10', 'ok', 'job2']);
    expect(names(filterJobs(jobs, { sort: 'last' }))).toEqual(['Nightly ETL', 'ok', 'job2', 'job10']);
    // Newest first: the list's order reversed (the server lists jobs oldest first).
    expect(names(filterJobs(jobs, { sort: 'created' }))).toEqual(['ok', 'Nightly ETL', 'job2', 'job10']);
  });

  it('searches names and files, case-insensitively', () => {
    expect(names(filterJobs(jobs, { search: 'etl' }))).toEqual(['Nightly ETL']);
    expect(names(filterJobs(jobs, { search: 'LOAD.ipynb' }))).toEqual(['Nightly ETL']);
    expect(names(filterJobs(jobs, { search: '  ' }))).toHaveLength(4);
  });

  it('filters by status', () => {
    expect(names(filterJobs(jobs, { status: 'paused' }))).toEqual(['job2']);
    expect(names(filterJobs(jobs, { status: 'scheduled' }))).toHaveLength(3);
    expect(names(filterJobs(jobs, { status: 'failed' }))).toEqual(['job2']);
    expect(names(filterJobs(jobs, { status: 'running' }))).toEqual(['Nightly ETL']);
    expect(names(filterJobs(jobs, { status: 'succeeded' }))).toEqual(['ok']);
    expect(names(filterJobs(jobs, { status: 'never' }))).toEqual(['job10']);
    expect(matchesStatus(jobs[0], 'all')).toBe(true);
  });

  it('filters broken jobs, even those that lack most fields', () => {
    const unreadable = {
      id: 'corrupt',
      name: 'corrupt',
      trigger: 'unknown',
      timezone: 'UTC',
      paused: false,
      next_run_time: null,
      last_run: null,
      broken: 'cannot be scheduled: its stored definition is not valid JSON; fix it with PUT or delete it'
    } as IJob;
    const missing = job('gone', { broken: 'cannot run: pipeline_path: no such file or directory: gone.py' });
    const all = [...jobs, unreadable, missing];
    expect(names(filterJobs(all, { status: 'broken' }))).toEqual(['corrupt', 'gone']);
    expect(isBroken(unreadable)).toBe(true);
    expect(isBroken(jobs[0])).toBe(false);
    expect(isBroken(job('x', { broken: '' }))).toBe(false);
    // Search and every order cope with the missing fields.
    expect(names(filterJobs(all, { search: 'corr' }))).toEqual(['corrupt']);
    expect(matchesSearch({ ...unreadable, name: undefined } as unknown as IJob, 'x')).toBe(false);
    for (const sort of ['name', 'next', 'last', 'created'] as const) {
      expect(filterJobs(all, { sort })).toHaveLength(6);
    }
  });

  it('handles a thousand jobs quickly', () => {
    const many = Array.from({ length: 1000 }, (_, i) => job(`job-${i}`));
    const start = Date.now();
    expect(filterJobs(many, { search: 'job-99' })).toHaveLength(11);
    expect(Date.now() - start).toBeLessThan(200);
  });
});

describe('mergeRun', () => {
  it('replaces known runs, inserts new ones in order, drops runs that stop matching', () => {
    const runs = [run(5), run(3)];
    expect(mergeRun(runs, run(5, { status: 'failure' }), {}).map(r => r.status)).toEqual([
      'failure',
      'success'
    ]);
    expect(mergeRun(runs, run(6), {}).map(r => r.id)).toEqual([6, 5, 3]);
    expect(mergeRun(runs, run(4), {}).map(r => r.id)).toEqual([5, 4, 3]);
    expect(mergeRun(runs, run(1), {}).map(r => r.id)).toEqual([5, 3]); // older than the page
    expect(mergeRun(runs, run(7, { job_id: 'b' }), { jobId: 'a' })).toBe(runs);
    expect(mergeRun(runs, run(5, { status: 'failure' }), { status: 'success' }).map(r => r.id)).toEqual([3]);
    expect(mergeRun([], run(1), {}).map(r => r.id)).toEqual([1]);
  });

  it('matches filters', () => {
    expect(runMatches(run(1), { jobId: 'a', status: 'success' })).toBe(true);
    expect(runMatches(run(1), { jobId: 'b' })).toBe(false);
    expect(runMatches(run(1), { status: 'failure' })).toBe(false);
  });
});
