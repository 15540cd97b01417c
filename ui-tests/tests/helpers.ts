/**
 * Helpers of the browser tests: REST calls (the test server has no auth), panel and form
 * shortcuts, screenshots kept as artifacts.
 */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect } from '@jupyterlab/galata';
import type { APIRequestContext, Locator, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

export const API = '/pipeline-scheduler';
export const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');

/** A suffix that keeps names unique across tests and runs. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

/**
 * Load JupyterLab on a plain Playwright page (the suites on other JupyterLab installs, where
 * Galata's own page fixture does not apply) and wait until it has restored its layout.
 */
export async function openLab(page: Page): Promise<void> {
  await page.goto('lab');
  await page.waitForFunction(
    async () => {
      const app = (window as any).jupyterapp;
      if (!app) {
        return false;
      }
      await app.restored;
      return true;
    },
    undefined,
    { timeout: 150000 }
  );
}

/** Write a text file under the server root (contents API). */
export async function putFile(
  request: APIRequestContext,
  filePath: string,
  content: string
): Promise<void> {
  const response = await request.put(`/api/contents/${filePath}`, {
    data: { type: 'file', format: 'text', content }
  });
  expect(response.ok(), await response.text()).toBeTruthy();
}

/** A minimal notebook that prints a line. */
export function notebookSource(text: string): string {
  return JSON.stringify({
    cells: [
      {
        cell_type: 'code',
        execution_count: null,
        id: 'c1',
        metadata: {},
        outputs: [],
        source: [`print(${JSON.stringify(text)})`]
      }
    ],
    metadata: {
      kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}

/** Write a notebook under the server root. */
export async function putNotebook(
  request: APIRequestContext,
  filePath: string,
  text: string
): Promise<void> {
  const response = await request.put(`/api/contents/${filePath}`, {
    data: { type: 'notebook', format: 'json', content: JSON.parse(notebookSource(text)) }
  });
  expect(response.ok(), await response.text()).toBeTruthy();
}

/** Create a job through the REST API. */
export async function createJob(
  request: APIRequestContext,
  payload: Record<string, unknown>
): Promise<any> {
  const response = await request.post(`${API}/jobs`, { data: payload });
  expect(response.ok(), await response.text()).toBeTruthy();
  return response.json();
}

/** All jobs, from the REST API. */
export async function listJobs(request: APIRequestContext): Promise<any[]> {
  const response = await request.get(`${API}/jobs`);
  expect(response.ok()).toBeTruthy();
  return (await response.json()).jobs;
}

/** The job with this name, from the REST API. */
export async function jobByName(request: APIRequestContext, name: string): Promise<any> {
  const job = (await listJobs(request)).find(item => item.name === name);
  expect(job, `job ${name} exists on the server`).toBeTruthy();
  return job;
}

/** The side panel. */
export function panel(page: IJupyterLabPageFixture): Locator {
  return page.locator('#pipeline-scheduler-panel');
}

/** Open the panel from the command palette, as a user would. */
export async function openPanelFromPalette(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.keyboard.press('Control+Shift+C');
  const palette = page.locator('#command-palette');
  await expect(palette).toBeVisible();
  await palette.locator('.lm-CommandPalette-input').fill('Pipeline Scheduler');
  await palette
    .locator('.lm-CommandPalette-item')
    .filter({ has: page.locator('.lm-CommandPalette-itemLabel', { hasText: /^Pipeline Scheduler$/ }) })
    .first()
    .click();
  const side = panel(page);
  await expect(side).toBeVisible();
  return side;
}

/** Open the panel (through its command) and wait for the job list. */
export async function openPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('pipeline-scheduler:open');
  });
  const side = panel(page);
  await expect(side).toBeVisible();
  await expect(side.getByTestId('job-count')).toHaveAttribute('data-total', /\d+/);
  return side;
}

/** A job card of the panel. */
export function card(page: IJupyterLabPageFixture, name: string): Locator {
  return panel(page).locator(`[data-testid="job"][data-job-name="${name}"]`);
}

/** Show only the jobs matching `text` (the list is virtualized). */
export async function search(page: IJupyterLabPageFixture, text: string): Promise<void> {
  await panel(page).getByTestId('tab-jobs').click();
  await panel(page).getByTestId('job-search').fill(text);
}

/** The job form of the active main-area tab. */
export function form(page: IJupyterLabPageFixture): Locator {
  return page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) [data-testid="job-form"]');
}

