import * as React from 'react';

import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import { KernelSpec } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { addIcon, Button, closeIcon } from '@jupyterlab/ui-components';

import type { SchedulerController } from '../controller';
import { describeError } from '../model';
import {
  IDeclaredParameter,
  IParameterRow,
  isNotebookPath,
  notebookInfo,
  parametersFromRows,
  rowsFromParameters
} from '../notebookJobs';
import type { IJob, IJobSummary } from '../tokens';
import { IconButton } from './common';
import { Field, IFormContext } from './formFields';
import { NameValueRow } from './NameValueRow';

/** Name and value rows of a notebook's parameters; declared ones show their default and type. */
export function ParametersEditor(props: {
  rows: IParameterRow[];
  onChange: (rows: IParameterRow[]) => void;
  trans: TranslationBundle;
  invalid?: boolean;
}): JSX.Element {
  const { rows, onChange, trans } = props;
  const change = (index: number, row: IParameterRow): void => {
    const next = rows.slice();
    next[index] = row;
    onChange(next);
  };
  return (
    <div className="jp-PipelineScheduler-parameters" data-testid="parameters-editor">
      {rows.map((row, index) => (
        <NameValueRow
          key={index}
          testid="parameter-row"
          name={row.name}
          value={row.value}
          namePlaceholder={trans.__('name')}
          valuePlaceholder={trans.__('value (JSON or text)')}
          nameLabel={trans.__('Name of parameter %1', index + 1)}
          valueLabel={trans.__('Value of parameter %1', row.name || index + 1)}
          nameReadOnly={!!row.declared}
          valueInvalid={props.invalid}
          valueTitle={row.declared ? declaredHint(row.declared, trans) : undefined}
          onChange={(name, value) => change(index, { ...row, name, value })}
        >
          {row.declared ? (
            <span className="jp-PipelineScheduler-help">{row.declared.type}</span>
          ) : (
            <IconButton
              icon={closeIcon}
              label={trans.__('Remove parameter %1', row.name || index + 1)}
              onClick={() => onChange(rows.filter((_, i) => i !== index))}
            />
          )}
        </NameValueRow>
      ))}
      <div>
        <Button
          type="button"
          className="jp-PipelineScheduler-button"
          onClick={() => onChange([...rows, { name: '', value: '' }])}
          data-testid="add-parameter"
        >
          <addIcon.react tag="span" />
          {trans.__('Add a parameter')}
        </Button>
      </div>
    </div>
  );
}

function declaredHint(declared: IDeclaredParameter, trans: TranslationBundle): string {
  return trans.__('Default in the notebook: %1 (%2)', JSON.stringify(declared.default), declared.type);
}

/** Merge the notebook's declared parameters into rows typed before (typed values win). */
function withDeclared(rows: IParameterRow[], declared: IDeclaredParameter[]): IParameterRow[] {
  return rowsFromParameters(parametersFromRows(rows.map(row => ({ ...row, declared: undefined }))), declared);
}

/**
 * The notebook options of the job form: parameters (prefilled from the
 * notebook's `parameters` cell), the kernel (JupyterLab's kernelspecs) and
 * the HTML export. Shown for notebook targets only.
 */
export function NotebookOptions(props: { form: IFormContext; controller: SchedulerController }): JSX.Element | null {
  return isNotebookPath(props.form.state.path) ? <NotebookSection {...props} /> : null;
}

