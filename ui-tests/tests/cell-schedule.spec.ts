/**
 * "Schedule this cell…": from a notebook cell's context menu and from the cell toolbar, the job
 * form opens with the cell's code; saved, it is a job of code run in the notebook's folder.
 */
import { expect, test } from '@jupyterlab/galata';

import { form, jobByName, putNotebook } from './helpers';

test.use({ serverFiles: 'off' });

test('a cell becomes a job from its context menu and from the cell toolbar', async ({
  page,
  request,
  tmpPath
}) => {
  const stem = `cells-${Date.now().toString(36)}`;
  await putNotebook(request, `${tmpPath}/${stem}.ipynb`, 'from a cell');
  await page.filebrowser.openDirectory(tmpPath);
  await page.locator('.jp-DirListing-item', { hasText: `${stem}.ipynb` }).dblclick();
  const cell = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell').first();
  await expect(cell).toBeVisible();

  await cell.locator('.jp-InputArea-editor').click({ button: 'right' });
  await page.locator('.lm-Menu-item', { hasText: 'Schedule this cell…' }).click();
  let jobForm = form(page);
  await expect(jobForm.getByTestId('field-code')).toHaveValue(
    `# from ${tmpPath}/${stem}.ipynb, cell 1\nprint("from a cell")\n`
  );
  await expect(jobForm.getByTestId('field-name')).toHaveValue(`${stem}-cell-1`);
  await jobForm.getByTestId('save').click();
  await expect(jobForm).toHaveCount(0);
  const job = await jobByName(request, `${stem}-cell-1`);
  expect(job.pipeline_path ?? null).toBeNull();
  expect(job.python_code).toBe(`# from ${tmpPath}/${stem}.ipynb, cell 1\nprint("from a cell")\n`);
  expect(job.cwd).toBe(tmpPath);

  await cell.locator('.jp-InputArea-editor').click();
  const button = cell.locator('[data-jp-item-name="pipeline-scheduler-schedule-cell"]');
  await expect(button).toBeVisible();
  await button.locator('button, jp-button').first().click();
  jobForm = form(page);
  await expect(jobForm.getByTestId('field-code')).toHaveValue(/print\("from a cell"\)/);
});
