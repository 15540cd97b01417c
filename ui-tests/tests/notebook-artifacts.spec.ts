/**
 * Notebook jobs in the browser: the form's notebook section, the executed notebook opened
 * read-only from the run view, and a run with other parameters.
 */
import { expect, test } from '@jupyterlab/galata';

import { API, createJob, keepScreenshot, putFile, unique } from './helpers';

function parameterizedNotebook(): string {
  const cell = (source: string, tags: string[] = []): Record<string, unknown> => ({
    cell_type: 'code',
    execution_count: null,
    id: `c${Math.random().toString(36).slice(2, 8)}`,
    metadata: { tags },
    outputs: [],
    source
  });
  return JSON.stringify({
    cells: [cell("region = 'eu'\nrows = 10", ['parameters']), cell("print(f'report for {region}: {rows * 2}')")],
    metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
    nbformat: 4,
    nbformat_minor: 5
  });
}

test('the run view opens the executed notebook read-only, and runs it with other parameters', async ({
  page,
  request
}) => {
  const path = `${unique('report')}.ipynb`;
  await putFile(request, path, parameterizedNotebook());
  const job = await createJob(request, {
    name: unique('report'),
    pipeline_path: path,
    schedule_type: 'manual',
    parameters: { rows: 21 },
    html_export: true
  });
  const response = await request.post(`${API}/run/${job.id}`);
  const result = await response.json();
  expect(result.success, JSON.stringify(result)).toBeTruthy();

  await page.evaluate(async id => {
    await (window as any).jupyterapp.commands.execute('pipeline-scheduler:open-run', { id });
  }, result.run_id);
  const view = page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) [data-testid="run-view"]');
  await expect(view).toHaveAttribute('data-status', 'success');
  await expect(view.getByTestId('open-html')).toBeVisible();

  await view.getByTestId('open-executed-notebook').click();
  const executed = page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) .jp-Notebook');
  await expect(executed).toContainText('report for eu: 42');
  await expect(executed).toContainText('# Parameters');
  await expect(page.locator('#jp-main-dock-panel .lm-TabBar-tab', { hasText: 'read-only' })).toHaveCount(1);
  await keepScreenshot(page, 'executed-notebook');

  // Run with other parameters: the dialog starts from the job's, the run uses the new value once.
  await page.evaluate(async id => {
    await (window as any).jupyterapp.commands.execute('pipeline-scheduler:open-run', { id });
  }, result.run_id);
  await view.getByTestId('run-with-parameters').click();
  const dialog = page.locator('.jp-Dialog');
  const region = dialog.getByLabel('Value of parameter region');
  await expect(dialog.getByLabel('Value of parameter rows')).toHaveValue('21');
  await region.fill('us');
  await dialog.getByRole('button', { name: 'Run' }).click();
  const rerun = page.locator('.jp-MainAreaWidget:not(.lm-mod-hidden) [data-testid="run-view"]');
  await expect(rerun).not.toHaveAttribute('data-run-id', String(result.run_id));
  await expect(rerun).toHaveAttribute('data-status', 'success', { timeout: 60000 });
  await expect(rerun.getByTestId('run-log')).toContainText('report for us: 42');
});
