import * as React from 'react';

import { closeIcon } from '@jupyterlab/ui-components';

import type { IJobFormState } from '../payload';
import type { IJobSummary } from '../tokens';
import { ChoiceSelect, IconButton } from './common';
import { IFormContext, RowsField } from './formFields';

/**
 * The jobs a triggered job waits for and, when there are several, whether
 * all or any of them must finish as chosen.
 */
export function ConditionsEditor(props: {
  form: IFormContext;
  /** The jobs one can wait for. */
  jobs: ReadonlyArray<Pick<IJobSummary, 'id' | 'name'>>;
}): JSX.Element {
  const { form, jobs } = props;
  const { state, trans, update } = form;
  const error = form.errorOf('conditions');
  const rows = state.conditions;
  const setRows = (conditions: IJobFormState['conditions']): void =>
    update({ conditions }, 'conditions');
  const known = new Set(jobs.map(job => job.id));
  const several = rows.length > 1;
  return (
    <RowsField
      form={form}
      field="conditions"
      label={trans.__('Run after')}
      addLabel={rows.length ? trans.__('Add another job') : trans.__('Add a job to wait for')}
      addTestid="add-condition"
      onAdd={() => setRows([...rows, { jobId: '', on: 'success' }])}
      addDisabled={jobs.length === 0}
    >
      {several && (
        <div className="jp-PipelineScheduler-row">
          <ChoiceSelect
            value={state.logicalOperator}
            label={trans.__('Which of these jobs must finish as chosen')}
            onValue={value => update({ logicalOperator: value as 'AND' | 'OR' }, 'conditions')}
            testid="field-operator"
            options={[
              ['AND', trans.__('all of these jobs')],
              ['OR', trans.__('any one of these jobs')]
            ]}
          />
          <span className="jp-PipelineScheduler-muted">{trans.__('finish as chosen:')}</span>
        </div>
      )}
      {rows.length === 0 && (
        <div className="jp-PipelineScheduler-muted">
          {jobs.length
            ? trans.__('No job yet: add the job to wait for.')
            : trans.__('There is no other job to wait for yet.')}
        </div>
      )}
      {rows.map((row, index) => (
        <div className="jp-PipelineScheduler-row" key={index} data-testid="condition">
          <ChoiceSelect
            className="jp-PipelineScheduler-grow"
            value={row.jobId}
            label={trans.__('Job %1 to wait for', index + 1)}
            onValue={jobId => {
              const next = rows.slice();
              next[index] = { ...row, jobId };
              setRows(next);
            }}
            testid="condition-job"
            attributes={error ? { 'aria-invalid': true } : {}}
            options={[
              ['', trans.__('— choose a job —')],
              ...(row.jobId && !known.has(row.jobId)
                ? [[row.jobId, trans.__('%1 (deleted)', row.jobId)] as const]
                : []),
              ...jobs.map(job => [job.id, job.name || job.id] as const)
            ]}
          />
          <ChoiceSelect
            value={row.on}
            label={trans.__('Outcome of job %1', index + 1)}
            onValue={value => {
              const next = rows.slice();
              next[index] = { ...row, on: value as 'success' | 'failure' };
              setRows(next);
            }}
            testid="condition-on"
            options={[
              ['success', trans.__('succeeds')],
              ['failure', trans.__('fails')]
            ]}
          />
          <IconButton
            icon={closeIcon}
            label={trans.__('Remove condition %1', index + 1)}
            onClick={() => setRows(rows.filter((_, i) => i !== index))}
          />
        </div>
      ))}
    </RowsField>
  );
}
