/**
 * The Pipeline Scheduler in a real JupyterLab, in Chromium: entry points, the job form for every
 * trigger type with its preview, run now with the live log, edit / pause / resume / duplicate /
 * delete, server validation errors on their field, monthly schedules on the last day of the month,
 * a broken job (its file vanished) shown and fixed, and scheduling from the file browser, the
 * notebook toolbar and the Launcher.
 */
import { expect, galata, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

import {
  API,
  card,
  createJob,
  form,
  galleryShot,
  jobAction,
  jobByName,
  keepScreenshot,
  newJobForm,
  openPanel,
  openPanelFromPalette,
  panel,
  putFile,
  putNotebook,
  saveForm,
  search,
  unique,
  updateDocs
} from './helpers';

const HELLO = 'print("hello from the scheduler")\n';
const SLOW = [
  'import time',
  'for step in range(8):',
  '    print(f"step {step}", flush=True)',
  '    time.sleep(0.5)',
  'print("all done")',
  ''
].join('\n');
const FAIL = 'print("connecting to the warehouse")\nraise SystemExit("boom: the warehouse is down")\n';

test.use({
  // The scheduler writes its database and logs under the root: keep galata's temp dirs tidy.
  serverFiles: 'off',
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    '@jupyterlab/apputils-extension:notification': {
      checkForUpdates: false,
      fetchNews: 'false'
    }
  }
});

test.beforeAll(async ({ request }) => {
  await putFile(request, 'hello.py', HELLO);
  await putFile(request, 'slow.py', SLOW);
  await putFile(request, 'fail.py', FAIL);
});

test.describe('entry points', () => {
  test('opens the panel from the command palette', async ({ page }) => {
    const side = await openPanelFromPalette(page);
    await expect(side.getByRole('tab', { name: 'Jobs' })).toHaveAttribute('aria-selected', 'true');
    await expect(side.getByTestId('job-count')).toBeVisible();
    // Live updates come from the server's event stream.
    await expect(side.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
    // "New scheduled job" is in the palette too.
    await page.keyboard.press('Control+Shift+C');
    await page.locator('#command-palette .lm-CommandPalette-input').fill('New scheduled job');
    await page
      .locator('#command-palette .lm-CommandPalette-item', { hasText: 'New scheduled job' })
      .first()
      .click();
    await expect(form(page)).toBeVisible();
  });

  test('Launcher card opens the job form', async ({ page }) => {
    await page.evaluate(async () => {
      await (window as any).jupyterapp.commands.execute('launcher:create');
    });
    const launcherCard = page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) .jp-LauncherCard', {
      hasText: 'Scheduled Job'
    });
    await expect(launcherCard).toBeVisible();
    await launcherCard.click();
    await expect(form(page)).toBeVisible();
    await expect(form(page).getByTestId('field-path')).toHaveValue('');
  });
});

test.describe('panel state', () => {
  test('the panel, its tab and filters come back after a reload', async ({ page }) => {
    const side = await openPanel(page);
    await side.getByTestId('tab-runs').click();
    await side.getByTestId('run-status-filter').selectOption('failure');
    // The layout and the panel state are saved shortly after a change.
    await page.waitForTimeout(1500);
    await page.reload();
    await expect(panel(page)).toBeVisible();
    await expect(panel(page).getByTestId('tab-runs')).toHaveAttribute('aria-selected', 'true');
    await expect(panel(page).getByTestId('run-status-filter')).toHaveValue('failure');
  });
});

