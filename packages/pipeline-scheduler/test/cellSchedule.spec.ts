import { cellJob, isSchedulable } from '../src/cellJob';
import { emptyForm, formFromJob, payloadFromForm } from '../src/payload';
import { IJob } from '../src/tokens';

describe('Schedule this cell…', () => {
  it('makes the cell a job: its code under the notebook’s name, named by the cell, run in its folder', () => {
    expect(cellJob("import os\nprint('hi')", 'reports/daily/analysis.ipynb', 2)).toEqual({
      code: "# from reports/daily/analysis.ipynb, cell 3\nimport os\nprint('hi')\n",
      name: 'analysis-cell-3',
      cwd: 'reports/daily'
    });
    expect(cellJob('x = 1\n', 'top.ipynb', 0)).toEqual({
      code: '# from top.ipynb, cell 1\nx = 1\n',
      name: 'top-cell-1',
      cwd: ''
    });
  });

  it('leaves out the %%schedule line of a cell scheduled by the magic too', () => {
    const job = cellJob('%%schedule --cron "0 2 * * *" --name nightly\nprint(1)', 'a/b.ipynb', 0);
    expect(job.code).toBe('# from a/b.ipynb, cell 1\nprint(1)\n');
  });

  it('offers code cells that have code only', () => {
    expect(isSchedulable('code', 'print(1)')).toBe(true);
    expect(isSchedulable('code', '  \n')).toBe(false);
    expect(isSchedulable('code', '%%schedule --every 10m\n')).toBe(false);
    expect(isSchedulable('markdown', '# Title')).toBe(false);
  });

  it('sends the cell’s code as python_code, without a file, and reads it back from the job', () => {
    const job = cellJob('print(1)', 'nb/a.ipynb', 4);
    const state = { ...emptyForm({ timezone: 'UTC' }), ...job };
    const payload = payloadFromForm(state, { mode: 'create' });
    expect(payload.python_code).toBe(job.code);
    expect(payload.pipeline_path ?? null).toBeNull();
    expect(payload.cwd).toBe('nb');
    const stored = { id: 'x', name: job.name, python_code: job.code, pipeline_path: null, cwd: 'nb' } as unknown as IJob;
    expect(formFromJob(stored).code).toBe(job.code);
    expect(payloadFromForm({ ...state, path: 'other.py' }, { mode: 'update' }).python_code).toBeNull();
  });
});
