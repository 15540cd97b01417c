import * as React from 'react';

import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';

import { ErrorBoundary } from '../components/common';
import { JobForm } from '../components/JobForm';
import type { SchedulerController } from '../controller';
import { IJobFormState } from '../payload';
import { IJob } from '../tokens';

/**
 * The job form as a main-area widget (content of a `MainAreaWidget`).
 */
export class JobEditor extends ReactWidget {
  constructor(options: JobEditor.IOptions) {
    super();
    this._controller = options.controller;
    this.initial = this._draft = options.initial;
    this.jobId = options.jobId;
    this.addClass('jp-PipelineScheduler-editor');
  }

  /** The job being edited, or null for a new job. */
  readonly jobId: string | null;

  /** What the form opened with (from the whole job when editing). */
  readonly initial: IJobFormState;

  /** Emitted with the job once it is saved. */
  get saved(): ISignal<this, IJob> {
    return this._saved;
  }

  /** Emitted when the user cancels. */
  get cancelled(): ISignal<this, void> {
    return this._cancelled;
  }

  protected render(): JSX.Element {
    return (
      <ErrorBoundary trans={this._controller.trans}>
        <JobForm
          controller={this._controller}
          initial={this._draft}
          jobId={this.jobId}
          onChange={state => {
            this._draft = state;
          }}
          onSaved={job => this._saved.emit(job)}
          onCancel={() => this._cancelled.emit()}
        />
      </ErrorBoundary>
    );
  }

  private _controller: SchedulerController;
  /**
   * The form as last edited: React unmounts the form when the widget is
   * detached (not moved), and a form mounted again starts from this.
   */
  private _draft: IJobFormState;
  private _saved = new Signal<this, IJob>(this);
  private _cancelled = new Signal<this, void>(this);
}

export namespace JobEditor {
  export interface IOptions {
    controller: SchedulerController;
    initial: IJobFormState;
    jobId: string | null;
  }
}
