/**
 * The oldest JupyterLab we declare (pyproject `jupyterlab>=4.0,<5`, shared modules `@jupyterlab/*` ^4.0.0):
 * JupyterLab 4.0.x with this package's wheel, installed in one venv (tests/lab_env.py), served by
 * playwright.lab40.config.js. Our extension loads without warnings, the panel opens from the command
 * palette, a job runs from its card and the job form saves a job.
 *
 * Plain Playwright on one shared page: Galata's page fixture is made for the JupyterLab it is released with
 * (4.5), and loading a whole JupyterLab once is enough for these few checks.
 */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';

import {
  card,
  createJob,
  jobByName,
  newJobForm,
  openLab,
  openPanelFromPalette,
  putFile,
  saveForm,
  search,
  unique
} from './helpers';

/** What the browser console says when a shared module's version or one of our plugins does not fit. */
const TROUBLE = /Unsatisfied version|pipeline-scheduler|@amphi/i;
/** Our plugins (src/index.ts exports these three). */
const PLUGINS = [
  '@amphi/pipeline-scheduler:plugin',
  '@amphi/pipeline-scheduler:notebook-artifacts',
  '@amphi/pipeline-scheduler:cell-schedule'
];

let page: Page;
/** The shared page, for the helpers of the other browser tests (they use only Playwright's Page API). */
let lab: IJupyterLabPageFixture;
/** Console warnings and errors, and uncaught exceptions, from the page's start on. */
const problems: string[] = [];

test.beforeAll(async ({ browser, request }) => {
  test.setTimeout(180000);
  await putFile(request, 'hello.py', 'print("hello from JupyterLab 4.0")\n');
  page = await browser.newPage();
  lab = page as unknown as IJupyterLabPageFixture;
  page.on('console', message => {
    if (message.type() === 'warning' || message.type() === 'error') {
      problems.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', error => problems.push(`uncaught: ${error.message}`));
  await openLab(page);
  // JupyterLab 4.0 opens its Launcher and focuses it after `restored`: a command palette opened before that
  // closes (the palette test failed in about one run of five without this wait).
  await expect(page.locator('.jp-Launcher')).toBeFocused({ timeout: 30000 });
});

test.afterAll(async () => {
  await page.close();
});

test.describe('on JupyterLab 4.0', () => {
  test('JupyterLab 4.0.x activates our plugins without "Unsatisfied version" warnings or load errors', async () => {
    const loaded = await page.evaluate(plugins => {
      const app = (window as any).jupyterapp;
      return {
        version: app.version as string,
        activated: plugins.filter(id => app.isPluginActivated(id)),
        command: app.commands.hasCommand('pipeline-scheduler:open') as boolean
      };
    }, PLUGINS);
    expect(loaded.version).toMatch(/^4\.0\./);
    expect(loaded.activated).toEqual(PLUGINS);
    expect(loaded.command).toBe(true);
    expect(problems.filter(problem => TROUBLE.test(problem))).toEqual([]);
  });

  test('the panel opens from the command palette', async () => {
    const side = await openPanelFromPalette(lab);
    await expect(side.getByTestId('job-count')).toHaveAttribute('data-total', /\d+/);
  });

  test('a job created through the REST API shows in the panel and runs from its card', async ({ request }) => {
    const name = unique('lab40-api');
    await createJob(request, {
      name,
      pipeline_path: 'hello.py',
      schedule_type: 'cron',
      cron_expression: '0 6 * * *',
      timezone: 'UTC'
    });
    await search(lab, name);
    const jobCard = card(lab, name);
    await expect(jobCard).toBeVisible();
    await jobCard.getByTestId('run-now').click();
    await expect(jobCard.getByTestId('job-last-run').locator('[data-status]')).toHaveAttribute(
      'data-status',
      'success',
      { timeout: 60000 }
    );
  });

  test('the job form opens from New job and saves a job', async ({ request }) => {
    const jobForm = await newJobForm(lab);
    const name = unique('lab40-form');
    await jobForm.getByTestId('field-path').fill('hello.py');
    await jobForm.getByTestId('field-name').fill(name);
    await jobForm.getByTestId('field-schedule').selectOption('daily');
    await saveForm(lab, jobForm, name);
    const job = await jobByName(request, name);
    expect(job.pipeline_path).toBe('hello.py');
  });
});
