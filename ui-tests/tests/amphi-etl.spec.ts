/**
 * The scheduler next to the real Amphi ETL editor: JupyterLab 4.5.3 with amphi-etl's extensions and
 * this package, installed in one venv as the README says (tests/amphi_etl_env.py), served by
 * playwright.amphi-etl.config.js. A CSV → sort → CSV pipeline in a sub-folder is scheduled from the
 * file browser, run now in its own folder, edited and saved in the editor (its job's code follows),
 * and a component is registered through Amphi's Components panel.
 */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from '@playwright/test';
import type { APIRequestContext, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { API, card, form, jobByName, openLab, openPanel, putFile, saveForm, search, unique } from './helpers';

/** Sales in no particular order; sorted by amount, the regions read south, east, north, west. */
const SALES = 'region,amount\nnorth,300\nsouth,100\nwest,400\neast,200\n';
/** What a pipeline run in the server root (the wrong folder) would read instead. */
const DECOY_SALES = 'region,amount\nroot,1\n';

/**
 * An Amphi pipeline (`.ampln`, the editor's own JSON format): CSV File Input → Sort Rows (by amount)
 * → CSV File Output, with file paths relative to the pipeline's folder, as the editor writes them
 * when the files sit next to the pipeline.
 */
function salesPipeline(ascending: boolean): string {
  const node = (id: string, type: string, x: number, data: Record<string, unknown>) => ({
    id,
    type,
    position: { x, y: 100 },
    data: { nameId: `${type}1`, ...data, lastUpdated: 1700000000000 }
  });
  return JSON.stringify(
    {
      doc_type: 'Amphi Pipeline',
      version: '1',
      id: 'pipeline_sales',
      pipelines: [
        {
          id: 'primary',
          flow: {
            nodes: [
              node('input', 'csvFileInput', 0, {
                fileLocation: 'local',
                connectionMethod: 'env',
                csvOptions: { sep: ',' },
                filePath: 'sales.csv'
              }),
              node('sort', 'sort', 250, {
                columnAndOrder: [{ key: { value: 'amount', named: true }, value: ascending ? 'True' : 'False' }]
              }),
              node('output', 'csvFileOutput', 500, {
                fileLocation: 'local',
                connectionMethod: 'env',
                csvOptions: { sep: ',', header: true, index: false },
                filePath: 'sorted.csv'
              })
            ],
            edges: [
              { id: 'input-sort', source: 'input', sourceHandle: 'out', target: 'sort', targetHandle: 'in' },
              { id: 'sort-output', source: 'sort', sourceHandle: 'out', target: 'output', targetHandle: 'in' }
            ],
            viewport: { x: 0, y: 0, zoom: 1 }
          },
          app_data: { ui_data: { comments: [] }, version: 1, runtime_type: 'LOCAL' },
          runtime_ref: 'python'
        }
      ]
    },
    null,
    2
  );
}

/** Create a folder under the server root (contents API). */
async function putFolder(request: APIRequestContext, folderPath: string): Promise<void> {
  const response = await request.put(`/api/contents/${folderPath}`, { data: { type: 'directory' } });
  expect(response.ok(), await response.text()).toBeTruthy();
}

/** A text file's content through the contents API, or null when it does not exist. */
async function readFile(request: APIRequestContext, filePath: string): Promise<string | null> {
  const response = await request.get(`/api/contents/${filePath}?content=1&type=file&format=text`);
  if (response.status() === 404) {
    return null;
  }
  expect(response.ok(), await response.text()).toBeTruthy();
  return (await response.json()).content;
}

/** The regions of a CSV of sales, in file order. */
function regions(csv: string): string[] {
  return csv
    .trim()
    .split('\n')
    .slice(1)
    .map(line => line.split(',')[0]);
}

/** The component files `.amphi/config.toml` lists (through the scheduler's route the panel reads it with). */
async function componentSources(request: APIRequestContext): Promise<string[]> {
  const response = await request.get(`${API}/components-config`);
  expect(response.ok(), await response.text()).toBeTruthy();
  const config: string = (await response.json()).content;
  return Array.from(config.matchAll(/\.\/components\/([\w.-]+\.tsx?)/g), match => match[1]);
}

/** Show a folder in the file browser. */
async function showFolder(page: Page, folder: string): Promise<void> {
  await page.evaluate(
    folderPath => (window as any).jupyterapp.commands.execute('filebrowser:go-to-path', { path: folderPath }),
    folder
  );
}

/** Schedule a file from the file browser's context menu; the job, as the server has it. */
async function scheduleFromFileBrowser(
  lab: IJupyterLabPageFixture,
  request: APIRequestContext,
  folder: string,
  fileName: string,
  name: string
): Promise<any> {
  await showFolder(lab, folder);
  const item = lab.locator('.jp-DirListing-item', { hasText: fileName });
  await expect(item).toBeVisible();
  await item.click({ button: 'right' });
  await lab.locator('.lm-Menu-item', { hasText: 'Schedule…' }).click();
  const jobForm = form(lab);
  await expect(jobForm.getByTestId('field-path')).toHaveValue(`${folder}/${fileName}`);
  await jobForm.getByTestId('field-name').fill(name);
  await jobForm.getByTestId('field-schedule').selectOption('daily');
  await saveForm(lab, jobForm, name);
  return jobByName(request, name);
}

/** Close every main-area tab (forms, run views, editors) between tests sharing the page. */
async function closeAllTabs(page: Page): Promise<void> {
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('application:close-all'));
}

