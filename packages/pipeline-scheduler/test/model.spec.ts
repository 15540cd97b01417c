import { SchedulerError } from '../src/api';
import { SchedulerModel } from '../src/model';
import { IServerEvent } from '../src/sse';
import { IJob, IRun } from '../src/tokens';
import { job, summaryOf } from './fixtures';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** A fake API whose event stream the test drives. */
function fakeApi(jobs: IJob[], streamError?: unknown) {
  let emit: (event: IServerEvent) => void = () => undefined;
  const api = {
    listJobSummaries: jest.fn(async () => jobs.map(summaryOf)),
    getJob: jest.fn(async (id: string) => {
      const found = jobs.find(item => item.id === id);
      if (!found) {
        throw new SchedulerError('Job not found', { status: 404, field: 'job_id' });
      }
      return { ...found };
    }),
    listenEvents: jest.fn(
      (onEvent: (event: IServerEvent) => void, options: { signal?: AbortSignal }) =>
        new Promise<void>((resolve, reject) => {
          if (streamError) {
            reject(streamError);
            return;
          }
          emit = onEvent;
          onEvent({ event: 'open', data: '' });
          options.signal?.addEventListener('abort', () => resolve());
        })
    )
  };
  return { api, emit: (event: string, data: unknown) => emit({ event, data: JSON.stringify(data) }) };
}

describe('SchedulerModel', () => {
  it('loads the jobs and follows server events', async () => {
    const jobs = [job('a'), job('b')];
    const { api, emit } = fakeApi(jobs);
    const model = new SchedulerModel({ api: api as any, refreshInterval: 10 });
    let changes = 0;
    model.changed.connect(() => changes++);
    const runs: IRun[] = [];
    model.runChanged.connect((_, run) => runs.push(run));
    model.start();
    await sleep(10);
    expect(model.loaded).toBe(true);
    expect(model.liveState).toBe('live');
    expect(model.jobs.map(item => item.id)).toEqual(['a', 'b']);
    expect(model.jobNames.get('b')).toBe('b');

    // A run: the job's last run changes at once, the job is fetched again (batched).
    const run = { id: 4, job_id: 'a', job_name: 'a', status: 'running', started_at: null, finished_at: null, duration: null, exit_code: null };
    emit('run', run);
    expect(model.job('a')?.last_run?.status).toBe('running');
    expect(runs).toHaveLength(1);
    jobs[0] = job('a', { next_run_time: '2030-01-01T00:00:00Z', last_run: { ...run, status: 'success' } as any });
    await sleep(300);
    expect(api.getJob).toHaveBeenCalledWith('a');
    expect(model.job('a')?.next_run_time).toBe('2030-01-01T00:00:00Z');

    // Job events: created → fetched, deleted → removed.
    jobs.push(job('c'));
    emit('job', { id: 'c', action: 'created' });
    emit('job', { id: 'b', action: 'deleted' });
    expect(model.job('b')).toBeUndefined();
    await sleep(300);
    expect(model.jobs.map(item => item.id)).toEqual(['a', 'c']);
    expect(changes).toBeGreaterThan(3);
    model.dispose();
  });

  it('lists the jobs with only the fields the panel reads; a changed job is read whole', async () => {
    const jobs = [job('a', { env: { A: '1' }, created_at: '2030-01-01T00:00:00Z' })];
    const { api, emit } = fakeApi(jobs);
    const model = new SchedulerModel({ api: api as any });
    model.start();
    await sleep(10);
    expect(api.listJobSummaries).toHaveBeenCalled();
    expect(model.job('a')).toEqual(summaryOf(jobs[0]));
    expect(model.job('a')).not.toHaveProperty('env');

    emit('job', { id: 'a', action: 'updated' });
    await sleep(300);
    expect(api.getJob).toHaveBeenCalledWith('a');
    expect(model.job('a')).toHaveProperty('env', { A: '1' });
    expect(model.jobs).toHaveLength(1);
    model.dispose();
  });

  it('falls back to polling when the event stream is missing', async () => {
    const { api } = fakeApi([job('a')], new SchedulerError('not found', { status: 404 }));
    const model = new SchedulerModel({ api: api as any, refreshInterval: 0.05 });
    model.start();
    await sleep(20);
    expect(model.liveState).toBe('polling');
    const calls = api.listJobSummaries.mock.calls.length;
    await sleep(200);
    expect(api.listJobSummaries.mock.calls.length).toBeGreaterThan(calls);
    model.dispose();
  });

  it('reports a missing server extension', async () => {
    const api = {
      listJobSummaries: jest.fn(async () => {
        throw new SchedulerError('Not found', { status: 404 });
      }),
      listenEvents: jest.fn(() => new Promise<void>(() => undefined))
    };
    const model = new SchedulerModel({ api: api as any });
    await model.refresh();
    expect(model.serverMissing).toBe(true);
    expect(model.error).toBe('Not found');
    expect(model.loaded).toBe(false);
    model.dispose();
  });

  it('upserts and removes jobs, and coalesces refreshes', async () => {
    const { api } = fakeApi([job('a')]);
    const model = new SchedulerModel({ api: api as any });
    await Promise.all([model.refresh(), model.refresh()]);
    expect(api.listJobSummaries.mock.calls.length).toBeLessThanOrEqual(2);
    model.upsert(job('z', { name: 'zed' }));
    expect(model.jobNames.get('z')).toBe('zed');
    model.upsert(job('z', { name: 'zeta' }));
    expect(model.jobs).toHaveLength(2);
    expect(model.jobNames.get('z')).toBe('zeta');
    model.remove('z');
    expect(model.jobs).toHaveLength(1);
    model.dispose();
  });
});

describe('names of deleted jobs', () => {
  it('remembers them from deletions and from runs, and forgets them when the job is back', () => {
    const { api } = fakeApi([]);
    const model = new SchedulerModel({ api: api as any });
    model.upsert(job('a', { name: 'alpha' }));
    model.upsert(job('b', { name: 'beta' }));
    model.remove('a');
    model.rememberJobNames([
      { job_id: 'c', job_name: 'gamma' },
      { job_id: 'b', job_name: 'beta' }
    ] as IRun[]);
    expect(model.formerJobs().sort()).toEqual([
      ['a', 'alpha'],
      ['c', 'gamma']
    ]);
    model.upsert(job('c', { name: 'gamma' }));
    expect(model.formerJobs()).toEqual([['a', 'alpha']]);
    model.dispose();
  });
});
