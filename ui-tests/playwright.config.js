/**
 * Browser tests of the Pipeline Scheduler: Galata (JupyterLab's Playwright fixtures) driving
 * Debian's chromium (Playwright's own browser download is not needed). The web server is a
 * throw-away JupyterLab started from jupyter_server_test_config.py (tests only: no auth,
 * 127.0.0.1, temporary root).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.UI_TEST_PORT || '8890';
const chromiumLaunch = require('./chromium');

module.exports = {
  ...baseConfig,
  testDir: './tests',
  // The tests with the real Amphi ETL need its venv (playwright.amphi-etl.config.js), those on
  // JupyterLab 4.0 theirs (playwright.lab40.config.js).
  testIgnore: ['amphi-etl.spec.ts', 'lab40.spec.ts'],
  outputDir: './test-results',
  timeout: 90000,
  expect: { timeout: 15000 },
  // One JupyterLab, one scheduler database: the tests run one after the other.
  workers: 1,
  fullyParallel: false,
  retries: process.env.CI ? 1 : 0,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'playwright-report' }]
  ],
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 800 },
    // Playwright's ffmpeg is not installed with the system browser: no videos.
    video: 'off',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: chromiumLaunch
  },
  webServer: {
    // The server's log goes to artifacts/jupyter-server.log (read it when a test fails).
    command:
      'mkdir -p artifacts && exec jupyter lab --config jupyter_server_test_config.py > artifacts/jupyter-server.log 2>&1',
    url: `http://127.0.0.1:${port}/lab`,
    timeout: 120000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe'
  }
};
