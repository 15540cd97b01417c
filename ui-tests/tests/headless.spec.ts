/**
 * The panel on a scheduler of its own (`serverUrl`, issue #13): a real `pipeline-scheduler serve`
 * on another origin, with a token, and JupyterLab's panel pointed at it by its settings. The jobs
 * listed, run and recorded are the headless server's; JupyterLab's own scheduler sees none of them.
 */
import { expect, galata, test } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { API, card, listJobs, openPanel, search, unique } from './helpers';

const TOKEN = `headless-${Date.now().toString(36)}`;
const LAB_ORIGIN = `http://127.0.0.1:${process.env.UI_TEST_PORT || '8890'}`;
const PORT = Number(
  execFileSync('python', [
    '-c',
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  ])
    .toString()
    .trim()
);
const HEADLESS = `http://127.0.0.1:${PORT}`;

test.use({
  serverFiles: 'off',
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    '@amphi/pipeline-scheduler:plugin': { serverUrl: `${HEADLESS}/`, serverToken: TOKEN }
  }
});

let server: ChildProcess | undefined;
let root = '';
let serverLog = '';

/** A REST call to the headless server, with its token. */
async function headless(
  request: APIRequestContext,
  method: 'GET' | 'POST',
  route: string,
  data?: unknown
): Promise<any> {
  const response = await request.fetch(`${HEADLESS}${API}/${route}`, {
    method,
    data,
    headers: { Authorization: `token ${TOKEN}` }
  });
  expect(response.ok(), `${method} ${route}: ${await response.text()}`).toBeTruthy();
  return response.json();
}

test.beforeAll(async ({ request }) => {
  test.setTimeout(120000);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'amphi-headless-'));
  fs.writeFileSync(path.join(root, 'hello.py'), 'print("hello from the headless scheduler")\n');
  serverLog = path.join(root, 'serve.log');
  const log = fs.openSync(serverLog, 'w');
  server = spawn(
    'pipeline-scheduler',
    ['serve', '--root', root, '--port', String(PORT), '--token', TOKEN, '--',
      `--ServerApp.allow_origin=${LAB_ORIGIN}`, '--ServerApp.ip=127.0.0.1'],
    { stdio: ['ignore', log, log] }
  );
  const deadline = Date.now() + 100000;
  for (;;) {
    try {
      const response = await request.get(`${HEADLESS}${API}/health`, {
        headers: { Authorization: `token ${TOKEN}` }
      });
      if (response.ok()) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || server.exitCode !== null) {
      throw new Error(`the headless scheduler did not start:\n${fs.readFileSync(serverLog, 'utf-8')}`);
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise(resolve => server!.once('exit', resolve));
  }
  fs.rmSync(root, { recursive: true, force: true });
});

test('the panel lists, runs and follows the jobs of a headless scheduler on another origin', async ({
  page,
  request
}) => {
  const name = unique('headless');
  const job = await headless(request, 'POST', 'jobs', {
    name,
    pipeline_path: 'hello.py',
    schedule_type: 'manual'
  });

  const side = await openPanel(page);
  await search(page, name);
  const jobCard = card(page, name);
  await expect(jobCard).toBeVisible();
  await jobCard.getByTestId('run-now').click();

  // The run is the headless server's, and the card follows it to its end (its event stream).
  await expect(jobCard.getByTestId('job-last-run').locator('[data-status]')).toHaveAttribute(
    'data-status',
    'success',
    { timeout: 30000 }
  );
  const runs = (await headless(request, 'GET', `runs?job_id=${job.id}`)).runs;
  expect(runs).toHaveLength(1);
  expect(runs[0].status).toBe('success');
  const log = await request.get(`${HEADLESS}${API}/runs/${runs[0].id}/log`, {
    headers: { Authorization: `token ${TOKEN}` }
  });
  expect(await log.text()).toContain('hello from the headless scheduler');

  // JupyterLab's own scheduler has nothing of it; the panel counts the headless server's jobs.
  expect((await listJobs(request)).map(item => item.id)).not.toContain(job.id);
  const total = (await headless(request, 'GET', 'jobs')).jobs.length;
  await expect(side.getByTestId('job-count')).toHaveAttribute('data-total', String(total));
});
