import * as React from 'react';

import { Button, folderIcon } from '@jupyterlab/ui-components';

import type { SchedulerController } from '../controller';
import type { IJobFormState } from '../payload';
import { GENERATE_CODE_COMMAND, isPipelinePath } from '../tokens';
import { Field, fieldId, FormInput, IFormContext, InputField, invalidProps } from './formFields';

/**
 * The "What to run" section of the job form: the file, or the code of a job
 * without one (a notebook cell's), and the job's name.
 */
export function JobFormTarget(props: {
  form: IFormContext;
  controller: SchedulerController;
  /** The job being edited, or null for a new job. */
  jobId: string | null;
}): JSX.Element {
  const { form, controller, jobId } = props;
  const { state, trans } = form;
  const [showAll, setShowAll] = React.useState(false);
  // A job of code stays one while its code is edited (even emptied).
  const [isCode] = React.useState(state.code !== '' && !state.path.trim());

  const browse = async (): Promise<void> => {
    const path = await controller.pickFile(state.path, showAll);
    if (path) {
      const changes: Partial<IJobFormState> = { path };
      if (!state.name.trim() || state.name === defaultNameOf(state.path)) {
        changes.name = defaultNameOf(path);
      }
      form.update(changes, 'path');
    }
  };

  const help = !isPipelinePath(state.path) ? (
    trans.__('Relative to the server root: a Python script (.py), a notebook (.ipynb) or an Amphi pipeline (.ampln).')
  ) : controller.canGenerateCode ? (
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
      {jobId ? ' ' + trans.__('Saving keeps the code generated before.') : ''}
    </span>
  );

  return (
    <fieldset className="jp-PipelineScheduler-section">
      <legend>{trans.__('What to run')}</legend>
      {isCode ? (
        <Field
          form={form}
          field="path"
          label={trans.__('Code')}
          help={trans.__('Python code, run as a script of its own: what it imports or uses must be in it.')}
        >
          <textarea
            id={fieldId(form, 'path')}
            className="jp-mod-styled jp-PipelineScheduler-input jp-PipelineScheduler-mono"
            rows={Math.min(20, Math.max(4, state.code.split('\n').length + 1))}
            spellCheck={false}
            value={state.code}
            onChange={event => form.update({ code: event.target.value }, 'path')}
            onBlur={() => form.touch?.('path')}
            data-testid="field-code"
            {...invalidProps(form, 'path')}
          />
        </Field>
      ) : (
        <Field form={form} field="path" label={trans.__('File')} help={help}>
          <div className="jp-PipelineScheduler-row">
            <FormInput
              form={form}
              field="path"
              placeholder={trans.__('path/to/script.py, notebook.ipynb or pipeline.ampln')}
              testid="field-path"
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
        </Field>
      )}
      <InputField
        form={form}
        field="name"
        label={trans.__('Name')}
        maxLength={200}
        placeholder={trans.__('A name for the job')}
        testid="field-name"
      />
    </fieldset>
  );
}

/** The name a new job gets from its file: the file name without extension. */
export function defaultNameOf(path: string): string {
  return (path.split('/').pop() ?? '').replace(/\.(py|ipynb|ampln)$/i, '');
}
