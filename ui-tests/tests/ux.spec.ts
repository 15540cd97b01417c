/**
 * What a new user stumbled on (issue #12), kept from coming back: fields that do not apply,
 * native controls, the form's buttons in sight, readable errors in the dark theme, one tab per
 * job, delete dialogs that say what happens, and the fields of runs retried by the server.
 */
import { expect, galata, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { APIRequestContext, Locator } from '@playwright/test';

import {
  API,
  card,
  contrastOf,
  createJob,
  form,
  galleryShot,
  jobAction,
  newJobForm,
  openPanel,
  panel,
  putFile,
  search,
  unique
} from './helpers';

test.use({
  serverFiles: 'off',
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    '@jupyterlab/apputils-extension:notification': {
      checkForUpdates: false,
      fetchNews: 'false'
    }
  }
});

const HELLO = 'print("hello from the scheduler")\n';
const COLOURS = [
  'print("\\033[32mstep 1: extract\\033[0m")',
  'print("step 2: transform " + "x" * 300)',
  'print("\\033[1;31mstep 3: load failed\\033[0m")',
  'raise SystemExit("the warehouse is down")',
  ''
].join('\n');

test.beforeAll(async ({ request }) => {
  await putFile(request, 'hello.py', HELLO);
  await putFile(request, 'colours.py', COLOURS);
});

/** Start a run through the API and wait until it has ended. */
async function runToEnd(request: APIRequestContext, jobId: string): Promise<any> {
  const started = await (await request.post(`${API}/jobs/${jobId}/runs`, { data: { triggered_by: 'api' } })).json();
  let run = started;
  await expect
    .poll(
      async () => {
        run = await (await request.get(`${API}/runs/${started.id}`)).json();
        return run.status;
      },
      { timeout: 30000 }
    )
    .toMatch(/^(success|failure)$/);
  return run;
}

/** The run view of the active main-area tab. */
function runView(page: IJupyterLabPageFixture): Locator {
  return page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) [data-testid="run-view"]');
}

test('the form shows only the fields that apply, with native selects and its buttons in sight', async ({
  page
}) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  const side = await openPanel(page);
  // "Live" is the normal state: nothing to read. The state is still there for assistive tech.
  await expect(side.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
  await expect(side.getByTestId('live-state')).toHaveText('');

  const f = await newJobForm(page);
  // A mouse click does not leave the toolbar button framed ("pressed").
  await expect(side.getByTestId('new-job')).not.toHaveAttribute('aria-pressed', 'true');
  // Every select is JupyterLab's HTMLSelect, with its dropdown arrow.
  const bare = await f.evaluate(node =>
    Array.from(node.querySelectorAll('select')).filter(
      select => !select.parentElement?.classList.contains('jp-HTMLSelect') || !select.parentElement.querySelector('svg')
    ).length
  );
  expect(bare).toBe(0);
  // "Create job" is in sight at 900 px without scrolling (a footer that stays).
  await expect(f.getByTestId('save')).toBeInViewport();
  await expect(f.getByTestId('save')).toHaveText('Create job');

  // Arguments: not for notebooks.
  await f.getByTestId('field-path').fill('report.ipynb');
  await expect(f.getByTestId('field-arguments')).toHaveCount(0);
  await f.getByTestId('field-path').fill('hello.py');
  await expect(f.getByTestId('field-arguments')).toBeVisible();

  // No clock, no zone and no missed runs: after other jobs, and on demand.
  await expect(f.getByTestId('field-catch-up')).toBeVisible();
  await f.getByTestId('field-schedule').selectOption('trigger');
  await expect(f.getByTestId('field-catch-up')).toHaveCount(0);
  await expect(f.getByTestId('field-timezone')).toHaveCount(0);
  await f.getByTestId('field-schedule').selectOption('manual');
  await expect(f.getByTestId('field-catch-up')).toHaveCount(0);
  await expect(f.getByTestId('schedule-words')).toHaveText('On demand');
  await expect(f.getByTestId('preview')).toContainText('only when started');

  // The timeout's placeholder says what its help says.
  const timeout = f.getByTestId('field-timeout');
  const placeholder = (await timeout.getAttribute('placeholder')) ?? '';
  expect(placeholder).toContain('server default');
  await expect(f.locator('[data-field="timeout"] .jp-PipelineScheduler-help')).toContainText(`Empty: ${placeholder}.`);

  // Saved as on demand: the card says so in the server's words.
  const name = unique('on-demand');
  await f.getByTestId('field-name').fill(name);
  await f.getByTestId('save').click();
  await expect(f).toHaveCount(0);
  await search(page, name);
  await expect(card(page, name).getByTestId('job-trigger')).toHaveText('On demand');
  await expect(card(page, name).getByTestId('job-next')).toHaveText('when started');
});