function NotebookSection(props: { form: IFormContext; controller: SchedulerController }): JSX.Element {
  const { form, controller } = props;
  const { state, trans } = form;
  const path = state.path.trim();
  const [note, setNote] = React.useState<string | null>(null);
  const [defaultKernel, setDefaultKernel] = React.useState<string | null>(null);
  const specs = useKernelSpecs(controller);

  React.useEffect(() => {
    const abort = new AbortController();
    const timer = setTimeout(() => {
      notebookInfo(controller.api, path, { signal: abort.signal }).then(
        info => {
          setNote(null);
          setDefaultKernel(info.kernel_name);
          form.update({ parameters: withDeclared(form.state.parameters, info.parameters) });
        },
        reason => !abort.signal.aborted && setNote(describeError(reason))
      );
    }, 300);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [path]);

  return (
    <fieldset className="jp-PipelineScheduler-section" data-testid="notebook-options">
      <legend>{trans.__('Notebook')}</legend>
      <Field
        form={form}
        field="parameters"
        label={trans.__('Parameters')}
        help={
          note ??
          trans.__('Injected after the cell tagged "parameters" (papermill\'s convention); values are JSON or text.')
        }
      >
        <ParametersEditor
          rows={state.parameters}
          trans={trans}
          invalid={!!form.errorOf('parameters')}
          onChange={parameters => form.update({ parameters }, 'parameters')}
        />
      </Field>
      <Field form={form} field="kernelName" label={trans.__('Kernel')}>
        <select
          className="jp-mod-styled jp-PipelineScheduler-input"
          value={state.kernelName}
          onChange={event => form.update({ kernelName: event.target.value }, 'kernelName')}
          data-testid="field-kernel"
        >
          <option value="">
            {defaultKernel ? trans.__("The notebook's (%1)", displayName(specs, defaultKernel)) : trans.__("The notebook's")}
          </option>
          {Object.values(specs?.kernelspecs ?? {}).map(spec =>
            spec ? (
              <option key={spec.name} value={spec.name}>
                {spec.display_name}
              </option>
            ) : null
          )}
        </select>
      </Field>
      <label className="jp-PipelineScheduler-checkbox">
        <input
          type="checkbox"
          checked={state.htmlExport}
          onChange={event => form.update({ htmlExport: event.target.checked })}
          data-testid="field-html-export"
        />
        {trans.__('Also keep an HTML export of each run')}
      </label>
    </fieldset>
  );
}

function displayName(specs: KernelSpec.ISpecModels | null, name: string): string {
  return specs?.kernelspecs[name]?.display_name ?? name;
}

/** JupyterLab's kernelspecs, updated when they change (none without an application, as in unit tests). */
function useKernelSpecs(controller: SchedulerController): KernelSpec.ISpecModels | null {
  const manager = controller.app?.serviceManager?.kernelspecs ?? null;
  const [specs, setSpecs] = React.useState(manager?.specs ?? null);
  React.useEffect(() => {
    if (!manager) {
      return;
    }
    const onChange = (): void => setSpecs(manager.specs);
    manager.specsChanged.connect(onChange);
    void manager.ready.then(onChange);
    return () => {
      manager.specsChanged.disconnect(onChange);
    };
  }, [manager]);
  return specs;
}

/** The body of the "Run with other parameters…" dialog. */
class ParametersBody extends ReactWidget {
  constructor(
    public rows: IParameterRow[],
    private readonly _trans: TranslationBundle
  ) {
    super();
  }

  render(): JSX.Element {
    return (
      <ParametersEditor
        rows={this.rows}
        trans={this._trans}
        onChange={rows => {
          this.rows = rows;
          this.update();
        }}
      />
    );
  }

  getValue(): Record<string, unknown> {
    return parametersFromRows(this.rows, { keepDefaults: true }); // a value set back to its default overrides the job's
  }
}

/**
 * "Run with other parameters…": a dialog prefilled with the job's parameters
 * (read with `GET jobs/{id}`: the job list does not hold them) over the
 * notebook's defaults; runs the job once with them (the job is not changed)
 * and opens the run.
 */
export async function runWithOtherParameters(controller: SchedulerController, listed: IJobSummary): Promise<void> {
  const trans = controller.trans;
  let job: IJob;
  try {
    job = await controller.api.getJob(listed.id);
  } catch (reason) {
    await showDialog({
      title: trans.__('Could not read "%1"', listed.name || listed.id),
      body: describeError(reason),
      buttons: [Dialog.okButton({ label: trans.__('OK') })]
    });
    return;
  }
  let declared: IDeclaredParameter[] = [];
  try {
    declared = (await notebookInfo(controller.api, job.pipeline_path ?? '')).parameters;
  } catch {
    // the notebook cannot be read now: the job's own parameters are still shown
  }
  const body = new ParametersBody(rowsFromParameters(job.parameters, declared), trans);
  const result = await showDialog({
    title: trans.__('Run %1 with other parameters', job.name),
    body,
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.okButton({ label: trans.__('Run') })]
  });
  if (!result.button.accept || !result.value) {
    return;
  }
  try {
    const run = await controller.api.runJob(job.id, 'manual', { ...(job.parameters ?? {}), ...result.value });
    controller.openRun(run.id, { jobId: job.id });
  } catch (reason) {
    await showDialog({
      title: trans.__('The run was not started'),
      body: describeError(reason),
      buttons: [Dialog.okButton({ label: trans.__('OK') })]
    });
  }
}