test.describe('job form', () => {
  test('creates a job of each trigger type, with the next-fire preview', async ({
    page,
    request
  }) => {
    const tag = unique('kind');
    await openPanel(page);
    const names: Record<string, string> = {};

    // kind → how to fill the schedule, words expected on the card, preview size
    const cases: Array<{
      kind: string;
      fill: (f: ReturnType<typeof form>) => Promise<void>;
      words: RegExp;
      previews: number;
    }> = [
      {
        kind: 'once',
        fill: async f => {
          await f.getByTestId('field-run-date').fill('2030-01-02 09:30');
        },
        words: /Once, on 2030-01-02 at 09:30/,
        previews: 1
      },
      {
        kind: 'daily',
        fill: async f => {
          await f.getByTestId('field-run-date').fill('2030-01-02 09:30');
        },
        words: /Every day at 09:30/,
        previews: 5
      },
      {
        kind: 'weekly',
        fill: async f => {
          await f.getByTestId('field-run-date').fill('2030-01-02 09:30');
        },
        words: /Every Wednesday at 09:30/,
        previews: 5
      },
      {
        kind: 'monthly',
        fill: async f => {
          await f.getByTestId('field-run-date').fill('2030-01-02 09:30');
        },
        words: /Every month on day 2 at 09:30/,
        previews: 5
      },
      {
        kind: 'every_x_days',
        fill: async f => {
          await f.getByTestId('field-every-days').fill('3');
          await f.getByTestId('field-run-date').fill('2030-01-02 09:30');
        },
        words: /Every 3 days at 09:30/,
        previews: 5
      },
      {
        kind: 'interval',
        fill: async f => {
          await f.getByTestId('field-interval').fill('90');
          await f.getByTestId('field-interval-unit').selectOption('minutes');
        },
        words: /Every 1 hour 30 minutes/,
        previews: 5
      },
      {
        kind: 'cron',
        fill: async f => {
          await f.getByTestId('field-cron').fill('*/15 9-17 * * 1-5');
          // Explained in words as you type: the server's words, shown once.
          await expect(f.getByTestId('schedule-words')).toHaveText(
            'Every 15 minutes, between 09:00 and 17:59, Monday through Friday'
          );
          await f.getByTestId('field-timezone').selectOption('Europe/Paris');
          await expect(f.getByTestId('preview')).toContainText('Europe/Paris');
        },
        words: /Every 15 minutes, between 09:00 and 17:59, Monday through Friday/,
        previews: 5
      },
      {
        kind: 'trigger',
        fill: async f => {
          await f.getByTestId('add-condition').click();
          await f.getByTestId('condition-job').selectOption({ label: names.once });
          await f.getByTestId('condition-on').selectOption('failure');
          await f.getByTestId('add-condition').click();
          await f.getByTestId('condition-job').nth(1).selectOption({ label: names.daily });
          // "All or any" is asked only once there are two jobs to wait for.
          await f.getByTestId('field-operator').selectOption('OR');
        },
        // The server's words, as the CLI and the API say them.
        words: /After kind-.*-once fails or kind-.*-daily succeeds/,
        previews: 0
      }
    ];

    for (const item of cases) {
      const name = `${tag}-${item.kind}`;
      names[item.kind] = name;
      const f = await newJobForm(page);
      if (item.kind === 'once') {
        // Pick the target with JupyterLab's own file dialog.
        await f.getByTestId('browse').click();
        const dialog = page.locator('.jp-Dialog');
        await expect(dialog).toBeVisible();
        await dialog.locator('.jp-DirListing-item', { hasText: 'hello.py' }).click();
        await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
        await expect(f.getByTestId('field-path')).toHaveValue('hello.py');
      } else {
        await f.getByTestId('field-path').fill('hello.py');
      }
      await f.getByTestId('field-name').fill(name);
      await f.getByTestId('field-schedule').selectOption(item.kind);
      await item.fill(f);
      if (item.previews > 0) {
        // The next fire times come from POST triggers/preview.
        await expect(f.getByTestId('preview-times').locator('li')).toHaveCount(item.previews);
      } else {
        await expect(f.getByTestId('preview')).toContainText('No clock');
      }
      await expect(f.getByTestId('schedule-words')).toHaveText(item.words);
      if (item.kind === 'cron') {
        await keepScreenshot(page, 'form');
        await galleryShot(page, 'form');
      }
      await saveForm(page, f, name);
      await search(page, name);
      await expect(card(page, name).getByTestId('job-trigger')).toHaveText(item.words);
      if (item.kind === 'cron') {
        await expect(card(page, name).getByTestId('job-trigger')).toContainText('Europe/Paris');
      }
      await search(page, '');
    }

    // What the server stored.
    const cron = await jobByName(request, names.cron);
    expect(cron.schedule_type).toBe('cron');
    expect(cron.cron_expression).toBe('*/15 9-17 * * 1-5');
    expect(cron.timezone).toBe('Europe/Paris');
    const interval = await jobByName(request, names.interval);
    expect(interval.interval_minutes).toBe(90);
    const trigger = await jobByName(request, names.trigger);
    expect(trigger.logical_operator).toBe('OR');
    expect(trigger.trigger_conditions).toHaveLength(2);
    const weekly = await jobByName(request, names.weekly);
    expect(weekly.date_type).toBe('weekly');
  });

  test('monthly on the last day of each month: words, preview and round trip', async ({
    page,
    request
  }) => {
    const name = unique('month-end');
    await openPanel(page);
    const f = await newJobForm(page);
    await f.getByTestId('field-path').fill('hello.py');
    await f.getByTestId('field-name').fill(name);
    await f.getByTestId('field-schedule').selectOption('monthly');
    await f.getByTestId('field-timezone').selectOption('UTC');
    await f.getByTestId('field-run-date').fill('2030-01-31 09:00');
    const times = f.getByTestId('preview-times').locator('li');

    // Day 31 without the option: months that lack it are skipped, and the form says so.
    const lastDay = f.getByTestId('field-last-day');
    await expect(lastDay).not.toBeChecked();
    await expect(f.getByTestId('monthly-skip-hint')).toHaveText('Months without day 31 are skipped.');
    await expect(f.getByTestId('schedule-words')).toHaveText('Every month on day 31 at 09:00');
    await expect(times.nth(1)).toHaveAttribute('title', /^2030-03-31T09:00/);

    // With it: the last day of every month (the preview comes from POST triggers/preview).
    await lastDay.check();
    await expect(f.getByTestId('monthly-skip-hint')).toHaveCount(0);
    await expect(f.getByTestId('schedule-words')).toHaveText('Every month on the last day at 09:00');
    await expect(times).toHaveCount(5);
    const expected = ['2030-01-31', '2030-02-28', '2030-03-31', '2030-04-30', '2030-05-31'];
    for (const [index, day] of expected.entries()) {
      await expect(times.nth(index)).toHaveAttribute('title', new RegExp(`^${day}T09:00`));
    }
    // One date format in the form: the words', the field's and the preview's.
    await expect(times.nth(0)).toContainText('2030-01-31 09:00');
    await expect(times.nth(1)).toContainText('2030-02-28 09:00');
    await keepScreenshot(f, 'form-last-day');

    const jobCard = await saveForm(page, f, name);
    await search(page, name);
    await expect(jobCard.getByTestId('job-trigger')).toContainText('Every month on the last day at 09:00');
    const stored = await jobByName(request, name);
    expect(stored.date_type).toBe('monthly');
    expect(stored.last_day_of_month).toBe(true);
    expect(stored.next_run_time).toMatch(/^2030-01-31T09:00/);

    // Edit: the option comes back checked.
    await jobCard.getByTestId('edit').click();
    const edit = form(page);
    await expect(edit.getByTestId('field-last-day')).toBeChecked();
    await expect(edit.getByTestId('schedule-words')).toHaveText('Every month on the last day at 09:00');
    await edit.getByTestId('cancel').click();
    await expect(edit).toHaveCount(0);
  });

  test('an error shows once, on its field, in plain words; submit disabled while invalid', async ({
    page
  }) => {
    await openPanel(page);
    const f = await newJobForm(page);
    await f.getByTestId('field-path').fill('hello.py');
    await f.getByTestId('field-name').fill(unique('invalid'));
    await f.getByTestId('field-schedule').selectOption('cron');
    await f.getByTestId('field-cron').fill('61 * * * *');
    // The server refuses the schedule as you type: on the field, once, without its REST name.
    const cronError = f.getByTestId('error-cronExpression');
    await expect(cronError).toHaveText(/^The minute field '61' is not valid/);
    await expect(f.locator('.jp-PipelineScheduler-fieldError')).toHaveCount(1);
    await expect(f).not.toContainText('cron_expression');
    await expect(f).not.toContainText('invalid cron expression');
    await expect(f.getByTestId('preview')).not.toContainText('61');
    const field = f.getByTestId('field-cron');
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    // A red frame, and the cron field in the code font.
    const look = await field.evaluate(node => {
      const style = getComputedStyle(node);
      const probe = document.createElement('span');
      probe.style.color = 'var(--jp-error-color1)';
      document.body.appendChild(probe);
      const red = getComputedStyle(probe).color;
      probe.remove();
      return { border: style.borderTopColor, red, font: style.fontFamily };
    });
    expect(look.border).toBe(look.red);
    expect(look.font.toLowerCase()).toContain('mono');
    await expect(f.getByTestId('save')).toBeDisabled();
    await keepScreenshot(page, 'form-validation');

    // Fixed: the error goes, the button comes back; a refusal on save lands on its field too.
    await field.fill('0 * * * *');
    await expect(cronError).toHaveCount(0);
    await expect(f.getByTestId('save')).toBeEnabled();
    await f.getByTestId('field-path').fill('../outside.py');
    await f.getByTestId('save').click();
    await expect(f.getByTestId('error-path')).toContainText('outside the server root');
    await expect(f.getByTestId('error-path')).not.toContainText('pipeline_path');
    await expect(f.locator('.jp-PipelineScheduler-fieldError')).toHaveCount(1);
    await expect(f.getByTestId('field-path')).toHaveAttribute('aria-invalid', 'true');
    await expect(f.getByTestId('save')).toBeDisabled();
    await expect(f).toBeVisible(); // nothing was saved; the form stays
  });
});

