/**
 * The job list and the job form rendered in jsdom with a stand-in controller:
 * broken jobs (even those missing most fields) and the monthly "last day"
 * option.
 */
import * as React from 'react';

import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { SchedulerError } from '../src/api';
import { JobForm } from '../src/components/JobForm';
import { IJobListState, JobList } from '../src/components/JobList';
import { RunList } from '../src/components/RunList';
import { RunView } from '../src/components/RunView';
import { JobEditor } from '../src/widgets/JobEditor';
import type { SchedulerController } from '../src/controller';
import { emptyForm, formFromJob, IJobFormState } from '../src/payload';
import { IJob, IRun, IScheduleFields } from '../src/tokens';
import { job, run, summaryOf, unreadableJob } from './fixtures';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

const trans = nullTranslator.load('test');

/** A job whose stored definition cannot be read: little more than its identity. */
const UNREADABLE = unreadableJob('corrupt');

const TARGET_GONE = job('gone', {
  pipeline_path: 'etl/x.py',
  cron_expression: '0 9 * * *',
  next_run_time: '2030-01-01T09:00:00+00:00',
  last_run: {
    id: 4,
    status: 'failure',
    started_at: '2029-12-31T09:00:00+00:00',
    finished_at: '2029-12-31T09:00:01+00:00',
    duration: 0.1,
    exit_code: null
  },
  broken: 'cannot run: pipeline_path: no such file or directory: etl/x.py'
});

const FINE = job('fine', { cron_expression: '*/5 * * * *', trigger: 'Every 5 minutes (UTC)' });

/** What the server's preview says (its words, from the schedule fields). */
function serverPreview(payload: IScheduleFields): Promise<unknown> {
  if (payload.schedule_type === 'cron' && String(payload.cron_expression).startsWith('61')) {
    return Promise.reject(
      new SchedulerError(
        "cron_expression: invalid cron expression '61 * * * *': the minute field '61' is not valid (values 0-59, with lists, ranges and */n steps)",
        { status: 400, field: 'cron_expression' }
      )
    );
  }
  const words =
    payload.schedule_type === 'date' && payload.date_type === 'monthly'
      ? payload.last_day_of_month
        ? 'Every month on the last day at 09:00'
        : `Every month on day ${String(payload.run_date).slice(8, 10)} at 09:00`
      : payload.schedule_type === 'manual'
        ? 'On demand'
        : 'Every 5 minutes';
  return Promise.resolve({
    trigger: payload.schedule_type === 'manual' ? words : `${words} (UTC)`,
    timezone: 'UTC',
    next_run_times: payload.schedule_type === 'manual' ? [] : ['2030-01-31T09:00:00+00:00']
  });
}

function fakeController(jobs: IJob[], api: Record<string, unknown> = {}): SchedulerController {
  const byId = new Map(jobs.map(item => [item.id, item]));
  return {
    trans,
    model: {
      changed: new Signal<unknown, void>({}),
      runChanged: new Signal<unknown, unknown>({}),
      jobs,
      version: 1,
      loaded: true,
      error: null,
      serverMissing: false,
      jobNames: new Map(jobs.map(item => [item.id, item.name])),
      job: (id: string) => byId.get(id),
      rememberJobNames: jest.fn(),
      formerJobs: () => [],
      noteRun: jest.fn()
    },
    api: { preview: jest.fn(serverPreview), ...api },
    serverConfig: jest.fn(() => Promise.resolve({ default_timeout: null })),
    runDeleted: new Signal<unknown, number>({}),
    jobRunsDeleted: new Signal<unknown, string>({}),
    openJobMenu: jest.fn(),
    canGenerateCode: false,
    docManager: null,
    explainBroken: jest.fn(() => Promise.resolve()),
    editJob: jest.fn(),
    deleteJob: jest.fn(() => Promise.resolve(true)),
    runNow: jest.fn(() => Promise.resolve(null)),
    togglePause: jest.fn(() => Promise.resolve()),
    duplicateJob: jest.fn(),
    showRuns: jest.fn(),
    openRun: jest.fn(),
    newJob: jest.fn(),
    saveJob: jest.fn()
  } as unknown as SchedulerController;
}