/** Open a new job form from the panel's toolbar. */
export async function newJobForm(page: IJupyterLabPageFixture): Promise<Locator> {
  await panel(page).locator('.jp-Toolbar').getByText('New job').click();
  const jobForm = form(page);
  await expect(jobForm).toBeVisible();
  return jobForm;
}

/** Save the form and wait for it to close and for the card to show. */
export async function saveForm(
  page: IJupyterLabPageFixture,
  jobForm: Locator,
  name: string
): Promise<Locator> {
  await jobForm.getByTestId('save').click();
  await expect(jobForm).toHaveCount(0);
  const jobCard = card(page, name);
  await expect(jobCard).toBeVisible();
  return jobCard;
}

/** Keep a screenshot under ui-tests/artifacts/. */
export async function keepScreenshot(
  target: IJupyterLabPageFixture | Locator,
  name: string
): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await target.screenshot({ path: file });
  return file;
}

/**
 * Run an action of a job card from its menu ("more" button): `command` is the
 * menu item's command id; `label` checks its text (Pause / Resume).
 */
export async function jobAction(
  page: IJupyterLabPageFixture,
  jobCard: Locator,
  command: string,
  label?: string
): Promise<void> {
  await jobCard.getByTestId('more').click();
  const item = page.locator(`.jp-PipelineScheduler-jobMenu .lm-Menu-item[data-command="${command}"]`);
  await expect(item).toBeVisible();
  if (label) {
    await expect(item).toContainText(label);
  }
  await item.click();
}

/** Where the screenshot gallery of the README lives. */
export const GALLERY = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');

/**
 * A picture of the screenshot gallery: kept under ui-tests/artifacts/gallery/,
 * and written to docs/screenshots/ (commit-ready) when the run is asked to
 * refresh the documentation (`UPDATE_DOCS_SCREENSHOTS=1`).
 */
export async function galleryShot(
  target: IJupyterLabPageFixture | Locator,
  name: string
): Promise<string> {
  const dir = path.join(ARTIFACTS, 'gallery');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  // Without the passing notifications ("Created job…").
  await target.screenshot({
    path: file,
    animations: 'disabled',
    caret: 'hide',
    style: '.Toastify, .Toastify__toast-container { display: none !important; }'
  });
  if (updateDocs()) {
    fs.mkdirSync(GALLERY, { recursive: true });
    fs.copyFileSync(file, path.join(GALLERY, `${name}.png`));
  }
  return file;
}

/** Whether this run refreshes the pictures of the documentation. */
export function updateDocs(): boolean {
  return process.env.UPDATE_DOCS_SCREENSHOTS === '1' || process.env.UPDATE_DOCS_SCREENSHOT === '1';
}

/** The WCAG contrast ratio of an element's text over its (first opaque) background. */
export async function contrastOf(target: Locator): Promise<{ ratio: number; color: string; background: string }> {
  return target.evaluate(node => {
    // Colours as the browser resolves them (color-mix, variables), read back as sRGB bytes.
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    const rgba = (css: string): number[] => {
      context.clearRect(0, 0, 1, 1);
      context.fillStyle = '#000';
      context.fillStyle = css;
      context.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = context.getImageData(0, 0, 1, 1).data;
      return [r, g, b, a / 255];
    };
    const over = (top: number[], bottom: number[]): number[] => {
      const a = top[3];
      return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat(1);
    };
    // The background: the element's, or the first ancestor's that paints one.
    const layers: number[][] = [];
    for (let element: Element | null = node; element; element = element.parentElement) {
      const color = rgba(getComputedStyle(element).backgroundColor);
      if (color[3] > 0) {
        layers.push(color);
        if (color[3] >= 1) {
          break;
        }
      }
    }
    let background = [255, 255, 255, 1];
    for (const layer of layers.reverse()) {
      background = over(layer, background);
    }
    const text = over(rgba(getComputedStyle(node).color), background);
    const luminance = (c: number[]): number => {
      const [r, g, b] = c.slice(0, 3).map(v => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [l1, l2] = [luminance(text), luminance(background)].sort((x, y) => y - x);
    return {
      ratio: (l1 + 0.05) / (l2 + 0.05),
      color: text.map(Math.round).join(','),
      background: background.map(Math.round).join(',')
    };
  });
}
