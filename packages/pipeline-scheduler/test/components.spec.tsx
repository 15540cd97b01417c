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

import { JobForm } from '../src/components/JobForm';
import { IJobListState, JobList } from '../src/components/JobList';
import type { SchedulerController } from '../src/controller';
import { emptyForm, formFromJob, IJobFormState } from '../src/payload';
import { IJob } from '../src/tokens';
import { job, unreadableJob } from './fixtures';

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

const FINE = job('fine', { cron_expression: '*/5 * * * *' });

function fakeController(jobs: IJob[]): SchedulerController {
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
      job: (id: string) => byId.get(id)
    },
    api: { preview: jest.fn(() => new Promise(() => undefined)) },
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
    expect(corrupt.querySelector('[data-testid="broken-reason"]')!.textContent).toBe(UNREADABLE.broken);
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

  it('offers the reason, Edit and Delete on a broken card', async () => {
    const controller = fakeController([UNREADABLE]);
    widget = await render(<JobList controller={controller} state={state} onState={() => undefined} highlight={null} />);
    const card = widget.node.querySelector('[data-job-id="corrupt"]')!;
    await click(card.querySelector('[data-testid="broken-reason"]'));
    expect(controller.explainBroken).toHaveBeenCalledWith(UNREADABLE);
    await click(card.querySelector('[data-testid="edit"]'));
    expect(controller.editJob).toHaveBeenCalledWith(UNREADABLE);
    await click(card.querySelector('[data-testid="delete"]'));
    expect(controller.deleteJob).toHaveBeenCalledWith(UNREADABLE);
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
