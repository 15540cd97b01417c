import * as React from 'react';

import { closeIcon } from '@jupyterlab/ui-components';

import type { IJobFormState } from '../payload';
import { IconButton } from './common';
import { IFormContext, RowsField } from './formFields';
import { NameValueRow } from './NameValueRow';

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
        <NameValueRow
          key={index}
          testid="env-row"
          name={row.name}
          value={row.value}
          namePlaceholder="NAME"
          valuePlaceholder={trans.__('value')}
          nameLabel={trans.__('Name of variable %1', index + 1)}
          valueLabel={trans.__('Value of variable %1', index + 1)}
          nameInvalid={!!error}
          onChange={(name, value) => {
            const next = rows.slice();
            next[index] = { name, value };
            onChange(next);
          }}
        >
          <IconButton
            icon={closeIcon}
            label={trans.__('Remove variable %1', index + 1)}
            onClick={() => onChange(rows.filter((_, i) => i !== index))}
          />
        </NameValueRow>
      ))}
    </RowsField>
  );
}
