import * as React from 'react';

/** One `name = value` row of a rows editor (environment variables, notebook parameters). */
export function NameValueRow(props: {
  name: string;
  value: string;
  onChange: (name: string, value: string) => void;
  namePlaceholder: string;
  valuePlaceholder: string;
  nameLabel: string;
  valueLabel: string;
  testid: string;
  nameReadOnly?: boolean;
  nameInvalid?: boolean;
  valueInvalid?: boolean;
  valueTitle?: string;
  /** What follows the value: a remove button, a declared type. */
  children?: React.ReactNode;
}): JSX.Element {
  const { name, value, onChange } = props;
  return (
    <div className="jp-PipelineScheduler-row" data-testid={props.testid}>
      <input
        className="jp-mod-styled jp-PipelineScheduler-input jp-PipelineScheduler-mono"
        type="text"
        value={name}
        placeholder={props.namePlaceholder}
        spellCheck={false}
        readOnly={props.nameReadOnly}
        aria-label={props.nameLabel}
        aria-invalid={props.nameInvalid ? true : undefined}
        onChange={event => onChange(event.target.value, value)}
      />
      <span>=</span>
      <input
        className="jp-mod-styled jp-PipelineScheduler-input jp-PipelineScheduler-mono"
        type="text"
        value={value}
        placeholder={props.valuePlaceholder}
        spellCheck={false}
        aria-label={props.valueLabel}
        aria-invalid={props.valueInvalid ? true : undefined}
        title={props.valueTitle}
        onChange={event => onChange(name, event.target.value)}
      />
      {props.children}
    </div>
  );
}
