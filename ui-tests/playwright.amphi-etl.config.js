/**
 * Browser tests with the real Amphi ETL editor (tests/amphi-etl.spec.ts): the settings of
 * playwright.config.js, with a JupyterLab served from the venv that tests/amphi_etl_env.py prepares
 * (`pip install amphi-etl`, then this package), whose path scripts/ui-test.sh passes as AMPHI_ETL_VENV.
 */
const base = require('./playwright.config');

const venv = process.env.AMPHI_ETL_VENV;
if (!venv) {
  throw new Error('AMPHI_ETL_VENV is not set: run these tests with scripts/ui-test.sh');
}

module.exports = {
  ...base,
  testIgnore: [],
  testMatch: 'amphi-etl.spec.ts',
  // Apart from the other browser tests' results (a run of those empties test-results/).
  outputDir: './artifacts/amphi-etl-results',
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'playwright-report/amphi-etl' }]
  ],
  webServer: {
    ...base.webServer,
    // The server's log goes to artifacts/amphi-etl-jupyter-server.log (read it when a test fails).
    command: `mkdir -p artifacts && exec "${venv}/bin/jupyter" lab --config jupyter_server_amphi_etl_config.py > artifacts/amphi-etl-jupyter-server.log 2>&1`
  }
};