test('dark theme: error boxes read at 4.5:1 or more, measured from computed styles', async ({
  page,
  request
}) => {
  const job = await createJob(request, {
    name: unique('dark-fail'),
    pipeline_path: 'colours.py',
    schedule_type: 'manual'
  });
  const failed = await runToEnd(request, job.id);
  expect(failed.status).toBe('failure');

  await page.theme.setDarkTheme();
  await openPanel(page);
  await page.evaluate(
    async ({ id, jobId }) => {
      await (window as any).jupyterapp.commands.execute('pipeline-scheduler:open-run', { id, jobId });
    },
    { id: failed.id, jobId: job.id }
  );
  const view = runView(page);
  await expect(view).toHaveAttribute('data-status', 'failure');
  const box = view.getByTestId('run-error');
  await expect(box).toContainText('the warehouse is down');
  const boxContrast = await contrastOf(box);
  expect(boxContrast.ratio, JSON.stringify(boxContrast)).toBeGreaterThanOrEqual(4.5);
  const failedBadge = view.locator('.jp-PipelineScheduler-runHeader .jp-PipelineScheduler-badge');
  expect((await contrastOf(failedBadge)).ratio).toBeGreaterThanOrEqual(4.5);

  // The runs list's summary of a failure, and an error on a form field.
  await panel(page).getByTestId('tab-runs').click();
  await panel(page).getByTestId('run-job-filter').selectOption(job.id);
  const tailBox = panel(page).locator(`[data-run-id="${failed.id}"]`).getByTestId('run-error-tail');
  await expect(tailBox).toHaveText('the warehouse is down');
  expect((await contrastOf(tailBox)).ratio).toBeGreaterThanOrEqual(4.5);
  await galleryShot(page, 'dark');

  const f = await newJobForm(page);
  await f.getByTestId('field-path').fill('hello.py');
  await f.getByTestId('field-schedule').selectOption('cron');
  await f.getByTestId('field-cron').fill('61 * * * *');
  const fieldError = f.getByTestId('error-cronExpression');
  await expect(fieldError).toBeVisible();
  const fieldContrast = await contrastOf(fieldError);
  expect(fieldContrast.ratio, JSON.stringify(fieldContrast)).toBeGreaterThanOrEqual(4.5);
  await page.theme.setLightTheme();
});

test('one tab per job follows its newest run; a pinned tab stays on its run', async ({ page, request }) => {
  const name = unique('tabs');
  const job = await createJob(request, { name, pipeline_path: 'hello.py', schedule_type: 'manual' });
  const first = await runToEnd(request, job.id);
  const second = await runToEnd(request, job.id);
  const side = await openPanel(page);
  await side.getByTestId('tab-runs').click();
  await side.getByTestId('run-job-filter').selectOption(job.id);
  const views = page.locator('.jp-PipelineScheduler-runViewer');
  const openFromList = async (id: number): Promise<void> => {
    await side.locator(`[data-testid="run"][data-run-id="${id}"] .jp-PipelineScheduler-runMain`).click();
    await expect(runView(page)).toHaveAttribute('data-run-id', String(id));
  };

  await openFromList(first.id);
  await openFromList(second.id);
  await expect(views).toHaveCount(1); // the same tab, now on the second run
  await expect(page.locator('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current')).toContainText(
    `${name} · run #${second.id}`
  );

  // Pinned: the tab keeps its run; another run of the job opens a tab of its own.
  await runView(page).getByTestId('pin-run').click();
  await expect(runView(page)).toHaveAttribute('data-pinned', 'true');
  await openFromList(first.id);
  await expect(views).toHaveCount(2);

  // Run now: the job's unpinned tab follows the new run; the pinned one stays.
  await side.getByTestId('tab-jobs').click();
  await search(page, name);
  await card(page, name).getByTestId('run-now').click();
  const following = page.locator('.jp-PipelineScheduler-runViewer [data-pinned="false"]');
  await expect
    .poll(async () => Number(await following.getAttribute('data-run-id')))
    .toBeGreaterThan(second.id);
  await expect(page.locator('.jp-PipelineScheduler-runViewer [data-pinned="true"]')).toHaveAttribute(
    'data-run-id',
    String(second.id)
  );
  await expect(views).toHaveCount(2);
});

