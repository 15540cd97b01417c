import * as React from 'react';

import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect, LabIcon } from '@jupyterlab/ui-components';
import { ISignal } from '@lumino/signaling';

import {
  formatDateTime,
  formatDateTimeInZone,
  formatDuration,
  formatExitCode,
  formatRelative
} from '../format';
import { IRunSummary, RunStatus } from '../tokens';

/** Re-render when a Lumino signal fires. */
export function useSignal<T>(signal: ISignal<T, any> | null | undefined): number {
  const [tick, setTick] = React.useState(0);
  React.useEffect(() => {
    if (!signal) {
      return;
    }
    const onChange = (): void => setTick(value => value + 1);
    signal.connect(onChange);
    return () => {
      signal.disconnect(onChange);
    };
  }, [signal]);
  return tick;
}

/** A value that follows `value` after it stopped changing for `delay` ms. */
export function useDebounced<T>(value: T, delay: number): T {
  const [debounced, setDebounced] = React.useState(value);
  React.useEffect(() => {
    const timer = window.setTimeout(() => setDebounced(value), delay);
    return () => window.clearTimeout(timer);
  }, [value, delay]);
  return debounced;
}

/** Re-render every `ms` milliseconds (relative times). */
export function useNow(ms: number): number {
  const [now, setNow] = React.useState(Date.now());
  React.useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(timer);
  }, [ms]);
  return now;
}

/** The translated label of a run status. */
export function statusLabel(status: RunStatus | string, trans: TranslationBundle): string {
  switch (status) {
    case 'success':
      return trans.__('success');
    case 'failure':
      return trans.__('failed');
    case 'queued':
      return trans.__('queued');
    case 'running':
      return trans.__('running');
    case 'timed_out':
      return trans.__('timed out');
    case 'cancelled':
      return trans.__('cancelled');
    case 'interrupted':
      return trans.__('interrupted');
    case 'skipped':
      return trans.__('skipped');
    default:
      return String(status);
  }
}

/** How a run was started, in words. */
export function triggeredByLabel(value: string | undefined, trans: TranslationBundle): string {
  switch (value) {
    case 'schedule':
      return trans.__('schedule');
    case 'manual':
      return trans.__('manual');
    case 'trigger':
      return trans.__('after other jobs');
    case 'api':
      return trans.__('API');
    default:
      return value ?? '';
  }
}

/** A coloured badge with the status of a run. */
export function StatusBadge(props: {
  run: Pick<IRunSummary, 'status'> & Partial<IRunSummary>;
  trans: TranslationBundle;
}): JSX.Element {
  const { run, trans } = props;
  const details: string[] = [];
  if (run.started_at) {
    details.push(trans.__('Started: %1', formatDateTime(run.started_at, { seconds: true })));
  }
  if (run.duration !== null && run.duration !== undefined) {
    details.push(trans.__('Duration: %1', formatDuration(run.duration, trans)));
  }
  if (run.exit_code !== null && run.exit_code !== undefined) {
    details.push(trans.__('Exit code: %1', formatExitCode(run.exit_code, trans)));
  }
  return (
    <span
      className={`jp-PipelineScheduler-badge jp-PipelineScheduler-badge-${run.status}`}
      title={details.join('\n') || undefined}
      data-status={run.status}
    >
      {statusLabel(run.status, trans)}
    </span>
  );
}

/** A small button with an icon and an accessible label. */
export function IconButton(props: {
  icon: LabIcon;
  label: string;
  onClick: (event: React.MouseEvent) => void;
  disabled?: boolean;
  className?: string;
  testId?: string;
  /** Show a text next to the icon (hidden by CSS where space is short). */
  showLabel?: boolean;
  /** The visible text, when shorter than the accessible label. */
  text?: string;
  /** Extra attributes (`aria-haspopup`…). */
  attributes?: Record<string, string>;
}): JSX.Element {
  return (
    <button
      {...props.attributes}
      type="button"
      className={`jp-PipelineScheduler-iconButton ${props.className ?? ''}`}
      onClick={event => {
        event.stopPropagation();
        props.onClick(event);
      }}
      disabled={props.disabled}
      aria-label={props.label}
      title={props.label}
      data-testid={props.testId}
    >
      <props.icon.react tag="span" />
      {props.showLabel && (
        <span className="jp-PipelineScheduler-buttonLabel">{props.text ?? props.label}</span>
      )}
    </button>
  );
}

