import * as React from 'react';

import { ReactWidget } from '@jupyterlab/ui-components';

import { ErrorBoundary } from '../components/common';
import { RunView } from '../components/RunView';
import type { SchedulerController } from '../controller';
import { IRun } from '../tokens';

/**
 * The view of one run (content of a `MainAreaWidget`).
 */
export class RunViewer extends ReactWidget {
  constructor(options: RunViewer.IOptions) {
    super();
    this._controller = options.controller;
    this.runId = options.runId;
    this.addClass('jp-PipelineScheduler-runViewer');
  }

  /** The id of the run shown. */
  readonly runId: number;

  protected render(): JSX.Element {
    return (
      <ErrorBoundary trans={this._controller.trans}>
        <RunView
          controller={this._controller}
          runId={this.runId}
          onTitle={run => this._setTitle(run)}
        />
      </ErrorBoundary>
    );
  }

  private _setTitle(run: IRun): void {
    const trans = this._controller.trans;
    const owner = this.parent ?? this;
    owner.title.label = trans.__('Run #%1 · %2', run.id, run.job_name || run.job_id);
    owner.title.caption = trans.__('Run #%1 of "%2": %3', run.id, run.job_name || run.job_id, run.status);
  }

  private _controller: SchedulerController;
}

export namespace RunViewer {
  export interface IOptions {
    controller: SchedulerController;
    runId: number;
  }
}
