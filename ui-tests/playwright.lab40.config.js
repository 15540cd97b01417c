/**
 * Browser tests on the oldest JupyterLab we declare (tests/lab40.spec.ts): the settings of
 * playwright.config.js, with a JupyterLab 4.0.x served from the venv that tests/lab_env.py prepares
 * (`jupyterlab==4.0.*` and this package's wheel), whose path scripts/ui-test.sh passes as LAB40_VENV.
 * The server: jupyter_server_lab40_config.py (the other browser tests' one, with a workspace of its own).
 */
const base = require('./playwright.config');

const venv = process.env.LAB40_VENV;
if (!venv) {
  throw new Error('LAB40_VENV is not set: run these tests with scripts/ui-test.sh --lab40');
}

module.exports = {
  ...base,
  testIgnore: [],
  testMatch: 'lab40.spec.ts',
  // Apart from the other browser tests' results (a run of those empties test-results/).
  outputDir: './artifacts/lab40-results',
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'playwright-report/lab40' }]
  ],
  webServer: {
    ...base.webServer,
    // The server's log goes to artifacts/lab40-jupyter-server.log (read it when a test fails).
    command: `mkdir -p artifacts && exec "${venv}/bin/jupyter" lab --config jupyter_server_lab40_config.py > artifacts/lab40-jupyter-server.log 2>&1`
  }
};
