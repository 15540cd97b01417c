import * as React from 'react';

import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';

import { ErrorBoundary } from '../components/common';
import { RunView } from '../components/RunView';
import type { SchedulerController } from '../controller';
import { pinIcon, schedulerIcon } from '../icons';
import { IRun, isActive } from '../tokens';

/**
 * The view of a job's runs in one tab (content of a `MainAreaWidget`): it
 * shows one run and follows the job's newest run as runs start, unless it is
 * pinned to its run.
 */
export class RunViewer extends ReactWidget {
  constructor(options: RunViewer.IOptions) {
    super();
    this._controller = options.controller;
    this._runId = options.runId;
    this._jobId = options.jobId ?? null;
    this._pinned = !!options.pinned;
    this.addClass('jp-PipelineScheduler-runViewer');
    this._controller.model.runChanged.connect(this._onRun, this);
  }

  /** The id of the run shown. */
  get runId(): number {
    return this._runId;
  }

  /** The job of the run shown (null until the run is loaded, when not given). */
  get jobId(): string | null {
    return this._jobId;
  }

  /** Whether the tab stays on its run instead of following the job's newest run. */
  get pinned(): boolean {
    return this._pinned;
  }
  set pinned(value: boolean) {
    if (value !== this._pinned) {
      this._pinned = value;
      this._updateTitle();
      this.update();
      this._changed.emit();
    }
  }

  /** Emitted when the run shown or the pin changes (the layout is saved again). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Show another run (of the same job). */
  showRun(runId: number, jobId?: string | null): void {
    if (jobId) {
      this._jobId = jobId;
    }
    if (runId === this._runId) {
      return;
    }
    this._runId = runId;
    this._run = null;
    this._updateTitle();
    this.update();
    this._changed.emit();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._controller.model.runChanged.disconnect(this._onRun, this);
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <ErrorBoundary trans={this._controller.trans}>
        <RunView
          key={this._runId}
          controller={this._controller}
          runId={this._runId}
          pinned={this._pinned}
          onTogglePin={() => {
            this.pinned = !this._pinned;
          }}
          onTitle={run => this._setRun(run)}
        />
      </ErrorBoundary>
    );
  }

  /** A run started or changed: an unpinned tab moves to a newer run of its job. */
  private _onRun(_: unknown, run: IRun): void {
    if (
      !this._pinned &&
      this._jobId !== null &&
      run.job_id === this._jobId &&
      run.id > this._runId &&
      isActive(run.status)
    ) {
      this.showRun(run.id);
    }
  }

  private _setRun(run: IRun): void {
    this._run = run;
    if (run.job_id && run.job_id !== this._jobId) {
      this._jobId = run.job_id;
      this._changed.emit();
    }
    this._updateTitle();
  }

  private _updateTitle(): void {
    const trans = this._controller.trans;
    const owner = this.parent ?? this;
    const run = this._run;
    const name = run ? run.job_name || run.job_id : '';
    owner.title.label = name
      ? trans.__('%1 · run #%2', name, this._runId)
      : trans.__('Run #%1', this._runId);
    owner.title.caption = this._pinned
      ? trans.__('Run #%1 of "%2" (pinned)', this._runId, name)
      : trans.__('Runs of "%1": follows the newest run (now #%2)', name, this._runId);
    owner.title.icon = this._pinned ? pinIcon : schedulerIcon;
    if (run) {
      owner.title.caption += ` · ${run.status}`;
    }
  }

  private _controller: SchedulerController;
  private _runId: number;
  private _jobId: string | null;
  private _pinned: boolean;
  private _run: IRun | null = null;
  private _changed = new Signal<this, void>(this);
}

export namespace RunViewer {
  export interface IOptions {
    controller: SchedulerController;
    runId: number;
    /** The job of the run, when known. */
    jobId?: string | null;
    /** Keep the tab on this run. */
    pinned?: boolean;
  }
}