test('delete says what happens to the runs, does it, and names the jobs that wait by name', async ({
  page,
  request
}) => {
  const tag = unique('del');
  const kept = await createJob(request, { name: `${tag}-kept`, pipeline_path: 'hello.py', schedule_type: 'manual' });
  const purged = await createJob(request, { name: `${tag}-purged`, pipeline_path: 'hello.py', schedule_type: 'manual' });
  const upstream = await createJob(request, { name: `${tag}-upstream`, pipeline_path: 'hello.py', schedule_type: 'manual' });
  const downstream = await createJob(request, {
    name: `${tag}-downstream`,
    pipeline_path: 'hello.py',
    schedule_type: 'trigger',
    trigger_conditions: [{ job_id: upstream.id, on: 'success' }]
  });
  await runToEnd(request, kept.id);
  await runToEnd(request, purged.id);
  const runsOf = async (id: string): Promise<number> =>
    (await (await request.get(`${API}/runs?job_id=${id}`)).json()).runs.length;

  await openPanel(page);
  await search(page, tag);
  const dialog = page.locator('.jp-Dialog');

  // Default: the job goes, its runs stay, as the dialog says.
  await jobAction(page, card(page, `${tag}-kept`), 'pipeline-scheduler:delete-job');
  await expect(dialog).toContainText(`Delete "${tag}-kept"?`);
  await expect(dialog).toContainText('Its past runs and their logs are kept');
  await expect(dialog.locator('.jp-Dialog-checkbox input')).not.toBeChecked();
  await dialog.locator('.jp-Dialog-button.jp-mod-warn').click();
  await expect(card(page, `${tag}-kept`)).toHaveCount(0);
  expect((await request.get(`${API}/jobs/${kept.id}`)).status()).toBe(404);
  expect(await runsOf(kept.id)).toBe(1);
  // ...and the Runs tab still finds them, under the job's name.
  await panel(page).getByTestId('tab-runs').click();
  const filter = panel(page).getByTestId('run-job-filter');
  await expect(filter.locator('optgroup[label="Deleted jobs"] option', { hasText: `${tag}-kept` })).toHaveCount(1);
  await filter.selectOption(kept.id);
  await expect(panel(page).locator('[data-testid="run"]')).toHaveCount(1);

  // Asked to: the finished runs go too.
  await search(page, tag);
  await jobAction(page, card(page, `${tag}-purged`), 'pipeline-scheduler:delete-job');
  await dialog.locator('.jp-Dialog-checkbox input').check();
  await dialog.locator('.jp-Dialog-button.jp-mod-warn').click();
  await expect(card(page, `${tag}-purged`)).toHaveCount(0);
  await expect.poll(() => runsOf(purged.id)).toBe(0);

  // A job others run after: refused, naming them by name (not by id).
  await jobAction(page, card(page, `${tag}-upstream`), 'pipeline-scheduler:delete-job');
  await expect(dialog).toContainText(`"${tag}-upstream" cannot be deleted`);
  await expect(dialog).toContainText(`"${tag}-downstream" runs after "${tag}-upstream"`);
  await expect(dialog).not.toContainText(upstream.id);
  await expect(dialog).not.toContainText(downstream.id);
  await dialog.locator('.jp-Dialog-button.jp-mod-reject').click();
  expect((await request.get(`${API}/jobs/${upstream.id}`)).status()).toBe(200);
});

