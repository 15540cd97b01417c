import * as React from 'react';

import { Button } from '@jupyterlab/ui-components';

import { isAbort, SchedulerError } from '../api';
import type { SchedulerController } from '../controller';
import { plainError } from '../messages';
import { describeError } from '../model';
import {
  checkForm,
  fieldApplies,
  FormField,
  formFieldOf,
  IJobFormState,
  previewPayload
} from '../payload';
import { IJob, IPreview, isPipelinePath } from '../tokens';
import { useDebounced, useSignal } from './common';
import { IFormContext } from './formFields';
import { JobFormOptions } from './JobFormOptions';
import { JobFormSchedule } from './JobFormSchedule';
import { JobFormTarget } from './JobFormTarget';
import { NotebookOptions } from './ParametersEditor';

/** Properties of {@link JobForm}. */
export interface IJobFormProps {
  controller: SchedulerController;
  /** The state the form starts from. */
  initial: IJobFormState;
  /** The job being edited (`PUT`), or null for a new job (`POST`). */
  jobId: string | null;
  onSaved: (job: IJob) => void;
  onCancel: () => void;
  /** Called with every change, so that a form mounted again can start from it. */
  onChange?: (state: IJobFormState) => void;
}

/** The server's answer about the schedule being edited (`POST triggers/preview`). */
export interface IPreviewState {
  loading: boolean;
  result: IPreview | null;
  /** A refusal that names no field of the form (shown in the preview). */
  error: string | null;
  /** A refusal about a field of the form (shown on that field only). */
  fieldError: { field: FormField; message: string } | null;
  /** Whether the form changed since the answer (a new one is coming). */
  stale: boolean;
}

let formCounter = 0;

/**
 * The words and next fire times of the form's schedule, asked of the server
 * once typing pauses (at once for the first answer).
 */
function usePreview(controller: SchedulerController, state: IJobFormState): IPreviewState {
  const previewKey = JSON.stringify(previewPayload(state));
  // The first answer is asked at once (the debounced value starts as the key).
  const debouncedKey = useDebounced(previewKey, 350);
  const [answer, setAnswer] = React.useState<Omit<IPreviewState, 'stale'>>({
    loading: false,
    result: null,
    error: null,
    fieldError: null
  });
  React.useEffect(() => {
    const payload = JSON.parse(debouncedKey);
    if (!payload) {
      setAnswer({ loading: false, result: null, error: null, fieldError: null });
      return;
    }
    const abort = new AbortController();
    setAnswer(current => ({ ...current, loading: true }));
    controller.api.preview(payload, { signal: abort.signal }).then(
      result => setAnswer({ loading: false, result, error: null, fieldError: null }),
      reason => {
        if (isAbort(reason) || abort.signal.aborted) {
          return;
        }
        const field =
          reason instanceof SchedulerError && reason.field
            ? formFieldOf(reason.field, state)
            : 'general';
        const message =
          reason instanceof SchedulerError
            ? plainError(reason.message, reason.field)
            : describeError(reason);
        setAnswer({
          loading: false,
          result: null,
          error: field === 'general' ? message : null,
          fieldError: field === 'general' ? null : { field, message }
        });
      }
    );
    return () => abort.abort();
  }, [debouncedKey]);
  return { ...answer, stale: previewKey !== debouncedKey };
}

/**
 * The job form: target, schedule (its words and next fire times, from the
 * server), and run options. Each problem is shown once, on its field, in
 * plain words; the submit button is disabled while a field shows one.
 */