test.describe('runs', () => {
  test('run now: the log streams live, then the run is recorded', async ({ page, request }) => {
    const name = unique('slow');
    await createJob(request, {
      name,
      pipeline_path: 'slow.py',
      schedule_type: 'cron',
      cron_expression: '0 3 * * *'
    });
    const failing = unique('failing');
    const failingJob = await createJob(request, {
      name: failing,
      pipeline_path: 'fail.py',
      schedule_type: 'date',
      date_type: 'daily',
      run_date: '2030-01-01T06:00:00'
    });
    await request.post(`${API}/jobs/${failingJob.id}/runs`, { data: { triggered_by: 'api' } });

    await openPanel(page);
    await search(page, name);
    const jobCard = card(page, name);
    await jobCard.getByTestId('run-now').click();
    // The card learns of the run at once; open it from the last-run badge.
    const lastRun = jobCard.getByTestId('job-last-run');
    await expect(lastRun).toBeVisible();
    await lastRun.click();

    const view = page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) [data-testid="run-view"]');
    await expect(view).toBeVisible();
    await expect(view.getByTestId('log-state')).toHaveText('streaming live…');
    await expect(view.getByTestId('run-log')).toContainText('step 2');
    await expect(view).toHaveAttribute('data-status', 'running');
    await galleryShot(page, 'run-live');
    // A stable layout: nothing moves when the run ends.
    const logTop = (await view.getByTestId('run-log').boundingBox())!.y;
    await expect(view).toHaveAttribute('data-status', 'success', { timeout: 30000 });
    expect((await view.getByTestId('run-log').boundingBox())!.y).toBe(logTop);
    await expect(view.getByTestId('run-log')).toContainText('all done');
    await expect(view.getByTestId('run-log')).toContainText('step 7');
    await keepScreenshot(page, 'run-log');

    // The list updated live (server events): last run succeeded.
    await expect(
      jobCard.getByTestId('job-last-run').locator('[data-status]')
    ).toHaveAttribute('data-status', 'success');

    // Rerun from the run view, then cancel the new run.
    const firstRunId = (await view.getAttribute('data-run-id')) ?? '';
    await view.getByTestId('rerun').click();
    const rerun = page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) [data-testid="run-view"]');
    await expect(rerun).not.toHaveAttribute('data-run-id', firstRunId);
    await expect(rerun.getByTestId('run-log')).toContainText('step 0');
    await rerun.getByTestId('cancel-run').click();
    await expect(rerun).toHaveAttribute('data-status', 'cancelled');

    // The runs view across jobs, filtered by status: the failed run shows its error tail.
    await panel(page).getByTestId('tab-runs').click();
    await panel(page).getByTestId('run-status-filter').selectOption('failure');
    const failedRun = panel(page).locator('[data-testid="run"]', { hasText: failing }).first();
    await expect(failedRun).toBeVisible();
    await expect(failedRun.getByTestId('run-error-tail')).toContainText('boom: the warehouse is down');
    // Per-job runs: filter by the job.
    await panel(page).getByTestId('run-status-filter').selectOption('');
    await panel(page).getByTestId('run-job-filter').selectOption({ label: name });
    await expect(panel(page).locator('[data-testid="run"]')).toHaveCount(2);
    await expect(panel(page).locator('[data-testid="run"][data-status="success"]')).toHaveCount(1);
    await expect(panel(page).locator('[data-testid="run"][data-status="cancelled"]')).toHaveCount(1);

    await keepScreenshot(panel(page), 'runs');
  });
});

