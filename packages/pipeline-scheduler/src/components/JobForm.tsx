import * as React from 'react';

import { TranslationBundle } from '@jupyterlab/translation';
import {
  addIcon,
  Button,
  closeIcon,
  folderIcon
} from '@jupyterlab/ui-components';

import { isAbort, SchedulerError } from '../api';
import type { SchedulerController } from '../controller';
import { describeCron, describeSchedule } from '../describe';
import { formatDate, timezoneNames } from '../format';
import { describeError } from '../model';
import {
  checkForm,
  FormField,
  formFieldOf,
  IJobFormState,
  IntervalUnit,
  previewPayload,
  scheduleFromForm
} from '../payload';
import {
  DateType,
  GENERATE_CODE_COMMAND,
  IJob,
  IPreview,
  isPipelinePath,
  ScheduleType
} from '../tokens';
import { IconButton, useDebounced, useSignal } from './common';

/** The kinds of schedule the form offers, as one choice. */
type ScheduleKind = DateType | Exclude<ScheduleType, 'date'>;

function kindOf(state: IJobFormState): ScheduleKind {
  return state.scheduleType === 'date' ? state.dateType : state.scheduleType;
}

function kindChanges(kind: ScheduleKind): Partial<IJobFormState> {
  switch (kind) {
    case 'interval':
    case 'cron':
    case 'trigger':
      return { scheduleType: kind };
    default:
      return { scheduleType: 'date', dateType: kind };
  }
}

/** Properties of {@link JobForm}. */
export interface IJobFormProps {
  controller: SchedulerController;
  /** The state the form starts from. */
  initial: IJobFormState;
  /** The job being edited (`PUT`), or null for a new job (`POST`). */
  jobId: string | null;
  onSaved: (job: IJob) => void;
  onCancel: () => void;
}

interface IPreviewState {
  loading: boolean;
  result: IPreview | null;
  error: string | null;
}

let formCounter = 0;

/**
 * The job form: target, schedule (with its words and next fire times), and
 * run options. Server validation errors are shown next to the field they name.
 */