/** Render an element in an attached widget (React flushed). */
async function render(element: JSX.Element): Promise<Widget> {
  const widget = ReactWidget.create(element);
  await React.act(async () => {
    Widget.attach(widget, document.body);
  });
  return widget;
}

/** Let debounced requests go and promises settle. */
async function settle(ms = 450): Promise<void> {
  await React.act(async () => {
    await new Promise(resolve => setTimeout(resolve, ms));
  });
}

async function click(node: Element | null): Promise<void> {
  expect(node).toBeTruthy();
  await React.act(async () => {
    (node as HTMLElement).click();
  });
}

let widget: Widget | null = null;

afterEach(() => {
  if (widget) {
    const disposed = widget;
    widget = null;
    React.act(() => disposed.dispose());
  }
});

describe('JobList with broken jobs', () => {
  const state: IJobListState = { search: '', status: 'all', sort: 'name' };

  it('renders a job missing most fields, with its badge and reason', async () => {
    const controller = fakeController([UNREADABLE, TARGET_GONE, FINE]);
    widget = await render(<JobList controller={controller} state={state} onState={() => undefined} highlight={null} />);
    const node = widget.node;
    const cards = node.querySelectorAll('[data-testid="job"]');
    expect(cards).toHaveLength(3);

    const corrupt = node.querySelector('[data-job-id="corrupt"]')!;
    expect(corrupt.getAttribute('data-broken')).toBe('true');
    expect(corrupt.classList).toContain('jp-mod-broken');
    const badge = corrupt.querySelector('[data-testid="broken-badge"]')!;
    expect(badge.textContent).toBe('broken');
    expect(badge.getAttribute('title')).toContain('not valid JSON');
    expect(corrupt.querySelector('[data-testid="broken-reason"]')!.textContent).toBe(
      'Cannot be scheduled: its stored definition is not valid JSON; fix it with PUT or delete it'
    );
    expect(corrupt.querySelector('[data-testid="job-trigger"]')!.textContent).toBe('unknown · UTC');
    expect(corrupt.querySelector('[data-testid="job-next"]')!.textContent).toBe('none until the job is fixed');

    // A job whose file vanished still fires: its next run is shown.
    const gone = node.querySelector('[data-job-id="gone"]')!;
    expect(gone.querySelector('[data-testid="broken-reason"]')!.getAttribute('title')).toContain('File: etl/x.py');
    expect(gone.querySelector('[data-testid="job-next"]')!.textContent).not.toContain('fixed');

    const fine = node.querySelector('[data-job-id="fine"]')!;
    expect(fine.getAttribute('data-broken')).toBe('false');
    expect(fine.querySelector('[data-testid="broken-badge"]')).toBeNull();
    expect(fine.textContent).toContain('fine.py');
  });

  it('offers the reason, Edit and the menu of actions on a broken card', async () => {
    const controller = fakeController([UNREADABLE]);
    widget = await render(<JobList controller={controller} state={state} onState={() => undefined} highlight={null} />);
    const card = widget.node.querySelector('[data-job-id="corrupt"]')!;
    await click(card.querySelector('[data-testid="broken-reason"]'));
    expect(controller.explainBroken).toHaveBeenCalledWith(UNREADABLE);
    await click(card.querySelector('[data-testid="edit"]'));
    expect(controller.editJob).toHaveBeenCalledWith(UNREADABLE);
    await click(card.querySelector('[data-testid="more"]'));
    expect(controller.openJobMenu).toHaveBeenCalledWith(UNREADABLE, expect.any(Number), expect.any(Number));
  });

  it('filters on "Broken"', async () => {
    const controller = fakeController([UNREADABLE, TARGET_GONE, FINE]);
    widget = await render(
      <JobList controller={controller} state={{ ...state, status: 'broken' }} onState={() => undefined} highlight={null} />
    );
    const filter = widget.node.querySelector<HTMLSelectElement>('[data-testid="job-status-filter"]')!;
    expect(Array.from(filter.options).map(option => option.value)).toContain('broken');
    expect(filter.value).toBe('broken');
    const ids = Array.from(widget.node.querySelectorAll('[data-testid="job"]')).map(card =>
      card.getAttribute('data-job-id')
    );
    expect(ids).toEqual(['corrupt', 'gone']);
  });
});