test.describe('job actions', () => {
  test('edit (PUT), pause, resume, duplicate and delete', async ({ page, request }) => {
    const name = unique('edit-me');
    const job = await createJob(request, {
      name,
      pipeline_path: 'hello.py',
      schedule_type: 'cron',
      cron_expression: '0 6 * * *',
      timezone: 'UTC'
    });
    await openPanel(page);
    await search(page, name);
    let jobCard = card(page, name);
    await expect(jobCard.getByTestId('job-trigger')).toHaveText('At 06:00 · UTC');

    // Edit: the form is prefilled, the change is a PUT on the same id.
    await jobCard.getByTestId('edit').click();
    const f = form(page);
    await expect(f.getByTestId('field-name')).toHaveValue(name);
    await expect(f.getByTestId('field-cron')).toHaveValue('0 6 * * *');
    const renamed = `${name}-edited`;
    await f.getByTestId('field-name').fill(renamed);
    await f.getByTestId('field-cron').fill('0 7 * * 1');
    await f.getByTestId('add-env').click();
    await f.getByLabel('Name of variable 1').fill('STAGE');
    await f.getByLabel('Value of variable 1').fill('prod');
    await f.getByTestId('field-timeout').fill('120');
    await expect(f.getByTestId('schedule-words')).toHaveText('At 07:00, only on Monday');
    await f.getByTestId('save').click();
    await expect(f).toHaveCount(0);
    await search(page, renamed);
    jobCard = card(page, renamed);
    await expect(jobCard.getByTestId('job-trigger')).toContainText('At 07:00, only on Monday');
    const edited = await (await request.get(`${API}/jobs/${job.id}`)).json();
    expect(edited.name).toBe(renamed);
    expect(edited.cron_expression).toBe('0 7 * * 1');
    expect(edited.env).toEqual({ STAGE: 'prod' });
    expect(edited.timeout).toBe(120);

    // Pause and resume (from the card's menu of actions).
    await jobAction(page, jobCard, 'pipeline-scheduler:toggle-pause-job', 'Pause');
    await expect(jobCard).toHaveAttribute('data-paused', 'true');
    await expect(jobCard.getByTestId('paused-badge')).toBeVisible();
    await expect(jobCard.getByTestId('job-next')).toHaveText('paused');
    expect((await (await request.get(`${API}/jobs/${job.id}`)).json()).paused).toBe(true);
    await jobAction(page, jobCard, 'pipeline-scheduler:toggle-pause-job', 'Resume');
    await expect(jobCard).toHaveAttribute('data-paused', 'false');
    await expect(jobCard.getByTestId('paused-badge')).toHaveCount(0);
    expect((await (await request.get(`${API}/jobs/${job.id}`)).json()).paused).toBe(false);

    // Duplicate: a new job with the same settings.
    await jobAction(page, jobCard, 'pipeline-scheduler:duplicate-job');
    const copy = form(page);
    await expect(copy.getByTestId('field-name')).toHaveValue(`${renamed} (copy)`);
    await copy.getByTestId('save').click();
    await expect(copy).toHaveCount(0);
    await search(page, renamed);
    await expect(panel(page).locator('[data-testid="job"]')).toHaveCount(2);
    const duplicate = await jobByName(request, `${renamed} (copy)`);
    expect(duplicate.id).not.toBe(job.id);
    expect(duplicate.cron_expression).toBe('0 7 * * 1');

    // Delete, after confirmation.
    await jobAction(page, card(page, renamed), 'pipeline-scheduler:delete-job');
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText(renamed);
    await dialog.locator('.jp-Dialog-button.jp-mod-warn').click();
    await expect(card(page, renamed)).toHaveCount(0);
    expect((await request.get(`${API}/jobs/${job.id}`)).status()).toBe(404);
  });
});

