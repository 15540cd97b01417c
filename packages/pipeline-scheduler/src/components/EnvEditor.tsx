import * as React from 'react';

import { closeIcon } from '@jupyterlab/ui-components';

import type { IJobFormState } from '../payload';
import { IconButton } from './common';
import { IFormContext, RowsField } from './formFields';

/** The environment variables of the job's runs, as name and value rows. */
export function EnvEditor(props: { form: IFormContext }): JSX.Element {
  const { form } = props;
  const { trans } = form;
  const rows = form.state.env;
  const error = form.errorOf('env');
  const onChange = (env: IJobFormState['env']): void => form.update({ env }, 'env');
  return (
    <RowsField
      form={form}
      field="env"
      label={trans.__('Environment variables')}
      addLabel={trans.__('Add a variable')}
      addTestid="add-env"
      onAdd={() => onChange([...rows, { name: '', value: '' }])}
    >
      {rows.map((row, index) => (
        <div className="jp-PipelineScheduler-row" key={index} data-testid="env-row">
          <input
            className="jp-mod-styled jp-PipelineScheduler-input jp-PipelineScheduler-mono"
            type="text"
            value={row.name}
            placeholder="NAME"
            spellCheck={false}
            aria-label={trans.__('Name of variable %1', index + 1)}
            aria-invalid={error ? true : undefined}
            onChange={event => {
              const next = rows.slice();
              next[index] = { ...row, name: event.target.value };
              onChange(next);
            }}
          />
          <span>=</span>
          <input
            className="jp-mod-styled jp-PipelineScheduler-input jp-PipelineScheduler-mono"
            type="text"
            value={row.value}
            placeholder={trans.__('value')}
            spellCheck={false}
            aria-label={trans.__('Value of variable %1', index + 1)}
            onChange={event => {
              const next = rows.slice();
              next[index] = { ...row, value: event.target.value };
              onChange(next);
            }}
          />
          <IconButton
            icon={closeIcon}
            label={trans.__('Remove variable %1', index + 1)}
            onClick={() => onChange(rows.filter((_, i) => i !== index))}
          />
        </div>
      ))}
    </RowsField>
  );
}
