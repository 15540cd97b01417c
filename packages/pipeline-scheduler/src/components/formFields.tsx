import * as React from 'react';

import { TranslationBundle } from '@jupyterlab/translation';
import { addIcon, Button } from '@jupyterlab/ui-components';

import { calendarIcon } from '../icons';
import type { FormField, IJobFormState } from '../payload';
import { ChoiceSelect } from './common';

/** What the parts of the job form share: the state, its errors and how to change it. */
export interface IFormContext {
  /** The prefix of the form's element ids. */
  prefix: string;
  state: IJobFormState;
  trans: TranslationBundle;
  errorOf: (field: FormField) => string | undefined;
  /** Apply changes to the state, and forget the server errors of `fields`. */
  update: (changes: Partial<IJobFormState>, ...fields: FormField[]) => void;
  /** Note that the user left a field (its own checks are shown from then on). */
  touch?: (field: FormField) => void;
}

/** The element id of a form control. */
export function fieldId(form: IFormContext, name: string): string {
  return `${form.prefix}-${name}`;
}

/** The aria attributes of a control whose field has an error. */
export function invalidProps(
  form: IFormContext,
  field: FormField
): Record<string, unknown> {
  return form.errorOf(field)
    ? { 'aria-invalid': true, 'aria-describedby': `${form.prefix}-${field}-error` }
    : {};
}

/** A labelled field of the form, with its help and its error. */
export function Field(props: {
  form: IFormContext;
  field: FormField;
  label: string;
  help?: React.ReactNode;
  children: React.ReactNode;
}): JSX.Element {
  const { form, field, label, help } = props;
  return (
    <div className="jp-PipelineScheduler-field" data-field={field}>
      <label className="jp-PipelineScheduler-label" htmlFor={fieldId(form, field)}>
        {label}
      </label>
      <div className="jp-PipelineScheduler-control">
        {props.children}
        {help && <div className="jp-PipelineScheduler-help">{help}</div>}
        <FieldErrorOf form={form} field={field} />
      </div>
    </div>
  );
}

/** The error message of a field, if it has one. */
export function FieldError(props: {
  id: string;
  field: FormField;
  error?: string;
}): JSX.Element | null {
  if (!props.error) {
    return null;
  }
  return (
    <div
      id={props.id}
      className="jp-PipelineScheduler-fieldError"
      role="alert"
      data-testid={`error-${props.field}`}
    >
      {props.error}
    </div>
  );
}

/** The error message of a field of the form, if it has one. */
export function FieldErrorOf(props: {
  form: IFormContext;
  field: FormField;
}): JSX.Element | null {
  const { form, field } = props;
  return (
    <FieldError id={`${form.prefix}-${field}-error`} field={field} error={form.errorOf(field)} />
  );
}

/** The string-valued keys of the form state (those an input edits). */
type TextKey = {
  [K in keyof IJobFormState]: IJobFormState[K] extends string ? K : never;
}[keyof IJobFormState];

/**
 * An input bound to a string of the form state: its id, value, change and
 * error attributes come from `field` (and `stateKey`, where it differs).
 */
export function FormInput(
  props: {
    form: IFormContext;
    field: FormField;
    /** The state key the input edits; default: `field`. */
    stateKey?: TextKey;
    testid: string;
    /** Monospaced, without spell checking (code-like text). */
    mono?: boolean;
  } & Omit<
    React.InputHTMLAttributes<HTMLInputElement>,
    'id' | 'className' | 'value' | 'onChange' | 'form'
  >
): JSX.Element {
  const { form, field, stateKey, testid, mono, type = 'text', ...rest } = props;
  const key = stateKey ?? (field as TextKey);
  const className =
    type === 'number'
      ? 'jp-mod-styled jp-PipelineScheduler-number'
      : mono
        ? 'jp-mod-styled jp-PipelineScheduler-input jp-PipelineScheduler-mono'
        : 'jp-mod-styled jp-PipelineScheduler-input';
  return (
    <input
      id={fieldId(form, field)}
      className={className}
      type={type}
      {...(type === 'number' ? { min: 1 } : {})}
      {...(type === 'datetime-local' ? { step: 1 } : {})}
      {...(mono ? { spellCheck: false } : {})}
      {...rest}
      value={form.state[key]}
      onChange={event => form.update({ [key]: event.target.value }, field)}
      onBlur={() => form.touch?.(field)}
      data-testid={testid}
      {...invalidProps(form, field)}
    />
  );
}