test.describe('broken jobs', () => {
  test('a job whose file vanished shows as broken; fixing its file and saving clears it', async ({
    page,
    request
  }) => {
    const tag = unique('vanish');
    const file = `${tag}.py`;
    await putFile(request, file, HELLO);
    const name = `${tag}-job`;
    const job = await createJob(request, {
      name,
      pipeline_path: file,
      schedule_type: 'cron',
      cron_expression: '0 6 * * *',
      timezone: 'UTC'
    });
    // The file goes away; the next run fails saying why, and the job is marked broken.
    expect((await request.delete(`/api/contents/${file}`)).ok()).toBeTruthy();
    await request.post(`${API}/jobs/${job.id}/runs`, { data: { triggered_by: 'api' } });
    await expect
      .poll(async () => (await (await request.get(`${API}/jobs/${job.id}`)).json()).broken ?? '')
      .toContain('cannot run');

    await openPanel(page);
    await search(page, name);
    const jobCard = card(page, name);
    await expect(jobCard).toHaveAttribute('data-broken', 'true');
    const badge = jobCard.getByTestId('broken-badge');
    await expect(badge).toBeVisible();
    await expect(badge).toHaveAttribute('title', /no such file/);
    await expect(jobCard.getByTestId('broken-reason')).toContainText('Cannot run: no such file');
    await keepScreenshot(panel(page), 'broken-job');

    // The status filter finds it.
    await panel(page).getByTestId('job-status-filter').selectOption('broken');
    await expect(jobCard).toBeVisible();

    // The reason opens a dialog with the full text and "Edit job".
    await jobCard.getByTestId('broken-reason').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.getByTestId('broken-dialog-reason')).toContainText('no such file');
    await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
    const f = form(page);
    await expect(f.getByTestId('form-broken')).toContainText('Cannot run: no such file');
    await expect(f.getByTestId('field-path')).toHaveValue(file);

    // Put the file back and save (PUT): the job is fine again.
    await putFile(request, file, HELLO);
    await f.getByTestId('save').click();
    await expect(f).toHaveCount(0);
    await panel(page).getByTestId('job-status-filter').selectOption('all');
    await search(page, name);
    await expect(jobCard).toHaveAttribute('data-broken', 'false');
    await expect(jobCard.getByTestId('broken-badge')).toHaveCount(0);
    expect((await (await request.get(`${API}/jobs/${job.id}`)).json()).broken).toBeUndefined();
  });
});

