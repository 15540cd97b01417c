import * as React from 'react';

import {
  Dialog,
  Notification,
  ReactWidget,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';

import { SchedulerAPI, SchedulerError } from '../api';
import { JobList } from '../components/JobList';
import { schedulerIcon } from '../icons';
import {
  DEFAULT_SETTINGS,
  IJob,
  PANEL_ID,
  TRANSLATION_DOMAIN
} from '../tokens';

/**
 * The left-sidebar panel listing the scheduled jobs.
 *
 * The list is refreshed when the panel is shown, after every action, and
 * every `refreshInterval` seconds while the panel is visible.
 */
export class SchedulerPanel extends ReactWidget {
  constructor(options: SchedulerPanel.IOptions) {
    super();
    this._api = options.api;
    this._trans = (options.translator ?? nullTranslator).load(
      TRANSLATION_DOMAIN
    );
    this.id = PANEL_ID;
    this.addClass('jp-PipelineScheduler-panel');
    this.title.icon = schedulerIcon;
    this.title.caption = this._trans.__('Pipeline Scheduler');
    this.refreshInterval =
      options.refreshInterval ?? DEFAULT_SETTINGS.refreshInterval;
  }

  /** The jobs shown by the panel. */
  get jobs(): ReadonlyArray<IJob> {
    return this._jobs;
  }

  /** Seconds between automatic refreshes; 0 (or less) disables them. */
  get refreshInterval(): number {
    return this._refreshInterval;
  }
  set refreshInterval(seconds: number) {
    const value = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
    if (value === this._refreshInterval && this._timer !== null) {
      return;
    }
    this._refreshInterval = value;
    this._stopTimer();
    if (value > 0 && !this.isDisposed) {
      this._timer = window.setInterval(() => {
        if (this.isVisible) {
          void this.refresh();
        }
      }, value * 1000);
    }
  }

  /**
   * Fetch the job list.
   *
   * @param notify - Show a dialog when the request fails; otherwise the
   *   error is only shown inline (used for background refreshes).
   */
  async refresh(notify = false): Promise<void> {
    if (this._inflight) {
      // Coalesce with the refresh already in flight.
      return this._inflight;
    }
    this._loading = true;
    this.update();
    this._inflight = (async () => {
      try {
        this._jobs = await this._api.listJobs();
        this._loaded = true;
        this._error = null;
      } catch (reason) {
        const message = this._describe(reason);
        this._error = this._trans.__(
          'Could not load the scheduled jobs: %1',
          message
        );
        if (notify) {
          void showErrorMessage(
            this._trans.__('Could not load the scheduled jobs'),
            message
          );
        }
      } finally {
        this._loading = false;
        this._inflight = null;
        if (!this.isDisposed) {
          this.update();
        }
      }
    })();
    return this._inflight;
  }

  /** Start a run of a job now. */
  async runNow(job: IJob): Promise<void> {
    await this._withPending(
      job,
      async () => {
        await this._api.runJob(job.id);
        Notification.info(this._trans.__('Started a run of "%1".', job.name), {
          autoClose: 3000
        });
      },
      this._trans.__('Could not start a run of "%1"', job.name)
    );
  }

  /** Ask for confirmation, then delete a job. */
  async deleteJob(job: IJob): Promise<void> {
    const result = await showDialog({
      title: this._trans.__('Delete job'),
      body: this._trans.__(
        'Delete the scheduled job "%1"? This cannot be undone.',
        job.name
      ),
      buttons: [
        Dialog.cancelButton({ label: this._trans.__('Cancel') }),
        Dialog.warnButton({ label: this._trans.__('Delete') })
      ]
    });
    if (!result.button.accept) {
      return;
    }
    await this._withPending(
      job,
      () => this._api.deleteJob(job.id),
      this._trans.__('Could not delete "%1"', job.name)
    );
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopTimer();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  protected render(): JSX.Element {
    return (
      <JobList
        jobs={this._jobs}
        loaded={this._loaded}
        loading={this._loading}
        error={this._error}
        pending={this._pending}
        trans={this._trans}
        onRefresh={() => void this.refresh(true)}
        onRun={job => void this.runNow(job)}
        onDelete={job => void this.deleteJob(job)}
      />
    );
  }

  /**
   * Run an action on a job with its buttons disabled, report a failure with
   * an error dialog, and refresh the list afterwards.
   */
  private async _withPending(
    job: IJob,
    action: () => Promise<void>,
    errorTitle: string
  ): Promise<void> {
    this._pending.add(job.id);
    this.update();
    try {
      await action();
    } catch (reason) {
      void showErrorMessage(errorTitle, this._describe(reason));
    } finally {
      this._pending.delete(job.id);
      this.update();
    }
    // A refresh started before the action finished may hold stale data.
    if (this._inflight) {
      await this._inflight;
    }
    await this.refresh();
  }

  private _describe(reason: unknown): string {
    if (reason instanceof SchedulerError && reason.field) {
      return this._trans.__('%1 (field: %2)', reason.message, reason.field);
    }
    if (reason instanceof Error) {
      return reason.message;
    }
    return String(reason);
  }

  private _stopTimer(): void {
    if (this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _api: SchedulerAPI;
  private _trans: TranslationBundle;
  private _jobs: IJob[] = [];
  private _loaded = false;
  private _loading = false;
  private _error: string | null = null;
  private _pending = new Set<string>();
  private _inflight: Promise<void> | null = null;
  private _refreshInterval = 0;
  private _timer: number | null = null;
}

export namespace SchedulerPanel {
  export interface IOptions {
    /** The REST client. */
    api: SchedulerAPI;
    /** The application translator. */
    translator?: ITranslator | null;
    /** Seconds between automatic refreshes (default 10). */
    refreshInterval?: number;
  }
}