/** Catches rendering errors of a subtree and shows them instead of a blank panel. */
export class ErrorBoundary extends React.Component<
  { trans: TranslationBundle; children?: React.ReactNode },
  { error: Error | null }
> {
  constructor(props: { trans: TranslationBundle; children?: React.ReactNode }) {
    super(props);
    this.state = { error: null };
  }

  static getDerivedStateFromError(error: Error): { error: Error } {
    return { error };
  }

  componentDidCatch(error: Error): void {
    console.error('Pipeline Scheduler: rendering failed', error);
  }

  render(): React.ReactNode {
    const { trans } = this.props;
    if (this.state.error) {
      return (
        <div className="jp-PipelineScheduler-error" role="alert">
          <p>{trans.__('Something went wrong while displaying this view.')}</p>
          <pre>{this.state.error.message}</pre>
          <button
            type="button"
            className="jp-PipelineScheduler-button"
            onClick={() => this.setState({ error: null })}
          >
            {trans.__('Try again')}
          </button>
        </div>
      );
    }
    return this.props.children;
  }
}

/**
 * A select labelled for assistive technology only (no visible label):
 * JupyterLab's `HTMLSelect`, with its dropdown arrow.
 */
export function ChoiceSelect(props: {
  value: string;
  /** The accessible name of the select. */
  label: string;
  testid: string;
  onValue: (value: string) => void;
  /** The choices, as `[value, label]`. */
  options: ReadonlyArray<readonly [string, string]>;
  /** Choices under a heading (`<optgroup>`), after the others. */
  groups?: ReadonlyArray<{ label: string; options: ReadonlyArray<readonly [string, string]> }>;
  /** Classes added to the select's own. */
  className?: string;
  id?: string;
  /** Extra attributes of the `<select>` (`aria-invalid`…). */
  attributes?: Record<string, unknown>;
}): JSX.Element {
  return (
    <HTMLSelect
      className={
        'jp-PipelineScheduler-select' + (props.className ? ` ${props.className}` : '')
      }
      id={props.id}
      value={props.value}
      aria-label={props.label}
      onChange={event => props.onValue(event.target.value)}
      data-testid={props.testid}
      {...(props.attributes ?? {})}
    >
      {optionsOf(props.options)}
      {(props.groups ?? [])
        .filter(group => group.options.length > 0)
        .map(group => (
          <optgroup key={group.label} label={group.label}>
            {optionsOf(group.options)}
          </optgroup>
        ))}
    </HTMLSelect>
  );
}

/** The `<option>`s of a select, from `[value, label]` pairs. */
export function optionsOf(options: ReadonlyArray<readonly [string, string]>): JSX.Element[] {
  return options.map(([value, label]) => (
    <option key={value} value={value}>
      {label}
    </option>
  ));
}

/**
 * An instant as a relative time (`in 5 min`, `3 h ago`), its absolute time
 * (with seconds, in `timezone` when given) on hover.
 */
export function RelativeTime(props: {
  iso: string | null | undefined;
  trans: TranslationBundle;
  now: number;
  timezone?: string | null;
  testid?: string;
  /** Text before the relative time (`due `). */
  prefix?: string;
}): JSX.Element | null {
  const { iso, trans, now } = props;
  if (!iso) {
    return null;
  }
  return (
    <time
      dateTime={iso}
      title={formatDateTimeInZone(iso, props.timezone ?? null)}
      data-testid={props.testid}
    >
      {props.prefix ?? ''}
      {formatRelative(iso, trans, Math.max(now, Date.now()))}
    </time>
  );
}