test.describe('scheduling files', () => {
  test('schedules a notebook from the file-browser context menu', async ({
    page,
    request,
    tmpPath
  }) => {
    const notebook = `${tmpPath}/report.ipynb`;
    await putNotebook(request, notebook, 'report ready');
    await page.filebrowser.openDirectory(tmpPath);
    const item = page.locator('.jp-DirListing-item', { hasText: 'report.ipynb' });
    await expect(item).toBeVisible();
    await item.click({ button: 'right' });
    const menuItem = page.locator('.lm-Menu-item', { hasText: 'Schedule…' });
    await expect(menuItem).toBeVisible();
    await menuItem.click();

    const f = form(page);
    await expect(f.getByTestId('field-path')).toHaveValue(notebook);
    await expect(f.getByTestId('field-name')).toHaveValue('report');
    const name = unique('report');
    await f.getByTestId('field-name').fill(name);
    await f.getByTestId('field-schedule').selectOption('interval');
    await f.getByTestId('field-interval').fill('6');
    await f.getByTestId('field-interval-unit').selectOption('hours');
    await expect(f.getByTestId('preview-times').locator('li')).toHaveCount(5);
    await saveForm(page, f, name);
    const job = await jobByName(request, name);
    expect(job.kind).toBe('notebook');
    expect(job.pipeline_path).toBe(notebook);

    // No "Schedule…" on a file kind the scheduler cannot run.
    await putFile(request, `${tmpPath}/notes.txt`, 'hello');
    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.refresh();
    await page.locator('.jp-DirListing-item', { hasText: 'notes.txt' }).click({ button: 'right' });
    await expect(page.locator('.lm-Menu-item', { hasText: 'Rename' })).toBeVisible();
    await expect(page.locator('.lm-Menu-item', { hasText: 'Schedule…' })).toBeHidden();
    await page.keyboard.press('Escape');
  });

  test('the notebook toolbar has a Schedule button', async ({ page, request, tmpPath }) => {
    const notebook = `${tmpPath}/toolbar.ipynb`;
    await putNotebook(request, notebook, 'from the toolbar');
    await page.filebrowser.openDirectory(tmpPath);
    await page.locator('.jp-DirListing-item', { hasText: 'toolbar.ipynb' }).dblclick();
    const button = page.locator(
      '.jp-NotebookPanel:not(.lm-mod-hidden) [data-jp-item-name="pipeline-scheduler-schedule"]'
    );
    await expect(button).toBeVisible();
    // Its clock icon and its "Schedule" label do not touch.
    const icon = await button.locator('svg').first().boundingBox();
    const label = await button.locator('.jp-ToolbarButtonComponent-label').boundingBox();
    expect(icon && label).toBeTruthy();
    expect(label!.x - (icon!.x + icon!.width)).toBeGreaterThanOrEqual(3);
    const control = await button.locator('button, jp-button').first().elementHandle();
    await control!.click();
    await expect(form(page).getByTestId('field-path')).toHaveValue(notebook);
    // An action, not a toggle: not left "pressed" (a dark frame) after the click.
    expect(await control!.getAttribute('aria-pressed')).not.toBe('true');
  });

  test('.ampln pipelines: code generated on save and again before run now', async ({
    page,
    request,
    tmpPath
  }) => {
    const pipeline = `${tmpPath}/flow.ampln`;
    await putFile(request, pipeline, JSON.stringify({ doc: { nodes: [], edges: [] } }));
    await openPanel(page);

    // Without the pipeline editor, the form says so and does not save.
    let f = await newJobForm(page);
    await f.getByTestId('field-path').fill(pipeline);
    await expect(f.getByTestId('ampln-note')).toContainText('pipeline-editor:generate-code');
    await expect(f.getByTestId('save')).toBeDisabled();
    await f.getByTestId('cancel').click();

    // With it (a stand-in command), the generated code is sent as python_code.
    await page.evaluate(() => {
      const app = (window as any).jupyterapp;
      let generation = 0;
      app.commands.addCommand('pipeline-editor:generate-code', {
        execute: (args: { json: string }) => {
          generation += 1;
          JSON.parse(args.json); // the pipeline file, as text
          return 'print("generated code, version ' + generation + '")';
        }
      });
    });
    f = await newJobForm(page);
    const name = unique('flow');
    await f.getByTestId('field-path').fill(pipeline);
    await f.getByTestId('field-name').fill(name);
    await expect(f.getByTestId('ampln-note')).toContainText('generated when you save');
    await f.getByTestId('field-schedule').selectOption('daily');
    await saveForm(page, f, name);
    const job = await jobByName(request, name);
    expect(job.kind).toBe('python_code');
    expect(job.pipeline_path).toBe(pipeline);
    expect(job.python_code).toContain('version 1');

    // Run now regenerates the code first.
    await search(page, name);
    await card(page, name).getByTestId('run-now').click();
    await card(page, name).getByTestId('job-last-run').click();
    const view = page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) [data-testid="run-view"]');
    await expect(view).toHaveAttribute('data-status', 'success', { timeout: 30000 });
    await expect(view.getByTestId('run-log')).toContainText('generated code, version 2');
  });
});

