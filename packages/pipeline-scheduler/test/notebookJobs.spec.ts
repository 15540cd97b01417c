import { ServerConnection } from '@jupyterlab/services';

import {
  artifactOf,
  artifactUrl,
  HTML_MEDIA_TYPE,
  IDeclaredParameter,
  isNotebookPath,
  NOTEBOOK_MEDIA_TYPE,
  parametersFromRows,
  parseValue,
  rowsFromParameters
} from '../src/notebookJobs';
import { emptyForm, formFieldOf, formFromJob, payloadFromForm } from '../src/payload';
import { IJob } from '../src/tokens';

const declared: IDeclaredParameter[] = [
  { name: 'region', default: 'eu', type: 'str' },
  { name: 'rows', default: 10, type: 'int' },
  { name: 'columns', default: ['a', 'b'], type: 'list' }
];

describe('notebook parameters', () => {
  it('prefills declared parameters with their defaults, the job’s values over them', () => {
    const rows = rowsFromParameters({ rows: 21, extra: { deep: true } }, declared);
    expect(rows.map(row => [row.name, row.value])).toEqual([
      ['region', 'eu'],
      ['rows', '21'],
      ['columns', '["a","b"]'],
      ['extra', '{"deep":true}']
    ]);
  });

  it('sends what differs from the defaults, typed as JSON or text', () => {
    const rows = rowsFromParameters(null, declared);
    rows[0].value = '42'; // a str parameter stays text
    rows[1].value = '10'; // the default: not sent
    rows.push({ name: 'when', value: '2026-01-01' }, { name: 'flag', value: 'true' }, { name: ' ', value: '1' });
    expect(parametersFromRows(rows)).toEqual({ region: '42', when: '2026-01-01', flag: true });
    expect(parametersFromRows(rows, { keepDefaults: true })).toEqual({
      region: '42',
      rows: 10,
      columns: ['a', 'b'],
      when: '2026-01-01',
      flag: true
    });
  });

  it('reads values as JSON when they are, else as text', () => {
    expect(parseValue('[1, 2]')).toEqual([1, 2]);
    expect(parseValue('null')).toBeNull();
    expect(parseValue('not json')).toBe('not json');
    expect(parseValue('3', declared[0])).toBe('3');
  });
});

describe('notebook fields of the job form', () => {
  const base = (): ReturnType<typeof emptyForm> => emptyForm({ timezone: 'UTC', path: 'reports/daily.ipynb' });

  it('are sent for notebooks only', () => {
    const state = { ...base(), kernelName: 'python3', htmlExport: true, parameters: [{ name: 'rows', value: '5' }] };
    expect(payloadFromForm(state, { mode: 'create' })).toMatchObject({
      parameters: { rows: 5 },
      kernel_name: 'python3',
      html_export: true
    });
    const script = payloadFromForm({ ...state, path: 'etl/load.py' }, { mode: 'create' });
    expect(script).not.toHaveProperty('parameters');
    expect(script).not.toHaveProperty('kernel_name');
    expect(payloadFromForm({ ...state, path: 'etl/load.py' }, { mode: 'update' })).toMatchObject({
      parameters: null,
      kernel_name: null,
      html_export: false
    });
  });

  it('come back from a job, and server errors land on them', () => {
    const job = { id: 'j', name: 'j', pipeline_path: 'a.ipynb', parameters: { rows: 3 }, kernel_name: 'python3',
      html_export: true, schedule_type: 'manual' } as unknown as IJob;
    const state = formFromJob(job);
    expect(state.parameters).toEqual([{ name: 'rows', value: '3' }]);
    expect(state.kernelName).toBe('python3');
    expect(state.htmlExport).toBe(true);
    expect(formFieldOf('parameters.rows')).toBe('parameters');
    expect(formFieldOf('kernel_name')).toBe('kernelName');
    expect(isNotebookPath(' x/Report.IPYNB ')).toBe(true);
  });
});

describe('artifacts', () => {
  it('are found by media type and served under the run', () => {
    const artifacts = [
      { name: 'report.html', size: 10, media_type: HTML_MEDIA_TYPE },
      { name: 'report.ipynb', size: 20, media_type: NOTEBOOK_MEDIA_TYPE }
    ];
    expect(artifactOf(artifacts, NOTEBOOK_MEDIA_TYPE)?.name).toBe('report.ipynb');
    expect(artifactOf([], HTML_MEDIA_TYPE)).toBeUndefined();
    const settings = ServerConnection.makeSettings({ baseUrl: 'http://host/base/' });
    expect(artifactUrl(settings, 7, 'my report.html')).toBe(
      'http://host/base/pipeline-scheduler/runs/7/artifacts/my%20report.html'
    );
  });
});