describe('JobForm', () => {
  function renderForm(controller: SchedulerController, initial: IJobFormState, jobId: string | null) {
    return render(
      <JobForm controller={controller} initial={initial} jobId={jobId} onSaved={() => undefined} onCancel={() => undefined} />
    );
  }

  it('opens on a broken job missing most fields and says why it is broken', async () => {
    const controller = fakeController([UNREADABLE]);
    widget = await renderForm(controller, formFromJob(UNREADABLE), 'corrupt');
    const note = widget.node.querySelector('[data-testid="form-broken"]')!;
    expect(note.textContent).toContain('not valid JSON');
    expect(note.textContent).toContain('saving the job fixes it');
    expect(widget.node.querySelector<HTMLInputElement>('[data-testid="field-name"]')!.value).toBe('corrupt');
    expect(widget.node.querySelector<HTMLInputElement>('[data-testid="field-path"]')!.value).toBe('');
  });

  it('offers "last day of each month" for monthly schedules, with the skipped-months hint', async () => {
    const controller = fakeController([]);
    const initial: IJobFormState = {
      ...emptyForm({ timezone: 'UTC', path: 'a.py' }),
      scheduleType: 'date',
      dateType: 'monthly',
      runDate: '2030-01-31T09:00'
    };
    widget = await renderForm(controller, initial, null);
    await settle(50);
    const node = widget.node;
    const checkbox = node.querySelector<HTMLInputElement>('[data-testid="field-last-day"]')!;
    expect(checkbox.checked).toBe(false);
    expect(node.querySelector('[data-testid="monthly-skip-hint"]')!.textContent).toBe(
      'Months without day 31 are skipped.'
    );
    expect(node.querySelector('[data-testid="schedule-words"]')!.textContent).toBe(
      'Every month on day 31 at 09:00'
    );
    await click(checkbox);
    expect(checkbox.checked).toBe(true);
    expect(node.querySelector('[data-testid="monthly-skip-hint"]')).toBeNull();
    await settle();
    expect(node.querySelector('[data-testid="schedule-words"]')!.textContent).toBe(
      'Every month on the last day at 09:00'
    );
    expect(node.querySelector('[data-testid="form-broken"]')).toBeNull();
  });

  it('shows no last-day option nor hint for other schedules or days up to 28', async () => {
    const controller = fakeController([]);
    const base = emptyForm({ timezone: 'UTC', path: 'a.py' });
    widget = await renderForm(controller, { ...base, dateType: 'daily', runDate: '2030-01-31T09:00' }, null);
    expect(widget.node.querySelector('[data-testid="field-last-day"]')).toBeNull();
    React.act(() => widget!.dispose());
    widget = await renderForm(controller, { ...base, dateType: 'monthly', runDate: '2030-01-28T09:00' }, null);
    expect(widget.node.querySelector('[data-testid="field-last-day"]')).not.toBeNull();
    expect(widget.node.querySelector('[data-testid="monthly-skip-hint"]')).toBeNull();
  });
});