// One JupyterLab page for the tests of a worker (one worker: playwright.config.js): with Amphi's bundles,
// loading JupyterLab takes long on a busy machine, and Galata's per-test page waits 15 s at most, and for
// a Launcher that Amphi ETL turns off.

let page: Page;
/** The shared page, for the helpers of the other browser tests (they use only Playwright's Page API). */
let lab: IJupyterLabPageFixture;
/** "Unsatisfied version" warnings of webpack's shared modules, seen while JupyterLab loaded. */
const versionWarnings: string[] = [];

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180000);
  page = await browser.newPage();
  lab = page as unknown as IJupyterLabPageFixture;
  page.on('console', message => {
    if (message.text().includes('Unsatisfied version')) {
      versionWarnings.push(message.text());
    }
  });
  await openLab(page);
  // The last of Amphi's plugins to start opens its Components panel.
  await page.locator('#amphi-components-panel').waitFor({ state: 'attached', timeout: 60000 });
});

test.afterAll(async () => {
  await page.close();
});

test.afterEach(async () => {
  await closeAllTabs(page);
});

test.describe('with the real Amphi ETL editor', () => {
  test('JupyterLab loads both extensions without "Unsatisfied version" warnings', async () => {
    const commands = await page.evaluate(() => {
      const app = (window as any).jupyterapp;
      return ['pipeline-scheduler:open', 'pipeline-editor:generate-code'].filter(id => app.commands.hasCommand(id));
    });
    expect(versionWarnings).toEqual([]);
    expect(commands).toEqual(['pipeline-scheduler:open', 'pipeline-editor:generate-code']);
    await openPanel(lab);
  });

  test('a CSV → sort → CSV pipeline in a sub-folder, scheduled from the file browser, runs in its folder', async ({
    request
  }) => {
    const folder = `${unique('sales')}/etl`;
    await putFolder(request, folder.split('/')[0]);
    await putFolder(request, folder);
    await putFile(request, `${folder}/sales.csv`, SALES);
    await putFile(request, `${folder}/sales.ampln`, salesPipeline(true));
    await putFile(request, 'sales.csv', DECOY_SALES);

    const name = unique('sales');
    const job = await scheduleFromFileBrowser(lab, request, folder, 'sales.ampln', name);
    expect(job.kind).toBe('python_code');
    expect(job.pipeline_path).toBe(`${folder}/sales.ampln`);
    expect(job.python_code).toContain('pd.read_csv("sales.csv"');
    expect(job.python_code).toContain('ascending=[True]');

    await openPanel(lab);
    await search(lab, name);
    await card(lab, name).getByTestId('run-now').click();
    await card(lab, name).getByTestId('job-last-run').click();
    const view = page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) [data-testid="run-view"]');
    await expect(view).toHaveAttribute('data-status', 'success', { timeout: 60000 });

    // Written where Amphi's own "Run Pipeline" writes it: next to the pipeline, from its sales.
    const sorted = await readFile(request, `${folder}/sorted.csv`);
    expect(sorted).not.toBeNull();
    expect(regions(sorted!)).toEqual(['south', 'east', 'north', 'west']);
    expect(await readFile(request, 'sorted.csv')).toBeNull();
  });

  test("saving the pipeline in the Amphi editor regenerates its job's code", async ({ request }) => {
    const folder = unique('resorted');
    const pipeline = `${folder}/sales.ampln`;
    await putFolder(request, folder);
    await putFile(request, `${folder}/sales.csv`, SALES);
    await putFile(request, pipeline, salesPipeline(true));
    const name = unique('resorted');
    const job = await scheduleFromFileBrowser(lab, request, folder, 'sales.ampln', name);
    expect(job.python_code).toContain('ascending=[True]');

    // Open the pipeline in Amphi's editor, sort the other way (the Sort Rows node's Desc. button) and
    // save it with the editor's Save Pipeline button.
    await showFolder(page, folder);
    await page.locator('.jp-DirListing-item', { hasText: 'sales.ampln' }).dblclick();
    const editor = page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden)');
    const sortNode = editor.locator('.react-flow__node-sort');
    await expect(sortNode).toBeVisible();
    await sortNode.getByText('Desc.', { exact: true }).click();
    await editor.getByText('Save Pipeline', { exact: true }).click();
    await expect
      .poll(async () => (await readFile(request, pipeline)) ?? '', { timeout: 15000 })
      .toMatch(/"value":\s*"False"/);

    await expect
      .poll(async () => (await (await request.get(`${API}/jobs/${job.id}`)).json()).python_code, {
        timeout: 30000
      })
      .toContain('ascending=[False]');
  });

  test("a component registered through Amphi's Components panel is stored by the scheduler", async ({
    request
  }) => {
    const componentName = unique('Upper Case Column');
    const code = [
      'class UpperCaseColumn extends (globalThis as any).Amphi.BaseCoreComponent {',
      '  constructor() {',
      '    const form = { idPrefix: "component__form", fields: [',
      '      { type: "input", label: "Column", id: "column", placeholder: "Column name" }',
      '    ] };',
      `    super("${componentName}", "upperCaseColumn", "Upper-cases a column", "pandas_df_processor", [],`,
      '      "transforms", (globalThis as any).Amphi?.icons?.bracesIcon || null, { column: "" }, form);',
      '  }',
      '  public provideImports({ config }): string[] { return ["import pandas as pd"]; }',
      '  public generateComponentCode({ config, inputName, outputName }): string {',
      '    return `${outputName} = ${inputName}.assign(**{"${config.column}": ${inputName}["${config.column}"].str.upper()})`;',
      '  }',
      '}',
      'export default UpperCaseColumn;',
      ''
    ].join('\n');

    const before = await componentSources(request);
    await page.getByRole('tab', { name: 'Pipeline Components' }).click();
    const componentsPanel = page.locator('#amphi-components-panel');
    await componentsPanel.getByRole('button', { name: 'Add Component' }).click();
    const modal = page.locator('.ant-modal', { hasText: 'Add Component' });
    await expect(modal).toBeVisible();
    await modal.locator('#add-component-code textarea').focus();
    await page.keyboard.insertText(code);
    await modal.getByRole('button', { name: 'Register' }).click();
    await expect(modal).toBeHidden();
    await expect(componentsPanel.getByText(componentName)).toBeVisible();

    // Stored by the scheduler's routes where Amphi reads it back: config.toml lists one more file, ours.
    const added = (await componentSources(request)).filter(source => !before.includes(source));
    expect(added).toHaveLength(1);
    const root = process.env.JUPYTERLAB_GALATA_ROOT_DIR!;
    const stored = fs.readFileSync(path.join(root, '.amphi', 'components', added[0]), 'utf-8');
    expect(stored).toContain(componentName);
  });
});