export function JobForm(props: IJobFormProps): JSX.Element {
  const { controller, jobId } = props;
  const trans = controller.trans;
  const model = controller.model;
  useSignal(model.changed);

  const prefix = React.useMemo(() => `jp-PipelineScheduler-form${++formCounter}`, []);
  const [state, setState] = React.useState<IJobFormState>(props.initial);
  const { onChange } = props;
  React.useEffect(() => {
    onChange?.(state);
  }, [state]);
  const [attempted, setAttempted] = React.useState(false);
  const [touched, setTouched] = React.useState<ReadonlySet<FormField>>(new Set());
  const [serverErrors, setServerErrors] = React.useState<
    Partial<Record<FormField, string>>
  >({});
  const [generalError, setGeneralError] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);
  const formRef = React.useRef<HTMLFormElement>(null);
  const preview = usePreview(controller, state);

  const applies = (field: FormField): boolean =>
    field === 'arguments' || field === 'timezone' || field === 'catchUp'
      ? fieldApplies(field, state)
      : true;
  const clientErrors = checkForm(state, trans);
  const errorOf = (field: FormField): string | undefined => {
    if (!applies(field)) {
      return undefined;
    }
    if (serverErrors[field]) {
      return serverErrors[field];
    }
    if (preview.fieldError?.field === field) {
      return preview.fieldError.message;
    }
    return attempted || touched.has(field) ? clientErrors[field] : undefined;
  };
  const FIELDS: FormField[] = [
    'path',
    'name',
    'scheduleType',
    'runDate',
    'everyDays',
    'interval',
    'intervalStart',
    'cronExpression',
    'conditions',
    'timezone',
    'arguments',
    'env',
    'cwd',
    'timeout',
    'overlapPolicy',
    'maxParallel',
    'catchUp',
    'parameters',
    'kernelName'
  ];
  const shownErrors = FIELDS.filter(field => !!errorOf(field));

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
  const touch = (field: FormField): void =>
    setTouched(current => (current.has(field) ? current : new Set([...current, field])));

  // -- save ------------------------------------------------------------------
  const submit = async (event?: React.FormEvent): Promise<void> => {
    event?.preventDefault();
    setAttempted(true);
    const problems = Object.keys(checkForm(state, trans)).filter(field =>
      applies(field as FormField)
    );
    if (problems.length > 0 || shownErrors.length > 0) {
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
        const message = plainError(reason.message, reason.field);
        if (field === 'general' || !applies(field)) {
          setGeneralError(message);
        } else {
          setServerErrors({ [field]: message });
        }
      } else {
        setGeneralError(
          reason instanceof SchedulerError ? plainError(reason.message) : describeError(reason)
        );
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

  const form: IFormContext = { prefix, state, trans, errorOf, update, touch };
  const broken = jobId ? model.job(jobId)?.broken : undefined;
  const isPipeline = isPipelinePath(state.path);
  const canGenerate = controller.canGenerateCode;
  const blocked = isPipeline && !canGenerate && !jobId;
  const invalid = shownErrors.length > 0;

  return (
    <form
      ref={formRef}
      className="jp-PipelineScheduler-form"
      onSubmit={event => void submit(event)}
      aria-label={jobId ? trans.__('Edit scheduled job') : trans.__('New scheduled job')}
      data-testid="job-form"
      noValidate
    >
      <div className="jp-PipelineScheduler-formBody">
        <h2 className="jp-PipelineScheduler-formTitle">
          {jobId ? trans.__('Edit scheduled job') : trans.__('New scheduled job')}
        </h2>
        {broken && (
          <div className="jp-PipelineScheduler-error" data-testid="form-broken">
            <strong>{trans.__('This job is broken:')}</strong> {plainError(String(broken))}
            <div>
              {String(broken).startsWith('cannot run')
                ? trans.__('Choose a file that exists and save, or put the file back.')
                : trans.__('Check the fields below and save: saving the job fixes it.')}
            </div>
          </div>
        )}
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

        <JobFormTarget form={form} controller={controller} jobId={jobId} />
        <NotebookOptions form={form} controller={controller} />
        <JobFormSchedule form={form} controller={controller} jobId={jobId} preview={preview} />
        <JobFormOptions form={form} controller={controller} />
      </div>

      {/* The buttons on the left: JupyterLab's notifications pop up on the right. */}
      <div className="jp-PipelineScheduler-formButtons" data-testid="form-footer">
        <Button
          type="submit"
          className="jp-PipelineScheduler-button jp-mod-accept"
          disabled={saving || blocked || invalid}
          title={invalid ? trans.__('Correct the fields marked in red first') : undefined}
          data-testid="save"
        >
          {saving
            ? trans.__('Saving…')
            : jobId
              ? trans.__('Save changes')
              : trans.__('Create job')}
        </Button>
        <Button
          type="button"
          className="jp-PipelineScheduler-button"
          onClick={props.onCancel}
          data-testid="cancel"
        >
          {trans.__('Cancel')}
        </Button>
        {invalid && (
          <button
            type="button"
            className="jp-PipelineScheduler-linkButton jp-PipelineScheduler-formStatus"
            onClick={focusFirstError}
            data-testid="form-status"
          >
            {trans._n(
              'Correct the field marked in red to save.',
              'Correct the %1 fields marked in red to save.',
              shownErrors.length
            )}
          </button>
        )}
      </div>
    </form>
  );
}

/** The server's message without its `field: ` prefix (the field is shown already). */
export function stripField(message: string, field: string | null): string {
  return plainError(message, field);
}