export function JobForm(props: IJobFormProps): JSX.Element {
  const { controller, jobId } = props;
  const trans = controller.trans;
  const model = controller.model;
  useSignal(model.changed);

  const prefix = React.useMemo(() => `jp-PipelineScheduler-form${++formCounter}`, []);
  const [state, setState] = React.useState<IJobFormState>(props.initial);
  const [attempted, setAttempted] = React.useState(false);
  const [serverErrors, setServerErrors] = React.useState<
    Partial<Record<FormField, string>>
  >({});
  const [generalError, setGeneralError] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);
  const [showAll, setShowAll] = React.useState(false);
  const formRef = React.useRef<HTMLFormElement>(null);

  const clientErrors = attempted ? checkForm(state, trans) : {};
  const errorOf = (field: FormField): string | undefined =>
    serverErrors[field] ?? clientErrors[field];

  const update = (changes: Partial<IJobFormState>, ...fields: FormField[]): void => {
    setState(current => ({ ...current, ...changes }));
    if (fields.length) {
      setServerErrors(current => {
        const next = { ...current };
        for (const field of fields) {
          delete next[field];
        }
        return next;
      });
    }
  };

  // -- next fire times, debounced --------------------------------------------
  const previewKey = JSON.stringify(previewPayload(state));
  const debouncedKey = useDebounced(previewKey, 350);
  const [preview, setPreview] = React.useState<IPreviewState>({
    loading: false,
    result: null,
    error: null
  });
  React.useEffect(() => {
    const payload = JSON.parse(debouncedKey);
    if (!payload) {
      setPreview({ loading: false, result: null, error: null });
      return;
    }
    const abort = new AbortController();
    setPreview(current => ({ ...current, loading: true }));
    controller.api.preview(payload, { signal: abort.signal }).then(
      result => setPreview({ loading: false, result, error: null }),
      reason => {
        if (!isAbort(reason) && !abort.signal.aborted) {
          setPreview({ loading: false, result: null, error: describeError(reason) });
        }
      }
    );
    return () => abort.abort();
  }, [debouncedKey]);

  // -- save ------------------------------------------------------------------
  const submit = async (event?: React.FormEvent): Promise<void> => {
    event?.preventDefault();
    setAttempted(true);
    const problems = checkForm(state, trans);
    if (Object.keys(problems).length > 0) {
      focusFirstError();
      return;
    }
    setSaving(true);
    setGeneralError(null);
    setServerErrors({});
    try {
      const job = await controller.saveJob(state, jobId);
      props.onSaved(job);
    } catch (reason) {
      if (reason instanceof SchedulerError && reason.field) {
        const field = formFieldOf(reason.field, state);
        const message = stripField(reason.message, reason.field);
        if (field === 'general') {
          setGeneralError(reason.message);
        } else {
          setServerErrors({ [field]: message });
        }
      } else {
        setGeneralError(describeError(reason));
      }
      focusFirstError();
    } finally {
      setSaving(false);
    }
  };

  // After a refused save, bring the first field in error into view (once rendered).
  const [focusRequest, setFocusRequest] = React.useState(0);
  const focusFirstError = (): void => setFocusRequest(value => value + 1);
  React.useEffect(() => {
    if (!focusRequest) {
      return;
    }
    const invalid = formRef.current?.querySelector<HTMLElement>(
      '[aria-invalid="true"], .jp-PipelineScheduler-formError'
    );
    invalid?.scrollIntoView?.({ block: 'center' });
    invalid?.focus?.();
  }, [focusRequest]);

  const browse = async (): Promise<void> => {
    const path = await controller.pickFile(state.path, showAll);
    if (path) {
      const changes: Partial<IJobFormState> = { path };
      if (!state.name.trim() || state.name === defaultNameOf(state.path)) {
        changes.name = defaultNameOf(path);
      }
      update(changes, 'path');
    }
  };

  // -- rendering helpers -----------------------------------------------------
  const id = (name: string): string => `${prefix}-${name}`;
  const invalid = (field: FormField): Record<string, unknown> => {
    const error = errorOf(field);
    return error
      ? { 'aria-invalid': true, 'aria-describedby': `${prefix}-${field}-error` }
      : {};
  };
  const field = (
    key: FormField,
    label: string,
    control: React.ReactNode,
    help?: React.ReactNode,
    inputId: string = id(key)
  ): JSX.Element => (
    <div className="jp-PipelineScheduler-field" data-field={key}>
      <label className="jp-PipelineScheduler-label" htmlFor={inputId}>
        {label}
      </label>
      <div className="jp-PipelineScheduler-control">
        {control}
        {help && <div className="jp-PipelineScheduler-help">{help}</div>}
        <FieldError id={`${prefix}-${key}-error`} field={key} error={errorOf(key)} />
      </div>
    </div>
  );

  const kind = kindOf(state);
  const isPipeline = isPipelinePath(state.path);
  const canGenerate = controller.canGenerateCode;
  const cronWords =
    state.scheduleType === 'cron' ? describeCron(state.cronExpression, trans) : null;
  let words: string | null = null;
  try {
    words = describeSchedule(scheduleFromForm(state), trans, model.jobNames);
  } catch {
    words = null;
  }
  const zones = React.useMemo(() => timezoneNames(), []);
  const zoneOptions = zones.includes(state.timezone)
    ? zones
    : [state.timezone, ...zones];
  const otherJobs = model.jobs.filter(job => job.id !== jobId);

  return (
    <form
      ref={formRef}
      className="jp-PipelineScheduler-form"
      onSubmit={event => void submit(event)}
      aria-label={jobId ? trans.__('Edit scheduled job') : trans.__('New scheduled job')}
      data-testid="job-form"
      noValidate
    >
      <h2 className="jp-PipelineScheduler-formTitle">
        {jobId ? trans.__('Edit scheduled job') : trans.__('New scheduled job')}
      </h2>
      {generalError && (
        <div
          className="jp-PipelineScheduler-error jp-PipelineScheduler-formError"
          role="alert"
          tabIndex={-1}
          data-testid="form-error"
        >
          {generalError}
        </div>
      )}

      <fieldset className="jp-PipelineScheduler-section">
        <legend>{trans.__('What to run')}</legend>
        {field(
          'path',
          trans.__('File'),
          <>
            <div className="jp-PipelineScheduler-row">
              <input
                id={id('path')}
                className="jp-mod-styled jp-PipelineScheduler-input"
                type="text"
                value={state.path}
                placeholder={trans.__('path/to/script.py, notebook.ipynb or pipeline.ampln')}
                onChange={event => update({ path: event.target.value }, 'path')}
                data-testid="field-path"
                {...invalid('path')}
              />
              {controller.docManager && (
                <Button
                  type="button"
                  className="jp-PipelineScheduler-button"
                  onClick={() => void browse()}
                  aria-label={trans.__('Browse for the file to run')}
                  data-testid="browse"
                >
                  <folderIcon.react tag="span" />
                  {trans.__('Browse…')}
                </Button>
              )}
            </div>
            {controller.docManager && (
              <label className="jp-PipelineScheduler-checkbox">
                <input
                  type="checkbox"
                  checked={showAll}
                  onChange={event => setShowAll(event.target.checked)}
                />
                {trans.__('Show all files when browsing')}
              </label>
            )}
          </>,
          isPipeline ? (
            canGenerate ? (
              <span data-testid="ampln-note">
                {trans.__(
                  'An Amphi pipeline: its Python code is generated when you save, and again before each "Run now".'
                )}
              </span>
            ) : (
              <span className="jp-PipelineScheduler-warning" role="alert" data-testid="ampln-note">
                {trans.__(
                  'An Amphi pipeline (.ampln) runs from the Python code the Amphi pipeline editor generates, but the editor is not available here (command %1 is missing). Install jupyterlab-amphi, or choose a .py file or a notebook.',
                  GENERATE_CODE_COMMAND
                )}
                {jobId
                  ? ' ' + trans.__('Saving keeps the code generated before.')
                  : ''}
              </span>
            )
          ) : (
            trans.__('Relative to the server root: a Python script (.py), a notebook (.ipynb) or an Amphi pipeline (.ampln).')
          )
        )}
        {field(
          'name',
          trans.__('Name'),
          <input
            id={id('name')}
            className="jp-mod-styled jp-PipelineScheduler-input"
            type="text"
            value={state.name}
            maxLength={200}
            placeholder={trans.__('A name for the job')}
            onChange={event => update({ name: event.target.value }, 'name')}
            data-testid="field-name"
            {...invalid('name')}
          />
        )}
      </fieldset>

      <fieldset className="jp-PipelineScheduler-section">
        <legend>{trans.__('When')}</legend>
        {field(
          'scheduleType',
          trans.__('Schedule'),
          <select
            id={id('scheduleType')}
            className="jp-mod-styled jp-PipelineScheduler-select"
            value={kind}
            onChange={event =>
              update(kindChanges(event.target.value as ScheduleKind), 'scheduleType')
            }
            data-testid="field-schedule"
            {...invalid('scheduleType')}
          >
            <option value="once">{trans.__('Once, at a date and time')}</option>
            <option value="daily">{trans.__('Every day')}</option>
            <option value="weekly">{trans.__('Every week')}</option>
            <option value="monthly">{trans.__('Every month')}</option>
            <option value="every_x_days">{trans.__('Every N days')}</option>
            <option value="interval">{trans.__('At an interval')}</option>
            <option value="cron">{trans.__('Cron expression')}</option>
            <option value="trigger">{trans.__('After other jobs')}</option>
          </select>
        )}

        {state.scheduleType === 'date' && state.dateType !== 'every_x_days' &&
          field(
            'runDate',
            {
              once: trans.__('Date and time'),
              daily: trans.__('Time of day'),
              weekly: trans.__('Weekday and time'),
              monthly: trans.__('Day and time'),
              every_x_days: ''
            }[state.dateType],
            <input
              id={id('runDate')}
              className="jp-mod-styled jp-PipelineScheduler-input"
              type="datetime-local"
              step={1}
              value={state.runDate}
              onChange={event => update({ runDate: event.target.value }, 'runDate')}
              data-testid="field-run-date"
              {...invalid('runDate')}
            />,
            {
              once: trans.__('In the job\'s time zone.'),
              daily: trans.__('Runs every day at this time (the date itself is not used).'),
              weekly: trans.__('Runs every week on the weekday of this date, at this time.'),
              monthly: trans.__('Runs every month on the day of this date, at this time.'),
              every_x_days: ''
            }[state.dateType]
          )}

        {kind === 'every_x_days' && (
          <>
            {field(
              'everyDays',
              trans.__('Every'),
              <div className="jp-PipelineScheduler-row">
                <input
                  id={id('everyDays')}
                  className="jp-mod-styled jp-PipelineScheduler-number"
                  type="number"
                  min={1}
                  step={1}
                  value={state.everyDays}
                  onChange={event => update({ everyDays: event.target.value }, 'everyDays')}
                  data-testid="field-every-days"
                  {...invalid('everyDays')}
                />
                <span>{trans.__('days')}</span>
              </div>
            )}
            {field(
              'runDate',
              trans.__('Starting at'),
              <input
                id={id('runDate')}
                className="jp-mod-styled jp-PipelineScheduler-input"
                type="datetime-local"
                step={1}
                value={state.runDate}
                onChange={event => update({ runDate: event.target.value }, 'runDate')}
                data-testid="field-run-date"
                {...invalid('runDate')}
              />,
              trans.__('Optional: the first run, and the time of day of the next ones.')
            )}
          </>
        )}

        {kind === 'interval' && (
          <>
            {field(
              'interval',
              trans.__('Every'),
              <div className="jp-PipelineScheduler-row">
                <input
                  id={id('interval')}
                  className="jp-mod-styled jp-PipelineScheduler-number"
                  type="number"
                  min={1}
                  step={1}
                  value={state.intervalValue}
                  onChange={event => update({ intervalValue: event.target.value }, 'interval')}
                  data-testid="field-interval"
                  {...invalid('interval')}
                />
                <select
                  className="jp-mod-styled jp-PipelineScheduler-select"
                  value={state.intervalUnit}
                  aria-label={trans.__('Interval unit')}
                  onChange={event =>
                    update({ intervalUnit: event.target.value as IntervalUnit }, 'interval')
                  }
                  data-testid="field-interval-unit"
                >
                  <option value="seconds">{trans.__('seconds')}</option>
                  <option value="minutes">{trans.__('minutes')}</option>
                  <option value="hours">{trans.__('hours')}</option>
                  <option value="days">{trans.__('days')}</option>
                </select>
              </div>
            )}
            {field(
              'intervalStart',
              trans.__('Starting at'),
              <input
                id={id('intervalStart')}
                className="jp-mod-styled jp-PipelineScheduler-input"
                type="datetime-local"
                step={1}
                value={state.intervalStart}
                onChange={event => update({ intervalStart: event.target.value }, 'intervalStart')}
                data-testid="field-interval-start"
                {...invalid('intervalStart')}
              />,
              trans.__('Optional: empty starts counting now.')
            )}
          </>
        )}

        {kind === 'cron' &&
          field(
            'cronExpression',
            trans.__('Cron expression'),
            <>
              <input
                id={id('cronExpression')}
                className="jp-mod-styled jp-PipelineScheduler-input jp-PipelineScheduler-mono"
                type="text"
                value={state.cronExpression}
                placeholder="30 2 * * 1-5"
                spellCheck={false}
                onChange={event => update({ cronExpression: event.target.value }, 'cronExpression')}
                data-testid="field-cron"
                {...invalid('cronExpression')}
              />
              <div
                className={
                  cronWords?.error
                    ? 'jp-PipelineScheduler-cronWords jp-mod-invalid'
                    : 'jp-PipelineScheduler-cronWords'
                }
                aria-live="polite"
                data-testid="cron-words"
              >
                {cronWords?.text ?? cronWords?.error}
              </div>
            </>,
            trans.__('minute hour day-of-month month day-of-week (0 and 7 are Sunday); 6 fields: seconds first.')
          )}

        {kind === 'trigger' && (
          <ConditionsEditor
            prefix={prefix}
            state={state}
            jobs={otherJobs}
            trans={trans}
            error={errorOf('conditions')}
            update={update}
          />
        )}

        {kind !== 'trigger' &&
          field(
            'timezone',
            trans.__('Time zone'),
            <select
              id={id('timezone')}
              className="jp-mod-styled jp-PipelineScheduler-select"
              value={state.timezone}
              onChange={event => update({ timezone: event.target.value }, 'timezone')}
              data-testid="field-timezone"
              {...invalid('timezone')}
            >
              {zoneOptions.map(zone => (
                <option key={zone} value={zone}>
                  {zone}
                </option>
              ))}
            </select>
          )}

        <SchedulePreview
          kind={kind}
          words={words}
          preview={preview}
          stale={previewKey !== debouncedKey}
          trans={trans}
        />
      </fieldset>

      <fieldset className="jp-PipelineScheduler-section">
        <legend>{trans.__('How')}</legend>
        {field(
          'arguments',
          trans.__('Arguments'),
          <input
            id={id('arguments')}
            className="jp-mod-styled jp-PipelineScheduler-input jp-PipelineScheduler-mono"
            type="text"
            value={state.arguments}
            placeholder="--date today --verbose"
            spellCheck={false}
            onChange={event => update({ arguments: event.target.value }, 'arguments')}
            data-testid="field-arguments"
            {...invalid('arguments')}
          />,
          trans.__('Split like a shell would (quotes work); no shell is run.')
        )}
        <EnvEditor
          prefix={prefix}
          rows={state.env}
          trans={trans}
          error={errorOf('env')}
          onChange={env => update({ env }, 'env')}
        />
        {field(
          'cwd',
          trans.__('Working directory'),
          <input
            id={id('cwd')}
            className="jp-mod-styled jp-PipelineScheduler-input"
            type="text"
            value={state.cwd}
            placeholder={trans.__('(server root)')}
            onChange={event => update({ cwd: event.target.value }, 'cwd')}
            data-testid="field-cwd"
            {...invalid('cwd')}
          />,
          trans.__('Relative to the server root; empty: the root.')
        )}
        {field(
          'timeout',
          trans.__('Timeout (seconds)'),
          <input
            id={id('timeout')}
            className="jp-mod-styled jp-PipelineScheduler-number"
            type="number"
            min={1}
            value={state.timeout}
            placeholder={trans.__('none')}
            onChange={event => update({ timeout: event.target.value }, 'timeout')}
            data-testid="field-timeout"
            {...invalid('timeout')}
          />,
          trans.__('A run still going after this long is stopped and recorded as timed out. Empty: the server default.')
        )}
        {field(
          'overlapPolicy',
          trans.__('If still running'),
          <div className="jp-PipelineScheduler-row">
            <select
              id={id('overlapPolicy')}
              className="jp-mod-styled jp-PipelineScheduler-select"
              value={state.overlapPolicy}
              onChange={event =>
                update(
                  { overlapPolicy: event.target.value as IJobFormState['overlapPolicy'] },
                  'overlapPolicy',
                  'maxParallel'
                )
              }
              data-testid="field-overlap"
              {...invalid('overlapPolicy')}
            >
              <option value="skip">{trans.__('skip the new run')}</option>
              <option value="queue">{trans.__('queue it after the running one')}</option>
              <option value="parallel">{trans.__('run in parallel')}</option>
            </select>
            {state.overlapPolicy === 'parallel' && (
              <>
                <label htmlFor={id('maxParallel')}>{trans.__('at most')}</label>
                <input
                  id={id('maxParallel')}
                  className="jp-mod-styled jp-PipelineScheduler-number"
                  type="number"
                  min={1}
                  value={state.maxParallel}
                  onChange={event => update({ maxParallel: event.target.value }, 'maxParallel')}
                  data-testid="field-max-parallel"
                  {...invalid('maxParallel')}
                />
              </>
            )}
          </div>,
          trans.__('What happens when a run is due while the previous one is still active.')
        )}
        <FieldError id={`${prefix}-maxParallel-error`} field="maxParallel" error={errorOf('maxParallel')} />
        {field(
          'catchUp',
          trans.__('Missed runs'),
          <select
            id={id('catchUp')}
            className="jp-mod-styled jp-PipelineScheduler-select"
            value={state.catchUp}
            onChange={event =>
              update({ catchUp: event.target.value as IJobFormState['catchUp'] }, 'catchUp')
            }
            data-testid="field-catch-up"
            {...invalid('catchUp')}
          >
            <option value="run_once">{trans.__('run once when the server is back')}</option>
            <option value="skip">{trans.__('skip them')}</option>
          </select>,
          trans.__('Runs that were due while the server was down.')
        )}
      </fieldset>

      <div className="jp-PipelineScheduler-formButtons">
        <Button
          type="button"
          className="jp-PipelineScheduler-button"
          onClick={props.onCancel}
          data-testid="cancel"
        >
          {trans.__('Cancel')}
        </Button>
        <Button
          type="submit"
          className="jp-PipelineScheduler-button jp-mod-accept"
          disabled={saving || (isPipeline && !canGenerate && !jobId)}
          data-testid="save"
        >
          {saving
            ? trans.__('Saving…')
            : jobId
              ? trans.__('Save changes')
              : trans.__('Create job')}
        </Button>
      </div>
    </form>
  );
}