test('retried runs, a truncated log, a failed notification; the log renders colours, searches, wraps, downloads', async ({
  page,
  request
}) => {
  // `attempt`, `retry_of`, `log_truncated` and `notification_error` come with a coming server
  // version: the test adds them to the server's answers.
  const job = await createJob(request, {
    name: unique('retried'),
    pipeline_path: 'colours.py',
    schedule_type: 'manual'
  });
  const first = await runToEnd(request, job.id);
  const second = await runToEnd(request, job.id);
  const extra = (run: any): any =>
    run.id === second.id
      ? { ...run, attempt: 2, retry_of: first.id, log_truncated: 3_400_000, notification_error: 'SMTP refused the message' }
      : run.id === first.id
        ? { ...run, attempt: 1 }
        : run;
  await page.route(/\/pipeline-scheduler\/(runs|jobs)(\/[^/?]+)?(\?.*)?$/, async route => {
    if (route.request().method() !== 'GET') {
      return route.continue();
    }
    const response = await route.fetch();
    const body = await response.json();
    const patched = body.runs
      ? { ...body, runs: body.runs.map(extra) }
      : body.jobs
        ? { ...body, jobs: body.jobs.map((item: any) => (item.id === job.id ? { ...item, retries: 2 } : item)) }
        : body.id === job.id
          ? { ...body, retries: 2 }
          : typeof body.id === 'number'
            ? extra(body)
            : body;
    await route.fulfill({ response, json: patched });
  });

  const side = await openPanel(page);
  await side.getByTestId('tab-runs').click();
  await side.getByTestId('run-job-filter').selectOption(job.id);
  const newest = side.locator(`[data-testid="run"][data-run-id="${second.id}"]`);
  await expect(newest.getByTestId('run-attempt-label')).toHaveText('attempt 2 of 3');
  await expect(side.locator(`[data-testid="run-attempt"][data-run-id="${first.id}"]`)).toBeVisible();
  await expect(newest.getByTestId('run-error-tail')).toHaveText('the warehouse is down');

  await newest.locator('.jp-PipelineScheduler-runMain').click();
  const view = runView(page);
  await expect(view).toHaveAttribute('data-run-id', String(second.id));
  await expect(view.getByTestId('log-truncated')).toHaveText('log truncated (3.4 MB dropped from the middle)');
  await expect(view.getByTestId('notification-error')).toContainText('SMTP refused the message');
  await expect(view.getByTestId('detail-attempt')).toContainText('attempt 2 of 3');
  await expect(view.getByTestId('attempt-link')).toHaveCount(2);
  await expect(view.getByTestId('detail-started')).toHaveText(/^\S+ \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

  // The log: colours rendered (no escape codes), numbered lines, search, wrap, download.
  const log = view.getByTestId('run-log');
  await expect(log.locator('.ansi-green-fg')).toHaveText('step 1: extract');
  await expect(log.locator('.ansi-red-fg.ansi-bold')).toHaveText('step 3: load failed');
  await expect(log).not.toContainText('[32m');
  await expect(log.locator('[data-line="4"] .jp-PipelineScheduler-lineNumber')).toHaveText('4');
  await view.getByTestId('log-search').fill('step');
  await expect(view.getByTestId('log-matches')).toHaveText('1 of 3');
  await view.getByTestId('log-search').press('Enter');
  await expect(view.getByTestId('log-matches')).toHaveText('2 of 3');
  await expect(log.locator('mark.jp-mod-current')).toHaveText('step');
  await expect(log).toHaveAttribute('data-wrap', 'true');
  await view.getByTestId('log-wrap').click();
  await expect(log).toHaveAttribute('data-wrap', 'false');
  const download = page.waitForEvent('download');
  await view.getByTestId('log-download').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`${second.execution_id}.log`);
  await page.unroute(/\/pipeline-scheduler\/(runs|jobs)(\/[^/?]+)?(\?.*)?$/);
});
