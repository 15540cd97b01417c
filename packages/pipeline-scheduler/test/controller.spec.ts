import { MainAreaWidget } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { SchedulerError } from '../src/api';
import { SchedulerController } from '../src/controller';
import { IJob } from '../src/tokens';
import { JobEditor } from '../src/widgets/JobEditor';
import { job, summaryOf } from './fixtures';

/** A job with fields the job list does not hold (the form shows them all). */
const WHOLE: IJob = job('nightly', {
  name: 'Nightly load',
  cron_expression: '30 2 * * 1-5',
  arguments: ['--full', 'yes'],
  env: { STAGE: 'prod' },
  cwd: 'etl',
  timeout: 600,
  overlap_policy: 'queue',
  retries: 2
});

function setUp(getJob: (id: string) => Promise<IJob>) {
  const opened: MainAreaWidget<JobEditor>[] = [];
  const app = {
    shell: {
      add: jest.fn((widget: Widget) => opened.push(widget as MainAreaWidget<JobEditor>)),
      activateById: jest.fn()
    },
    commands: { hasCommand: () => false }
  };
  const api = { getJob: jest.fn(getJob) };
  const model = {
    start: jest.fn(),
    jobs: [summaryOf(WHOLE)],
    job: () => summaryOf(WHOLE),
    jobNames: new Map([[WHOLE.id, WHOLE.name]]),
    upsert: jest.fn()
  };
  const controller = new SchedulerController({
    app: app as any,
    api: api as any,
    model: model as any,
    translator: nullTranslator
  });
  return { controller, api, app, opened };
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('SchedulerController opens forms on the whole job', () => {
  it('reads the job with GET jobs/{id} before editing: nothing the list leaves out is lost', async () => {
    const { controller, api, app, opened } = setUp(async () => ({ ...WHOLE }));
    const listed = summaryOf(WHOLE);
    expect(listed).not.toHaveProperty('env');

    const widget = await controller.editJob(listed);
    expect(api.getJob).toHaveBeenCalledWith('nightly');
    expect(opened).toHaveLength(1);
    expect(widget).toBe(opened[0]);
    const state = opened[0].content.initial;
    expect(opened[0].content.jobId).toBe('nightly');
    expect(state.name).toBe('Nightly load');
    expect(state.cronExpression).toBe('30 2 * * 1-5');
    expect(state.env).toEqual([expect.objectContaining({ name: 'STAGE', value: 'prod' })]);
    expect(state.arguments).toContain('--full');
    expect(state.cwd).toBe('etl');
    expect(state.timeout).toBe('600');
    expect(state.overlapPolicy).toBe('queue');

    // The form of that job is open: it is brought forward, not read nor opened again.
    expect(await controller.editJob(listed)).toBe(opened[0]);
    expect(api.getJob).toHaveBeenCalledTimes(1);
    expect(opened).toHaveLength(1);
    expect(app.shell.activateById).toHaveBeenLastCalledWith(opened[0].id);
  });

  it('reads the job before duplicating it', async () => {
    const { controller, api, opened } = setUp(async () => ({ ...WHOLE }));
    await controller.duplicateJob(summaryOf(WHOLE));
    expect(api.getJob).toHaveBeenCalledWith('nightly');
    const state = opened[0].content.initial;
    expect(opened[0].content.jobId).toBeNull();
    expect(state.name).toBe('Nightly load (copy)');
    expect(state.env).toEqual([expect.objectContaining({ name: 'STAGE', value: 'prod' })]);
  });

  it('opens no form on a job that cannot be read, and says why', async () => {
    const { controller, opened } = setUp(async () => {
      throw new SchedulerError('Job not found', { status: 404, field: 'job_id' });
    });
    expect(await controller.editJob(summaryOf(WHOLE))).toBeNull();
    expect(await controller.duplicateJob(summaryOf(WHOLE))).toBeNull();
    expect(opened).toHaveLength(0);
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(document.body.textContent).toContain('Could not open "Nightly load"');
    expect(document.body.textContent).toContain('Job not found');
  });
});