test.describe('documentation', () => {
  test('screenshot of the panel next to a run log (README)', async ({ page, request }, testInfo) => {
    // Plain names for the picture; a retry on the same server needs new ones.
    const name = (base: string): string => (testInfo.retry ? `${base}-${testInfo.retry}` : base);
    const etl = await createJob(request, {
      name: name('nightly-etl'),
      pipeline_path: 'slow.py',
      schedule_type: 'cron',
      cron_expression: '30 2 * * 1-5',
      timezone: 'Europe/Paris'
    });
    await createJob(request, {
      name: name('refresh-dashboards'),
      pipeline_path: 'hello.py',
      schedule_type: 'interval',
      interval_minutes: 30
    });
    await createJob(request, {
      name: name('publish-report'),
      pipeline_path: 'hello.py',
      schedule_type: 'trigger',
      trigger_conditions: [{ job_id: etl.id, on: 'success' }]
    });
    const sync = await createJob(request, {
      name: name('sync-warehouse'),
      pipeline_path: 'fail.py',
      schedule_type: 'date',
      date_type: 'daily',
      run_date: '2030-01-01T06:00:00',
      timezone: 'UTC'
    });
    await createJob(request, {
      name: name('monthly-invoices'),
      pipeline_path: 'hello.py',
      schedule_type: 'date',
      date_type: 'monthly',
      run_date: '2030-01-01T07:00:00',
      paused: true
    });
    await request.post(`${API}/jobs/${sync.id}/runs`, { data: { triggered_by: 'manual' } });
    const run = await (await request.post(`${API}/jobs/${etl.id}/runs`, { data: { triggered_by: 'manual' } })).json();

    await openPanel(page);
    await panel(page).getByTestId('job-sort').selectOption('created');
    // A wider sidebar shows the schedules in full.
    const handle = page.locator('#jp-main-split-panel > .lm-SplitPanel-handle').first();
    const box = await handle.boundingBox();
    if (box) {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + 110, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
    }
    await page.evaluate(async id => {
      await (window as any).jupyterapp.commands.execute('pipeline-scheduler:open-run', { id });
    }, run.id);
    const view = page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) [data-testid="run-view"]');
    await expect(view).toHaveAttribute('data-status', 'success', { timeout: 30000 });
    await expect(card(page, name('publish-report')).getByTestId('job-last-run')).toBeVisible();
    await expect(page.locator('.Toastify__toast')).toHaveCount(0, { timeout: 15000 });
    await keepScreenshot(panel(page), 'panel');
    await keepScreenshot(page, 'readme');
    await galleryShot(panel(page), 'panel');

    // A failed run: why it failed, at the top, readable at a glance.
    const runs = (await (await request.get(`${API}/runs?job_id=${sync.id}`)).json()).runs;
    await page.evaluate(async ({ id, jobId }) => {
      await (window as any).jupyterapp.commands.execute('pipeline-scheduler:open-run', { id, jobId });
    }, { id: runs[0].id, jobId: sync.id });
    const failed = page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) [data-testid="run-view"]');
    await expect(failed).toHaveAttribute('data-status', 'failure');
    await expect(failed.getByTestId('run-error')).toContainText('boom: the warehouse is down');
    await galleryShot(page, 'run-failed');

    // The sidebar at 250 px: icons with tooltips, the file name and the zone still in sight.
    const width = (await panel(page).boundingBox())!.width;
    const edge = await handle.boundingBox();
    if (edge) {
      await page.mouse.move(edge.x + edge.width / 2, edge.y + edge.height / 2);
      await page.mouse.down();
      await page.mouse.move(edge.x + edge.width / 2 + (250 - width), edge.y + edge.height / 2, { steps: 5 });
      await page.mouse.up();
    }
    await expect.poll(async () => Math.round((await panel(page).boundingBox())!.width)).toBeLessThanOrEqual(252);
    const etlCard = card(page, name('nightly-etl'));
    await expect(etlCard.getByTestId('job-zone')).toBeVisible();
    await expect(etlCard.locator('.jp-PipelineScheduler-buttonLabel').first()).toBeHidden();
    await galleryShot(panel(page), 'narrow');

    // The Runs tab across jobs: why a run failed at a glance.
    await panel(page).getByTestId('tab-runs').click();
    await expect(panel(page).locator('[data-testid="run"]').first()).toBeVisible();
    await galleryShot(page, 'runs');
  });
});

test.afterAll(async () => {
  // `UPDATE_DOCS_SCREENSHOTS=1 bash scripts/ui-test.sh` refreshes the README's picture (and the gallery).
  const shot = path.resolve(__dirname, '..', 'artifacts', 'readme.png');
  const docs = path.resolve(__dirname, '..', '..', 'docs', 'panel.png');
  if (fs.existsSync(shot) && updateDocs()) {
    fs.copyFileSync(shot, docs);
  }
});
