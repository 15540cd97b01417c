import * as React from 'react';

import { Button } from '@jupyterlab/ui-components';

import { SchedulerError } from '../api';
import type { SchedulerController } from '../controller';
import { describeError } from '../model';
import { checkForm, FormField, formFieldOf, IJobFormState } from '../payload';
import { IJob, isPipelinePath } from '../tokens';
import { useSignal } from './common';
import { IFormContext } from './formFields';
import { JobFormOptions } from './JobFormOptions';
import { JobFormSchedule } from './JobFormSchedule';
import { JobFormTarget } from './JobFormTarget';

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

  const form: IFormContext = { prefix, state, trans, errorOf, update };
  const broken = jobId ? model.job(jobId)?.broken : undefined;
  const isPipeline = isPipelinePath(state.path);
  const canGenerate = controller.canGenerateCode;

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
      {broken && (
        <div className="jp-PipelineScheduler-error" data-testid="form-broken">
          <strong>{trans.__('This job is broken:')}</strong> {String(broken)}
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
      <JobFormSchedule form={form} controller={controller} jobId={jobId} />
      <JobFormOptions form={form} />

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

/** The server's message without its `field: ` prefix (the field is shown already). */
export function stripField(message: string, field: string | null): string {
  if (field && message.startsWith(`${field}: `)) {
    return message.slice(field.length + 2);
  }
  return message;
}
