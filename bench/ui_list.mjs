#!/usr/bin/env node
/**
 * Time to render the Pipeline Scheduler panel with 1,000 jobs, in Chromium.
 *
 * Starts a real JupyterLab (the project's .venv) on a temporary root with a random token,
 * creates the jobs through the REST API, then for each iteration loads JupyterLab in a fresh
 * browser page and measures, inside the page (performance.now()):
 *
 *   open    `pipeline-scheduler:open` → the 1,000-job list is rendered (count shown and
 *           first cards in the DOM) → next paint. Includes `GET jobs` and JSON parsing.
 *   search  typing a job name in the search box → the list shows the one match → paint.
 *   clear   clearing the search → all 1,000 jobs listed again → paint.
 *   scroll  jumping to the end of the list → the last card rendered → paint.
 *   live    a job changed by another client (PUT) → its card updated through the server's
 *           event stream (includes the server's work and the event round trip).
 *
 * Usage: node bench/ui_list.mjs [--jobs 1000] [--iterations 5] [--keep]
 * Needs: .venv (scripts/setup.sh), ui-tests/node_modules (jlpm install in ui-tests/),
 * chromium at /usr/bin/chromium (or CHROMIUM_PATH). Prints the figures; exits 0.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(REPO, 'ui-tests', 'package.json'));
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const JOBS = option('--jobs', 1000);
const ITERATIONS = option('--iterations', 5);
const KEEP = args.includes('--keep');
const chromiumLaunch = require('./chromium.js');

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

const sleep = ms => new Promise(ok => setTimeout(ok, ms));

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = q => {
    const position = (sorted.length - 1) * q;
    const low = Math.floor(position);
    const high = Math.ceil(position);
    return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
  };
  return { median: at(0.5), min: sorted[0], max: sorted[sorted.length - 1] };
}

const ms = value => `${value.toFixed(0)} ms`;

async function main() {
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'amphi-ui-bench-'));
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const base = `http://127.0.0.1:${port}`;
  writeFileSync(join(root, 'hello.py'), 'print("hello")\n');
  const log = openSync(join(root, 'server.log'), 'w');
  const jupyter = join(REPO, '.venv', 'bin', 'jupyter');
  const server = spawn(
    jupyter,
    [
      'lab',
      '--no-browser',
      '--ServerApp.allow_root=True',
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.port=${port}`,
      '--ServerApp.port_retries=0',
      `--ServerApp.root_dir=${root}`,
      `--IdentityProvider.token=${token}`,
      '--LabApp.expose_app_in_browser=True',
      '--PipelineSchedulerApp.timezone=UTC'
    ],
    {
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        JUPYTER_CONFIG_DIR: join(root, '.jupyter-config'),
        JUPYTERLAB_SETTINGS_DIR: join(root, '.lab-settings'),
        JUPYTERLAB_WORKSPACES_DIR: join(root, '.lab-workspaces'),
        JUPYTER_RUNTIME_DIR: join(root, '.jupyter-runtime')
      }
    }
  );
  const headers = { Authorization: `token ${token}`, 'Content-Type': 'application/json' };
  const api = (path, init = {}) =>
    fetch(`${base}/pipeline-scheduler/${path}`, { ...init, headers });

  let browser;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await api('health')).ok) break;
      } catch {
        /* not up yet */
      }
      if (i > 120) throw new Error(`the server did not start; see ${root}/server.log`);
      await sleep(500);
    }

    // -- jobs -------------------------------------------------------------------------------
    const expressions = ['*/5 * * * *', '0 2 * * 1-5', '30 6 * * *', '0 */4 * * *', '15 8 1 * *'];
    let created = 0;
    const createStart = Date.now();
    const ids = [];
    const workers = Array.from({ length: 8 }, async (_, worker) => {
      for (let n = worker; n < JOBS; n += 8) {
        const response = await api('jobs', {
          method: 'POST',
          body: JSON.stringify({
            name: `job-${String(n).padStart(4, '0')}`,
            pipeline_path: 'hello.py',
            schedule_type: 'cron',
            cron_expression: expressions[n % expressions.length],
            timezone: 'UTC'
          })
        });
        if (!response.ok) throw new Error(`POST jobs: ${response.status} ${await response.text()}`);
        ids[n] = (await response.json()).id;
        created++;
      }
    });
    await Promise.all(workers);
    const createSeconds = (Date.now() - createStart) / 1000;
    // A few runs so that some cards show a last-run badge.
    for (let n = 0; n < 20; n++) {
      await api(`jobs/${ids[n * 37]}/runs`, { method: 'POST', body: '{"triggered_by": "api"}' });
    }
    await sleep(3000);
    const listStart = performance.now();
    const listed = await (await api('jobs')).json();
    const listMs = performance.now() - listStart;
    if (listed.jobs.length !== JOBS) throw new Error(`expected ${JOBS} jobs, got ${listed.jobs.length}`);

    // -- browser ----------------------------------------------------------------------------
    browser = await chromium.launch(chromiumLaunch);
    const results = { open: [], search: [], clear: [], scroll: [], live: [], domCards: [] };
    for (let iteration = 0; iteration < ITERATIONS + 1; iteration++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${base}/lab?token=${token}&reset`);
      await page.waitForFunction(() => window.jupyterapp && !document.querySelector('#jupyterlab-splash'), null, {
        timeout: 60000
      });
      await page.evaluate(() => window.jupyterapp.restored);
      await sleep(500);

      const figures = await page.evaluate(
        async ({ jobs, target }) => {
          const app = window.jupyterapp;
          const frame = () => new Promise(ok => requestAnimationFrame(() => ok()));
          const until = async (condition, limit = 30000) => {
            const start = performance.now();
            while (!condition()) {
              if (performance.now() - start > limit) throw new Error('timed out: ' + condition);
              await frame();
            }
            await frame(); // painted
          };
          const count = () => document.querySelector('#pipeline-scheduler-panel [data-testid="job-count"]');
          const cards = () => document.querySelectorAll('#pipeline-scheduler-panel [data-testid="job"]');
          const type = value => {
            const input = document.querySelector('#pipeline-scheduler-panel [data-testid="job-search"]');
            const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
            setter.call(input, value);
            input.dispatchEvent(new Event('input', { bubbles: true }));
          };

          let t = performance.now();
          await app.commands.execute('pipeline-scheduler:open');
          await until(() => count()?.dataset.total === String(jobs) && cards().length > 0);
          const open = performance.now() - t;
          const domCards = cards().length;

          t = performance.now();
          type(target);
          await until(() => count()?.dataset.count === '1' && cards().length === 1);
          const search = performance.now() - t;

          t = performance.now();
          type('');
          await until(() => count()?.dataset.count === String(jobs) && cards().length > 1);
          const clear = performance.now() - t;

          t = performance.now();
          const scroller = document.querySelector('#pipeline-scheduler-panel [data-testid="job-list"]');
          scroller.scrollTop = scroller.scrollHeight;
          const last = `job-${String(jobs - 1).padStart(4, '0')}`;
          await until(() => !!document.querySelector(`#pipeline-scheduler-panel [data-job-name="${last}"]`));
          const scroll = performance.now() - t;
          return { open, search, clear, scroll, domCards };
        },
        { jobs: JOBS, target: `job-${String(Math.floor(JOBS / 2)).padStart(4, '0')}` }
      );

      // Live update: another client renames the last job; the card follows through SSE.
      const lastName = `job-${String(JOBS - 1).padStart(4, '0')}`;
      const renamed = `${lastName}-renamed-${iteration}`;
      const liveStart = Date.now();
      await api(`jobs/${ids[JOBS - 1]}`, { method: 'PUT', body: JSON.stringify({ name: renamed }) });
      await page.waitForSelector(`#pipeline-scheduler-panel [data-job-name="${renamed}"]`, { timeout: 30000 });
      const live = Date.now() - liveStart;
      await api(`jobs/${ids[JOBS - 1]}`, { method: 'PUT', body: JSON.stringify({ name: lastName }) });
      await context.close();
      if (iteration === 0) continue; // warm-up: first load of the bundles
      for (const key of ['open', 'search', 'clear', 'scroll', 'domCards']) results[key].push(figures[key]);
      results.live.push(live);
    }

    // -- report ----------------------------------------------------------------------------
    const now = new Date().toISOString().slice(0, 16).replace('T', ' ');
    console.log(
      `${now}, ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}, Chromium ${browser.version()}, ` +
        `${JOBS} jobs, ${ITERATIONS} iterations after 1 warm-up`
    );
    console.log(`  jobs created through the API in ${createSeconds.toFixed(1)} s; GET jobs (${JOBS}) ${ms(listMs)} from Node`);
    console.log('');
    console.log('  measure                                         median      min      max');
    console.log('  ----------------------------------------------  -------  -------  -------');
    const row = (label, values) => {
      const { median, min, max } = stats(values);
      console.log(`  ${label.padEnd(46)}  ${ms(median).padStart(7)}  ${ms(min).padStart(7)}  ${ms(max).padStart(7)}`);
    };
    row(`open panel → ${JOBS} jobs listed and painted`, results.open);
    row('search one name → 1 match painted', results.search);
    row(`clear search → ${JOBS} jobs painted again`, results.clear);
    row('jump to the end of the list → last card painted', results.scroll);
    row('job changed by another client → card updated', results.live);
    console.log('');
    console.log(`  job cards in the DOM at once: ${stats(results.domCards).median} (virtualized list)`);
    console.log(`  total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    if (browser) await browser.close();
    server.kill('SIGTERM');
    await new Promise(ok => server.once('exit', ok).once('error', ok));
    if (KEEP) {
      console.log(`  kept ${root}`);
    } else {
      rmSync(root, { recursive: true, force: true });
    }
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
