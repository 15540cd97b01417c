import * as React from 'react';

import type { SchedulerController } from '../controller';
import { formatDuration } from '../format';
import { fieldApplies, IJobFormState } from '../payload';
import { EnvEditor } from './EnvEditor';
import {
  Field,
  FieldErrorOf,
  fieldId,
  FormInput,
  FormSelect,
  IFormContext,
  InputField
} from './formFields';

/**
 * The "How" section of the job form: arguments, environment, working
 * directory, timeout, and what to do with overlapping or missed runs.
 */
export function JobFormOptions(props: {
  form: IFormContext;
  controller: Pick<SchedulerController, 'serverConfig'>;
}): JSX.Element {
  const { form, controller } = props;
  const { state, trans, update } = form;
  // The server's default timeout, said the same way in the placeholder and the help.
  const [defaultTimeout, setDefaultTimeout] = React.useState<number | null | undefined>(undefined);
  React.useEffect(() => {
    let live = true;
    void controller.serverConfig?.().then(
      config => live && setDefaultTimeout(Number(config?.default_timeout) || null),
      () => live && setDefaultTimeout(undefined)
    );
    return () => {
      live = false;
    };
  }, []);
  const timeoutDefault =
    defaultTimeout === undefined
      ? trans.__('server default')
      : defaultTimeout
        ? trans.__('server default: %1', formatDuration(defaultTimeout, trans))
        : trans.__('no timeout (server default)');
  return (
    <fieldset className="jp-PipelineScheduler-section">
      <legend>{trans.__('How')}</legend>
      {fieldApplies('arguments', state) && (
        <InputField
          form={form}
          field="arguments"
          label={trans.__('Arguments')}
          help={trans.__('Split like a shell would (quotes work); no shell is run.')}
          mono
          placeholder="--date today --verbose"
          testid="field-arguments"
        />
      )}
      <EnvEditor form={form} />
      <InputField
        form={form}
        field="cwd"
        label={trans.__('Working directory')}
        help={trans.__('Relative to the server root; empty: the root.')}
        placeholder={trans.__('(server root)')}
        testid="field-cwd"
      />
      <InputField
        form={form}
        field="timeout"
        label={trans.__('Timeout (seconds)')}
        help={trans.__(
          'A run still going after this long is stopped and recorded as timed out. Empty: %1.',
          timeoutDefault
        )}
        type="number"
        placeholder={timeoutDefault}
        testid="field-timeout"
      />
      <Field
        form={form}
        field="overlapPolicy"
        label={trans.__('If still running')}
        help={trans.__('What happens when a run is due while the previous one is still active.')}
      >
        <div className="jp-PipelineScheduler-row">
          <FormSelect
            form={form}
            field="overlapPolicy"
            value={state.overlapPolicy}
            onValue={value =>
              update(
                { overlapPolicy: value as IJobFormState['overlapPolicy'] },
                'overlapPolicy',
                'maxParallel'
              )
            }
            testid="field-overlap"
            options={[
              ['skip', trans.__('skip the new run')],
              ['queue', trans.__('queue it after the running one')],
              ['parallel', trans.__('run in parallel')]
            ]}
          />
          {state.overlapPolicy === 'parallel' && (
            <>
              <label htmlFor={fieldId(form, 'maxParallel')}>{trans.__('at most')}</label>
              <FormInput
                form={form}
                field="maxParallel"
                type="number"
                testid="field-max-parallel"
              />
            </>
          )}
        </div>
      </Field>
      <FieldErrorOf form={form} field="maxParallel" />
      {fieldApplies('catchUp', state) && (
      <Field
        form={form}
        field="catchUp"
        label={trans.__('Missed runs')}
        help={trans.__(
          'Runs due while no server was firing jobs. Every missed run is recorded: with "run the latest", the latest one runs and the others are recorded as skipped; with "skip them", all are recorded as skipped.'
        )}
      >
        <FormSelect
          form={form}
          field="catchUp"
          value={state.catchUp}
          onValue={value => update({ catchUp: value as IJobFormState['catchUp'] }, 'catchUp')}
          testid="field-catch-up"
          options={[
            ['run_once', trans.__('run the latest when a server is back')],
            ['skip', trans.__('skip them')]
          ]}
        />
      </Field>
      )}
    </fieldset>
  );
}