describe('JobEditor', () => {
  /** Type into a controlled input as a user would (React reads the native value setter's change). */
  async function type(input: HTMLInputElement, text: string): Promise<void> {
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    await React.act(async () => {
      setValue.call(input, text);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }

  it('keeps what was typed when its tab is detached and attached again', async () => {
    const editor = new JobEditor({
      controller: fakeController([]),
      initial: emptyForm({ timezone: 'UTC', path: 'etl/sales.py' }),
      jobId: null
    });
    widget = editor;
    await React.act(async () => Widget.attach(editor, document.body));
    const name = (): HTMLInputElement => editor.node.querySelector<HTMLInputElement>('[data-testid="field-name"]')!;
    await type(name(), 'nightly sales');
    expect(name().value).toBe('nightly sales');

    await React.act(async () => Widget.detach(editor)); // e.g. the dock panel re-laid out
    await React.act(async () => Widget.attach(editor, document.body));
    expect(name().value).toBe('nightly sales');
    expect(editor.initial.name).toBe('sales'); // what it opened with stays known
  });
});

describe('JobForm: one error, on its field, in plain words', () => {
  function renderForm(controller: SchedulerController, initial: IJobFormState) {
    return render(
      <JobForm controller={controller} initial={initial} jobId={null} onSaved={() => undefined} onCancel={() => undefined} />
    );
  }

  it('shows a refused cron once, on its field, with the submit button disabled', async () => {
    const controller = fakeController([]);
    widget = await renderForm(controller, {
      ...emptyForm({ timezone: 'UTC', path: 'a.py' }),
      scheduleType: 'cron',
      cronExpression: '61 * * * *'
    });
    await settle(50);
    const node = widget.node;
    const errors = node.querySelectorAll('[data-testid="error-cronExpression"]');
    expect(errors).toHaveLength(1);
    expect(errors[0].textContent).toBe(
      "The minute field '61' is not valid (values 0-59, with lists, ranges and */n steps)"
    );
    expect(node.textContent).not.toContain('cron_expression');
    // Once: not again in the preview.
    expect(node.querySelector('[data-testid="preview"]')!.textContent).not.toContain('61');
    expect(node.querySelector('[data-testid="field-cron"]')!.getAttribute('aria-invalid')).toBe('true');
    expect(node.querySelector<HTMLButtonElement>('[data-testid="save"]')!.disabled).toBe(true);
    expect(node.querySelector('[data-testid="form-status"]')).not.toBeNull();
  });

  it('shows the server words once, from the preview (no words of its own)', async () => {
    const controller = fakeController([]);
    widget = await renderForm(controller, {
      ...emptyForm({ timezone: 'UTC', path: 'a.py' }),
      scheduleType: 'cron',
      cronExpression: '*/5 * * * *'
    });
    await settle(50);
    const node = widget.node;
    expect(node.querySelector('[data-testid="schedule-words"]')!.textContent).toBe('Every 5 minutes');
    expect(node.textContent!.split('Every 5 minutes')).toHaveLength(2);
    expect(node.querySelector('[data-testid="cron-words"]')).toBeNull();
    expect(node.querySelector<HTMLButtonElement>('[data-testid="save"]')!.disabled).toBe(false);
  });

  it('hides the fields that do not apply', async () => {
    const controller = fakeController([FINE]);
    const base = emptyForm({ timezone: 'UTC', path: 'report.ipynb' });
    widget = await renderForm(controller, base);
    await settle(50);
    expect(widget.node.querySelector('[data-testid="field-arguments"]')).toBeNull();
    expect(widget.node.querySelector('[data-testid="field-catch-up"]')).not.toBeNull();
    React.act(() => widget!.dispose());
    for (const scheduleType of ['manual', 'trigger'] as const) {
      widget = await renderForm(controller, { ...base, path: 'a.py', scheduleType });
      await settle(50);
      expect(widget.node.querySelector('[data-testid="field-arguments"]')).not.toBeNull();
      expect(widget.node.querySelector('[data-testid="field-catch-up"]')).toBeNull();
      expect(widget.node.querySelector('[data-testid="field-timezone"]')).toBeNull();
      React.act(() => widget!.dispose());
      widget = null;
    }
  });

  it('words "run after" for one job without all/any, and offers it for several', async () => {
    const other = job('other', { name: 'load' });
    const controller = fakeController([FINE, other]);
    const base = { ...emptyForm({ timezone: 'UTC', path: 'a.py' }), scheduleType: 'trigger' as const };
    widget = await renderForm(controller, { ...base, conditions: [{ jobId: 'other', on: 'success' }] });
    expect(widget.node.querySelector('[data-testid="field-operator"]')).toBeNull();
    expect(widget.node.textContent).not.toContain('(AND)');
    React.act(() => widget!.dispose());
    widget = await renderForm(controller, {
      ...base,
      conditions: [
        { jobId: 'other', on: 'success' },
        { jobId: 'fine', on: 'failure' }
      ]
    });
    const operator = widget.node.querySelector<HTMLSelectElement>('[data-testid="field-operator"]')!;
    expect(Array.from(operator.options).map(option => option.textContent)).toEqual([
      'all of these jobs',
      'any one of these jobs'
    ]);
    // JupyterLab's HTMLSelect: a wrapper with its dropdown arrow.
    expect(operator.parentElement!.classList).toContain('jp-HTMLSelect');
  });

  it('says the timeout default the same way in the placeholder and the help', async () => {
    const controller = fakeController([]);
    widget = await renderForm(controller, emptyForm({ timezone: 'UTC', path: 'a.py' }));
    await settle(50);
    const input = widget.node.querySelector<HTMLInputElement>('[data-testid="field-timeout"]')!;
    expect(input.placeholder).toBe('no timeout (server default)');
    expect(input.closest('[data-field="timeout"]')!.textContent).toContain('Empty: no timeout (server default).');
  });
});

describe('JobList cards', () => {
  const state: IJobListState = { search: '', status: 'all', sort: 'name' };

  it('shows the server words with the zone apart, the path by folder and file, a pipeline icon, paused dimmed', async () => {
    const pipeline = job('flow', {
      pipeline_path: 'pipelines/2026/quarterly/finance/flow.ampln',
      kind: 'python_code',
      trigger: 'At 09:00, Monday through Friday (Europe/Paris)',
      timezone: 'Europe/Paris',
      paused: true
    });
    const controller = fakeController([pipeline]);
    widget = await render(<JobList controller={controller} state={state} onState={() => undefined} highlight={null} />);
    const card = widget.node.querySelector('[data-job-id="flow"]')!;
    expect(card.classList).toContain('jp-mod-paused');
    expect(card.querySelector('.jp-PipelineScheduler-words')!.textContent).toBe('At 09:00, Monday through Friday');
    expect(card.querySelector('[data-testid="job-zone"]')!.textContent).toBe(' · Europe/Paris');
    expect(card.querySelector('.jp-PipelineScheduler-pathBase')!.textContent).toBe('flow.ampln');
    expect(card.querySelector('.jp-PipelineScheduler-pathDir')!.textContent).toBe('pipelines/2026/quarterly/finance/');
    expect(card.querySelector('.jp-PipelineScheduler-kindIcon svg')!.getAttribute('data-icon')).toBe(
      '@amphi/pipeline-scheduler:pipeline'
    );
    // Labelled actions (the labels hide by CSS where the sidebar is narrow).
    expect(card.querySelector('[data-testid="run-now"]')!.textContent).toBe('Run');
    expect(card.querySelector('[data-testid="run-now"]')!.getAttribute('title')).toBe('Run "flow" now');
  });
});

describe('JobList cards from the compact job list', () => {
  it('reads a missing field as empty: not paused, never run, the next run and the zone shown', async () => {
    const whole = job('nightly', {
      trigger: 'At 02:30 (Europe/Paris)',
      timezone: 'Europe/Paris',
      next_run_time: '2030-01-01T01:30:00+00:00',
      paused: false,
      last_run: null,
      retries: 0,
      env: { STAGE: 'prod' }
    });
    const listed = summaryOf(whole);
    expect(listed).not.toHaveProperty('paused');
    expect(listed).not.toHaveProperty('last_run');
    const controller = fakeController([listed as IJob]);
    widget = await render(
      <JobList controller={controller} state={{ search: '', status: 'never', sort: 'next' }} onState={() => undefined} highlight={null} />
    );
    const card = widget.node.querySelector('[data-job-id="nightly"]')!;
    expect(card.getAttribute('data-paused')).toBe('false');
    expect(card.querySelector('[data-testid="paused-badge"]')).toBeNull();
    expect(card.querySelector('[data-testid="job-last-run"]')).toBeNull();
    expect(card.textContent).toContain('never run');
    expect(card.querySelector('[data-testid="job-zone"]')!.textContent).toBe(' · Europe/Paris');
    expect(card.querySelector('[data-testid="job-next"]')!.textContent).not.toBe('none');
  });
});

describe('RunList', () => {
  it('says why a run failed, groups attempts, and lists deleted jobs by name in its filter', async () => {
    const runs: IRun[] = [
      run(12, {
        job_id: 'fine',
        job_name: 'fine',
        status: 'failure',
        attempt: 2,
        retry_of: 11,
        error: 'exited with code 1',
        output: 'x\n\x1b[31mValueError\x1b[0m: bad input\nexecuted notebook saved to /x.ipynb\n'
      }),
      run(11, { job_id: 'fine', job_name: 'fine', status: 'failure', attempt: 1, error: 'exited with code 1' }),
      run(10, { job_id: 'gone', job_name: 'old report', status: 'success' })
    ];
    const controller = fakeController([{ ...FINE, retries: 2 }], {
      listRuns: jest.fn(() => Promise.resolve(runs))
    });
    widget = await render(
      <RunList controller={controller} state={{ jobId: '', status: '' }} onState={() => undefined} />
    );
    await settle(50);
    const node = widget.node;
    const main = node.querySelectorAll('[data-testid="run"]');
    expect(Array.from(main).map(item => item.getAttribute('data-run-id'))).toEqual(['12', '10']);
    expect(node.querySelector('[data-testid="run-attempt"]')!.getAttribute('data-run-id')).toBe('11');
    expect(main[0].querySelector('[data-testid="run-attempt-label"]')!.textContent).toBe('attempt 2 of 3');
    expect(main[0].querySelector('[data-testid="run-error-tail"]')!.textContent).toBe('ValueError: bad input');
    const filter = node.querySelector<HTMLSelectElement>('[data-testid="run-job-filter"]')!;
    const group = filter.querySelector('optgroup')!;
    expect(group.getAttribute('label')).toBe('Deleted jobs');
    expect(group.querySelector('option')!.textContent).toBe('old report');
    expect(group.querySelector('option')!.getAttribute('value')).toBe('gone');
    // One refresh button (the panel's): none here.
    expect(node.querySelector('[data-testid="reload-runs"]')).toBeNull();
  });
});

describe('RunView', () => {
  it('shows the attempt, a truncated log and a failed notification; times with seconds', async () => {
    const failed = run(43, {
      job_id: 'fine',
      job_name: 'fine',
      status: 'failure',
      attempt: 2,
      retry_of: 41,
      error: 'exited with code 1',
      output: 'Traceback (most recent call last):\nKeyError: \'x\'\n',
      started_at: '2030-01-01T10:00:05+00:00',
      finished_at: '2030-01-01T10:00:09+00:00',
      duration: 4,
      exit_code: 1,
      log_truncated: 12_300_000,
      notification_error: 'SMTP server refused the message',
      warning: 'pipeline etl/sales.ampln changed since its code was generated on 2030-01-01 09:00:00 UTC'
    });
    const controller = fakeController([{ ...FINE, retries: 2 }], {
      getRun: jest.fn(() => Promise.resolve(failed)),
      getLog: jest
        .fn()
        .mockResolvedValueOnce({ text: '\x1b[32mstep 1\x1b[0m\nKeyError: \'x\'\n', nextOffset: 30, status: 'failure' })
        .mockResolvedValue({ text: '', nextOffset: 30, status: 'failure' }),
      listRuns: jest.fn(() =>
        Promise.resolve([failed, run(41, { job_id: 'fine', status: 'failure', attempt: 1 })])
      )
    });
    widget = await render(<RunView controller={controller} runId={43} />);
    await settle(50);
    const node = widget.node;
    expect(node.querySelector('[data-testid="run-error"]')!.textContent).toMatch(/^Failed: KeyError: 'x'/);
    expect(node.querySelector('[data-testid="notification-error"]')!.textContent).toContain(
      'SMTP server refused the message'
    );
    expect(node.querySelector('[data-testid="run-warning"]')!.textContent).toContain(
      'pipeline etl/sales.ampln changed since its code was generated'
    );
    expect(node.querySelector('[data-testid="log-truncated"]')!.textContent).toBe(
      'log truncated (12.3 MB dropped from the middle)'
    );
    expect(node.querySelector('[data-testid="detail-attempt"]')!.textContent).toContain('attempt 2 of 3');
    expect(node.querySelectorAll('[data-testid="attempt-link"]')).toHaveLength(2);
    expect(node.querySelector('[data-testid="detail-started"]')!.textContent).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:05$/);
    // ANSI colours rendered with JupyterLab's classes, not shown as escapes.
    const log = node.querySelector('[data-testid="run-log"]')!;
    expect(log.querySelector('.ansi-green-fg')!.textContent).toBe('step 1');
    expect(log.textContent).not.toContain('\x1b');
    // Labelled header buttons, all there (disabled when they do not apply).
    for (const id of ['pin-run', 'cancel-run', 'rerun', 'edit-job', 'job-runs', 'reload-run', 'delete-run']) {
      expect(node.querySelector(`[data-testid="${id}"]`)).not.toBeNull();
    }
    expect(node.querySelector('[data-testid="rerun"]')!.textContent).toBe('Rerun');
  });
});