function defaultNameOf(path: string): string {
  return (path.split('/').pop() ?? '').replace(/\.(py|ipynb|ampln)$/i, '');
}

/** The server's message without its `field: ` prefix (the field is shown already). */
export function stripField(message: string, field: string | null): string {
  if (field && message.startsWith(`${field}: `)) {
    return message.slice(field.length + 2);
  }
  return message;
}

function FieldError(props: {
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

function SchedulePreview(props: {
  kind: ScheduleKind;
  words: string | null;
  preview: IPreviewState;
  stale: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { kind, words, preview, stale, trans } = props;
  const times = preview.result?.next_run_times ?? [];
  const withSeconds = times.some(time => !/^:00(\.0+)?([+-]|Z|$)/.test(time.slice(16)));
  const options: Intl.DateTimeFormatOptions = {
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {})
  };
  return (
    <div
      className="jp-PipelineScheduler-preview"
      aria-live="polite"
      aria-busy={preview.loading || stale}
      data-testid="preview"
    >
      {words && (
        <div className="jp-PipelineScheduler-previewWords" data-testid="schedule-words">
          {words}
        </div>
      )}
      {kind === 'trigger' ? (
        <div className="jp-PipelineScheduler-muted">
          {trans.__('No clock: the job runs when the conditions above are met.')}
        </div>
      ) : preview.error ? (
        <div className="jp-PipelineScheduler-previewError" data-testid="preview-error">
          {preview.error}
        </div>
      ) : preview.result ? (
        <>
          <div className="jp-PipelineScheduler-previewTitle">
            {times.length
              ? trans.__('Next runs (%1):', preview.result.timezone)
              : trans.__('This schedule does not fire again.')}
          </div>
          <ol className="jp-PipelineScheduler-previewTimes" data-testid="preview-times">
            {times.map(time => (
              <li key={time} title={time}>
                {formatDate(time, preview.result!.timezone, options)}
              </li>
            ))}
          </ol>
        </>
      ) : (
        <div className="jp-PipelineScheduler-muted">
          {preview.loading ? trans.__('Computing the next runs…') : ''}
        </div>
      )}
    </div>
  );
}

function ConditionsEditor(props: {
  prefix: string;
  state: IJobFormState;
  jobs: ReadonlyArray<IJob>;
  trans: TranslationBundle;
  error?: string;
  update: (changes: Partial<IJobFormState>, ...fields: FormField[]) => void;
}): JSX.Element {
  const { prefix, state, jobs, trans, update } = props;
  const rows = state.conditions;
  const setRows = (conditions: IJobFormState['conditions']): void =>
    update({ conditions }, 'conditions');
  const known = new Set(jobs.map(job => job.id));
  return (
    <div className="jp-PipelineScheduler-field" data-field="conditions">
      <span className="jp-PipelineScheduler-label" id={`${prefix}-conditions-label`}>
        {trans.__('Run after')}
      </span>
      <div
        className="jp-PipelineScheduler-control"
        role="group"
        aria-labelledby={`${prefix}-conditions-label`}
      >
        <div className="jp-PipelineScheduler-row">
          <select
            className="jp-mod-styled jp-PipelineScheduler-select"
            value={state.logicalOperator}
            aria-label={trans.__('Which conditions must be met')}
            onChange={event =>
              update({ logicalOperator: event.target.value as 'AND' | 'OR' }, 'conditions')
            }
            data-testid="field-operator"
          >
            <option value="AND">{trans.__('all of these (AND)')}</option>
            <option value="OR">{trans.__('any of these (OR)')}</option>
          </select>
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
              aria-invalid={props.error ? true : undefined}
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
            <select
              className="jp-mod-styled jp-PipelineScheduler-select"
              value={row.on}
              aria-label={trans.__('Outcome of job %1', index + 1)}
              onChange={event => {
                const next = rows.slice();
                next[index] = { ...row, on: event.target.value as 'success' | 'failure' };
                setRows(next);
              }}
              data-testid="condition-on"
            >
              <option value="success">{trans.__('succeeds')}</option>
              <option value="failure">{trans.__('fails')}</option>
            </select>
            <IconButton
              icon={closeIcon}
              label={trans.__('Remove condition %1', index + 1)}
              onClick={() => setRows(rows.filter((_, i) => i !== index))}
            />
          </div>
        ))}
        <div>
          <Button
            type="button"
            className="jp-PipelineScheduler-button"
            onClick={() => setRows([...rows, { jobId: '', on: 'success' }])}
            disabled={jobs.length === 0}
            data-testid="add-condition"
          >
            <addIcon.react tag="span" />
            {trans.__('Add a job to wait for')}
          </Button>
        </div>
        <FieldError id={`${prefix}-conditions-error`} field="conditions" error={props.error} />
      </div>
    </div>
  );
}

function EnvEditor(props: {
  prefix: string;
  rows: IJobFormState['env'];
  trans: TranslationBundle;
  error?: string;
  onChange: (rows: IJobFormState['env']) => void;
}): JSX.Element {
  const { prefix, rows, trans, onChange } = props;
  return (
    <div className="jp-PipelineScheduler-field" data-field="env">
      <span className="jp-PipelineScheduler-label" id={`${prefix}-env-label`}>
        {trans.__('Environment variables')}
      </span>
      <div
        className="jp-PipelineScheduler-control"
        role="group"
        aria-labelledby={`${prefix}-env-label`}
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
              aria-invalid={props.error ? true : undefined}
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
        <div>
          <Button
            type="button"
            className="jp-PipelineScheduler-button"
            onClick={() => onChange([...rows, { name: '', value: '' }])}
            data-testid="add-env"
          >
            <addIcon.react tag="span" />
            {trans.__('Add a variable')}
          </Button>
        </div>
        <FieldError id={`${prefix}-env-error`} field="env" error={props.error} />
      </div>
    </div>
  );
}