/** A select of the form (JupyterLab's `HTMLSelect`) with the id and error attributes of `field`. */
export function FormSelect(props: {
  form: IFormContext;
  field: FormField;
  value: string;
  testid: string;
  onValue: (value: string) => void;
  /** The choices, as `[value, label]`. */
  options: ReadonlyArray<readonly [string, string]>;
  /** The accessible name, when no `<label>` names the select. */
  label?: string;
}): JSX.Element {
  const { form, field } = props;
  return (
    <ChoiceSelect
      id={fieldId(form, field)}
      value={props.value}
      label={props.label ?? ''}
      onValue={props.onValue}
      testid={props.testid}
      options={props.options}
      attributes={{
        ...(props.label ? {} : { 'aria-label': undefined }),
        ...invalidProps(form, field)
      }}
    />
  );
}

/**
 * A date and time typed as `YYYY-MM-DD HH:mm` (the format of the schedule
 * words and of the preview, on a 24-hour clock), with a button that opens the
 * browser's date picker.
 */
export function DateTimeInput(props: {
  form: IFormContext;
  field: FormField;
  stateKey: 'runDate' | 'intervalStart';
  testid: string;
  placeholder?: string;
}): JSX.Element {
  const { form, field, stateKey } = props;
  const picker = React.useRef<HTMLInputElement>(null);
  const value = form.state[stateKey];
  const pickerValue = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/.test(value.trim())
    ? value.trim().replace(' ', 'T')
    : '';
  return (
    <div className="jp-PipelineScheduler-dateTime">
      <FormInput
        form={form}
        field={field}
        stateKey={stateKey}
        testid={props.testid}
        mono
        placeholder={props.placeholder ?? 'YYYY-MM-DD HH:MM'}
        autoComplete="off"
      />
      <button
        type="button"
        className="jp-PipelineScheduler-iconButton jp-PipelineScheduler-datePicker"
        title={form.trans.__('Pick a date')}
        aria-label={form.trans.__('Pick a date')}
        tabIndex={-1}
        onClick={() => {
          const node = picker.current as (HTMLInputElement & { showPicker?: () => void }) | null;
          try {
            node?.showPicker?.();
          } catch {
            node?.focus();
          }
        }}
      >
        <calendarIcon.react tag="span" />
      </button>
      <input
        ref={picker}
        type="datetime-local"
        className="jp-PipelineScheduler-pickerInput"
        tabIndex={-1}
        aria-hidden="true"
        value={pickerValue}
        onChange={event => {
          const picked = event.target.value;
          if (picked) {
            form.update({ [stateKey]: picked.replace('T', ' ').slice(0, 16) }, field);
          }
        }}
      />
    </div>
  );
}

/** A labelled {@link FormInput}, with its help and error; `children` follow the input. */
export function InputField(
  props: React.ComponentProps<typeof FormInput> & {
    label: string;
    help?: React.ReactNode;
    children?: React.ReactNode;
  }
): JSX.Element {
  const { label, help, children, ...input } = props;
  return (
    <Field form={props.form} field={props.field} label={label} help={help}>
      <FormInput {...input} />
      {children}
    </Field>
  );
}

/**
 * A field of the form made of rows (a group labelled by `label`), ending with
 * a button that adds a row, then the field's error.
 */
export function RowsField(props: {
  form: IFormContext;
  field: FormField;
  label: string;
  addLabel: string;
  addTestid: string;
  onAdd: () => void;
  addDisabled?: boolean;
  children: React.ReactNode;
}): JSX.Element {
  const { form, field } = props;
  const labelId = `${form.prefix}-${field}-label`;
  return (
    <div className="jp-PipelineScheduler-field" data-field={field}>
      <span className="jp-PipelineScheduler-label" id={labelId}>
        {props.label}
      </span>
      <div className="jp-PipelineScheduler-control" role="group" aria-labelledby={labelId}>
        {props.children}
        <div>
          <Button
            type="button"
            className="jp-PipelineScheduler-button"
            onClick={props.onAdd}
            disabled={props.addDisabled}
            data-testid={props.addTestid}
          >
            <addIcon.react tag="span" />
            {props.addLabel}
          </Button>
        </div>
        <FieldErrorOf form={form} field={field} />
      </div>
    </div>
  );
}
