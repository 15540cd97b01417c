import * as React from 'react';

import { closeIcon } from '@jupyterlab/ui-components';

import type { IJobFormState } from '../payload';
import type { IJob } from '../tokens';
import { ChoiceSelect, IconButton } from './common';
import { IFormContext, RowsField } from './formFields';

/** The jobs a triggered job waits for, and whether all or any must be met. */
export function ConditionsEditor(props: {
  form: IFormContext;
  /** The jobs one can wait for. */
  jobs: ReadonlyArray<IJob>;
}): JSX.Element {
  const { form, jobs } = props;
  const { state, trans, update } = form;
  const error = form.errorOf('conditions');
  const rows = state.conditions;
  const setRows = (conditions: IJobFormState['conditions']): void =>
    update({ conditions }, 'conditions');
  const known = new Set(jobs.map(job => job.id));
  return (
    <RowsField
      form={form}
      field="conditions"
      label={trans.__('Run after')}
      addLabel={trans.__('Add a job to wait for')}
      addTestid="add-condition"
      onAdd={() => setRows([...rows, { jobId: '', on: 'success' }])}
      addDisabled={jobs.length === 0}
    >
      <div className="jp-PipelineScheduler-row">
        <ChoiceSelect
          value={state.logicalOperator}
          label={trans.__('Which conditions must be met')}
          onValue={value => update({ logicalOperator: value as 'AND' | 'OR' }, 'conditions')}
          testid="field-operator"
          options={[
            ['AND', trans.__('all of these (AND)')],
            ['OR', trans.__('any of these (OR)')]
          ]}
        />
      </div>
      {rows.length === 0 && (
        <div className="jp-PipelineScheduler-muted">
          {jobs.length
            ? trans.__('No condition yet: add the jobs to wait for.')
            : trans.__('There is no other job to wait for yet.')}
        </div>
      )}
      {rows.map((row, index) => (
        <div className="jp-PipelineScheduler-row" key={index} data-testid="condition">
          <select
            className="jp-mod-styled jp-PipelineScheduler-select jp-PipelineScheduler-grow"
            value={row.jobId}
            aria-label={trans.__('Job %1 to wait for', index + 1)}
            onChange={event => {
              const next = rows.slice();
              next[index] = { ...row, jobId: event.target.value };
              setRows(next);
            }}
            data-testid="condition-job"
            aria-invalid={error ? true : undefined}
          >
            <option value="">{trans.__('— choose a job —')}</option>
            {row.jobId && !known.has(row.jobId) && (
              <option value={row.jobId}>{row.jobId}</option>
            )}
            {jobs.map(job => (
              <option key={job.id} value={job.id}>
                {job.name}
              </option>
            ))}
          </select>
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
