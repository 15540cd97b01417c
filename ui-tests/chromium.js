/**
 * How the browser tests and bench/ui_list.mjs launch Debian's chromium: one place for the
 * executable (CHROMIUM_PATH to override) and the flags a headless root container needs.
 */
module.exports = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic'
  ]
};
