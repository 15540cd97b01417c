/**
 * The job list marks jobs whose pipeline changed since their code was generated (issue #11,
 * item 5), live, and offers Regenerate. This JupyterLab has no Amphi editor: Regenerate is shown
 * disabled and says why; saving the regenerated code (what the button and pipeline saves do,
 * through the API) clears the mark. The real editor's save path is covered by the amphi-etl test.
 */
import { expect, galata, test } from '@jupyterlab/galata';

import { API, card, createJob, keepScreenshot, openPanel, putFile, search, unique } from './helpers';

test.use({
  serverFiles: 'off',
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    '@jupyterlab/apputils-extension:notification': { checkForUpdates: false, fetchNews: 'false' }
  }
});

const pipeline = (label: string) => JSON.stringify({ doc_type: 'Amphi Pipeline', pipeline: { nodes: [{ label }] } });

test('a job whose pipeline changed is marked, until its code is saved again', async ({ page, request }) => {
  const name = unique('stale');
  const path = `${name}.ampln`;
  await putFile(request, path, pipeline('v1'));
  const job = await createJob(request, { name, schedule_type: 'manual', python_code: 'print("v1")\n', pipeline_path: path });
  expect(job.code_stale).toBe(false);

  await openPanel(page);
  await search(page, name);
  const mark = card(page, name).getByTestId('code-stale');
  await expect(card(page, name)).toBeVisible();
  await expect(mark).toHaveCount(0);

  await putFile(request, path, pipeline('v2, edited'));
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('pipeline-scheduler:refresh');
  });
  await expect(mark).toContainText('code out of date');
  const regenerate = mark.getByTestId('regenerate');
  await expect(regenerate).toBeDisabled();
  await expect(regenerate).toHaveAttribute('title', /Amphi pipeline editor/);
  await keepScreenshot(card(page, name), 'job-code-out-of-date');

  const response = await request.put(`${API}/jobs/${job.id}`, { data: { python_code: 'print("v2")\n' } });
  expect(response.ok(), await response.text()).toBeTruthy();
  await expect(mark).toHaveCount(0); // the list follows the job's update live
});
