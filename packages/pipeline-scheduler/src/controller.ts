import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  MainAreaWidget,
  Notification,
  showDialog,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import { FileDialog } from '@jupyterlab/filebrowser';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Menu, Widget } from '@lumino/widgets';

import { SchedulerAPI, SchedulerError } from './api';
import { dependentsOf, idsIn, plainError, quotedList, withJobNames } from './messages';
import { describeError, SchedulerModel } from './model';
import { compact, emptyForm, formFromJob, IJobFormState, payloadFromForm } from './payload';
import { jobsOfPipeline } from './pipelineSaves';
import {
  CommandIDs,
  DEFAULT_SETTINGS,
  GENERATE_CODE_COMMAND,
  IJob,
  IJobSummary,
  IRun,
  isPipelinePath,
  isSupportedPath,
  ISchedulerSettings,
  IServerConfig,
  TRANSLATION_DOMAIN
} from './tokens';
import { browserTimezone, isValidTimezone } from './format';
import { schedulerIcon } from './icons';
import { JobEditor } from './widgets/JobEditor';
import { RunViewer } from './widgets/RunViewer';

/**
 * Everything the views can ask for: job and run actions, the job form and
 * the run view in the main area, code generation for `.ampln` pipelines.
 */
export class SchedulerController {
  constructor(options: SchedulerController.IOptions) {
    this.app = options.app;
    this.api = options.api;
    this.model = options.model;
    this.translator = options.translator;
    this.trans = options.translator.load(TRANSLATION_DOMAIN);
    this.docManager = options.docManager ?? null;
    this.editors = new WidgetTracker<MainAreaWidget<JobEditor>>({
      namespace: 'pipeline-scheduler-job-editor'
    });
    this.runViewers = new WidgetTracker<MainAreaWidget<RunViewer>>({
      namespace: 'pipeline-scheduler-run'
    });
  }

  readonly app: JupyterFrontEnd;
  readonly api: SchedulerAPI;
  readonly model: SchedulerModel;
  readonly translator: ITranslator;
  readonly trans: TranslationBundle;
  readonly docManager: IDocumentManager | null;
  /** Open job forms. */
  readonly editors: WidgetTracker<MainAreaWidget<JobEditor>>;
  /** Open run views. */
  readonly runViewers: WidgetTracker<MainAreaWidget<RunViewer>>;

  /** The current settings. */
  settings: ISchedulerSettings = { ...DEFAULT_SETTINGS };

  /** Asks the panel to show runs (of one job, or all with `null`). */
  get showRunsRequested(): ISignal<this, string | null> {
    return this._showRuns;
  }

  /** Asks the panel to show a job (after it was saved). */
  get showJobRequested(): ISignal<this, string> {
    return this._showJob;
  }

  /** The server's settings (fetched once, when first asked). */
  serverConfig(): Promise<IServerConfig> {
    if (!this._config) {
      this._config = this.api.config().catch(reason => {
        this._config = null;
        throw reason;
      });
    }
    return this._config;
  }

  /** The zone of new jobs: the setting, else the browser's. */
  get defaultTimezone(): string {
    const setting = this.settings.defaultTimezone?.trim();
    return setting && isValidTimezone(setting) ? setting : browserTimezone();
  }

  /** Whether the Amphi pipeline editor can turn `.ampln` files into Python. */
  get canGenerateCode(): boolean {
    return this.app.commands.hasCommand(GENERATE_CODE_COMMAND);
  }

  /** Python code generated from an `.ampln` pipeline by the pipeline editor. */
  async generateCode(path: string): Promise<string> {
    if (!this.canGenerateCode) {
      throw new Error(
        this.trans.__(
          'The Amphi pipeline editor is not installed (command %1 is missing): .ampln pipelines cannot be turned into Python code.',
          GENERATE_CODE_COMMAND
        )
      );
    }
    const file = await this.app.serviceManager.contents.get(path, {
      content: true,
      format: 'text',
      type: 'file'
    });
    const text =
      typeof file.content === 'string'
        ? file.content
        : JSON.stringify(file.content);
    const code = await this.app.commands.execute(GENERATE_CODE_COMMAND, {
      json: text
    });
    if (typeof code !== 'string' || !code.trim()) {
      throw new Error(
        this.trans.__('The pipeline editor generated no code for %1', path)
      );
    }
    return code;
  }

  /**
   * Generate the code of jobs made from the pipeline at `path` again and
   * save it: one generation, one `PUT` per job. `jobs`: those jobs only;
   * otherwise every job that runs the pipeline.
   */
  async regenerateCode(
    path: string,
    jobs?: ReadonlyArray<IJobSummary>
  ): Promise<IJob[]> {
    const targets =
      jobs ??
      jobsOfPipeline(
        this.model.loaded ? this.model.jobs : await this.api.listJobSummaries(),
        path
      );
    if (!targets.length) {
      return [];
    }
    const code = await this.generateCode(path);
    const updated = await Promise.all(
      targets.map(job => this.api.updateJob(job.id, { python_code: code }))
    );
    updated.forEach(job => this.model.upsert(job));
    return updated;
  }

  /** Regenerate the jobs of a pipeline that was just saved, and say so. */
  async pipelineSaved(path: string): Promise<void> {
    let updated: IJob[];
    try {
      updated = await this.regenerateCode(path);
    } catch (reason) {
      Notification.warning(
        this.trans.__(
          'Could not update the code of the scheduled jobs of %1: %2',
          PathExt.basename(path),
          this.describe(reason)
        ),
        { autoClose: 8000 }
      );
      return;
    }
    if (updated.length) {
      Notification.info(
        this.trans._n(
          'Updated the code of %1 scheduled job from %2.',
          'Updated the code of %1 scheduled jobs from %2.',
          updated.length,
          PathExt.basename(path)
        ),
        { autoClose: 4000 }
      );
    }
  }

  /** The "Regenerate" action of a job whose code is older than its pipeline. */
  async regenerateJob(job: IJobSummary): Promise<void> {
    await this._attempt(
      this.trans.__('Could not regenerate the code of "%1"', job.name),
      async () => {
        await this.regenerateCode(job.pipeline_path!, [job]);
        Notification.success(
          this.trans.__('Regenerated the code of "%1" from %2.', job.name, job.pipeline_path!),
          { autoClose: 4000 }
        );
      },
      undefined
    );
  }

  /**
   * Pick a file with JupyterLab's file dialog.
   *
   * @param showAll - List every file, not only the kinds the scheduler runs.
   */
  async pickFile(current: string, showAll: boolean): Promise<string | null> {
    if (!this.docManager) {
      return null;
    }
    const result = await FileDialog.getOpenFiles({
      manager: this.docManager,
      translator: this.translator,
      title: showAll
        ? this.trans.__('Choose the file to run')
        : this.trans.__('Choose the file to run (.py, .ipynb, .ampln)'),
      defaultPath: current ? PathExt.dirname(current) : undefined,
      filter: model =>
        showAll || model.type === 'directory' || isSupportedPath(model.name)
          ? {}
          : null
    });
    const file = result.button.accept
      ? (result.value ?? []).find(item => item.type !== 'directory')
      : undefined;
    return file ? file.path : null;
  }

  // -- the job form --------------------------------------------------------

  /**
   * Open the form for a new job, its target prefilled with `path`, or with
   * `prefill.code` (a notebook cell's code, run in `prefill.cwd`).
   */
  newJob(
    path?: string,
    prefill: Partial<Pick<IJobFormState, 'code' | 'name' | 'cwd'>> = {}
  ): MainAreaWidget<JobEditor> {
    const state = emptyForm({
      timezone: this.defaultTimezone,
      path: path ?? '',
      timeout: this.settings.defaultTimeout
    });
    return this._openEditor({ ...state, ...compact(prefill) }, null);
  }

  /**
   * Open the form on an existing job (one form per job), read whole with
   * `GET jobs/{id}` first: the job list holds only what the panel shows.
   * Null when the job cannot be read (the user is told why).
   */
  async editJob(job: Pick<IJobSummary, 'id' | 'name'>): Promise<MainAreaWidget<JobEditor> | null> {
    const opened = (): MainAreaWidget<JobEditor> | undefined => {
      const existing = this.editors.find(widget => widget.content.jobId === job.id);
      if (existing) {
        this.app.shell.activateById(existing.id);
      }
      return existing;
    };
    return (
      opened() ??
      this._attempt(
        this.trans.__('Could not open "%1"', job.name || job.id),
        async () => {
          const whole = await this.api.getJob(job.id);
          return opened() ?? this._openEditor(formFromJob(whole), whole); // opened meanwhile: a second click
        },
        null
      )
    );
  }

  /** Open the form for a new job that copies `job` (read whole first, as {@link editJob}). */
  async duplicateJob(job: Pick<IJobSummary, 'id' | 'name'>): Promise<MainAreaWidget<JobEditor> | null> {
    return this._attempt(
      this.trans.__('Could not duplicate "%1"', job.name || job.id),
      async () =>
        this._openEditor(
          formFromJob(await this.api.getJob(job.id), {
            duplicate: true,
            copySuffix: this.trans.__(' (copy)')
          }),
          null
        ),
      null
    );
  }

  /**
   * Create (`POST jobs`) or update (`PUT jobs/{id}`) a job from the form; an
   * `.ampln` target is turned into Python code first.
   */
  async saveJob(state: IJobFormState, jobId: string | null): Promise<IJob> {
    const mode = jobId ? 'update' : 'create';
    let pythonCode: string | null | undefined = undefined;
    if (isPipelinePath(state.path)) {
      if (this.canGenerateCode) {
        pythonCode = await this.generateCode(state.path.trim());
      } else if (mode === 'create') {
        throw new Error(
          this.trans.__(
            'Scheduling an .ampln pipeline needs the Amphi pipeline editor (command %1), which is not available.',
            GENERATE_CODE_COMMAND
          )
        );
      }
    }
    const payload = payloadFromForm(state, { mode, pythonCode });
    if (pythonCode === undefined && mode === 'update' && isPipelinePath(state.path)) {
      delete payload.python_code; // keep the code generated before
    }
    const job = jobId
      ? await this.api.updateJob(jobId, payload)
      : await this.api.createJob(payload);
    this.model.upsert(job);
    return job;
  }

  // -- job actions ---------------------------------------------------------

  /**
   * Start a run now. A job made from an `.ampln` pipeline gets its code
   * generated again first, so that it runs the pipeline as it is now.
   */
  async runNow(job: IJobSummary): Promise<IRun | null> {
    return this._attempt(
      this.trans.__('Could not start a run of "%1"', job.name),
      async () => {
        if (isPipelinePath(job.pipeline_path)) {
          if (this.canGenerateCode) {
            await this.regenerateCode(job.pipeline_path!, [job]);
          } else {
            Notification.warning(
              this.trans.__(
                'The Amphi pipeline editor is not available: "%1" runs the code generated when it was saved.',
                job.name
              ),
              { autoClose: 6000 }
            );
          }
        }
        const run = await this.api.runJob(job.id, 'manual');
        this.model.noteRun({ ...run, job_id: run.job_id ?? job.id, job_name: run.job_name ?? job.name });
        Notification.info(this.trans.__('Started a run of "%1".', job.name), {
          autoClose: 5000,
          actions: [
            {
              label: this.trans.__('View log'),
              callback: () => {
                this.openRun(run.id, { jobId: run.job_id ?? job.id });
              }
            }
          ]
        });
        return run;
      },
      null
    );
  }

  /** Pause a running schedule, or resume a paused one. */
  async togglePause(job: IJobSummary): Promise<void> {
    await this._attempt(
      job.paused
        ? this.trans.__('Could not resume "%1"', job.name)
        : this.trans.__('Could not pause "%1"', job.name),
      async () => {
        const updated = job.paused
          ? await this.api.resumeJob(job.id)
          : await this.api.pauseJob(job.id);
        this.model.upsert(updated);
      },
      undefined
    );
  }

  /**
   * Delete a job, after saying what happens: the job stops running and
   * leaves the list; its runs and their logs are kept (the server keeps
   * them) unless the user also asks to delete its finished runs. A job that
   * others run after cannot be deleted: the dialog names them.
   */
  async deleteJob(job: IJobSummary): Promise<boolean> {
    const name = job.name || job.id;
    const dependents = dependentsOf(job.id, this.model.jobs);
    if (dependents.length) {
      await this._explainDependents(job, dependents);
      return false;
    }
    const node = document.createElement('div');
    node.className = 'jp-PipelineScheduler-deleteDialog';
    const what = document.createElement('p');
    what.textContent = this.trans.__(
      'The job stops running and leaves the list. This cannot be undone.'
    );
    node.append(what);
    if (job.last_run) {
      const runs = document.createElement('p');
      runs.textContent = this.trans.__(
        'Its past runs and their logs are kept: the Runs tab still shows them, under "Deleted jobs" in its job filter.'
      );
      node.append(runs);
    }
    node.setAttribute('data-testid', 'delete-dialog-text');
    const result = await showDialog({
      title: this.trans.__('Delete "%1"?', name),
      body: new Widget({ node }),
      checkbox: job.last_run
        ? {
            label: this.trans.__('Also delete its finished runs and their logs'),
            caption: this.trans.__('Runs still going are kept.'),
            checked: false
          }
        : null,
      buttons: [
        Dialog.cancelButton({ label: this.trans.__('Cancel') }),
        Dialog.warnButton({ label: this.trans.__('Delete job') })
      ]
    });
    if (!result.button.accept) {
      return false;
    }
    const withRuns = !!result.isChecked;
    try {
      await this.api.deleteJob(job.id);
    } catch (reason) {
      if (reason instanceof SchedulerError && reason.status === 409) {
        const ids = idsIn(reason.message, id => id !== job.id && !!this.model.job(id));
        const others = ids.map(id => this.model.job(id)!).filter(Boolean);
        if (others.length) {
          await this._explainDependents(job, others);
          return false;
        }
      }
      void showErrorMessage(
        this.trans.__('Could not delete "%1"', name),
        this.describe(reason)
      );
      return false;
    }
    this.model.remove(job.id);
    for (const editor of this.editors.filter(w => w.content.jobId === job.id)) {
      editor.dispose();
    }
    if (withRuns) {
      try {
        const count = await this.api.deleteRuns(job.id);
        Notification.success(
          this.trans._n('Deleted "%2" and its run.', 'Deleted "%2" and its %1 runs.', count, name),
          { autoClose: 4000 }
        );
        this._jobRunsDeleted.emit(job.id);
      } catch (reason) {
        void showErrorMessage(
          this.trans.__('Deleted "%1", but not its runs', name),
          this.describe(reason)
        );
      }
    } else {
      Notification.success(
        job.last_run
          ? this.trans.__('Deleted "%1"; its runs are kept.', name)
          : this.trans.__('Deleted "%1".', name),
        { autoClose: 4000 }
      );
    }
    return true;
  }

  /** Why a job cannot be deleted: the jobs that run after it, by name. */
  private async _explainDependents(job: IJobSummary, dependents: IJobSummary[]): Promise<void> {
    const names = dependents.map(other => other.name || other.id);
    const node = document.createElement('div');
    node.className = 'jp-PipelineScheduler-deleteDialog';
    node.setAttribute('data-testid', 'dependents-dialog-text');
    const why = document.createElement('p');
    why.textContent = this.trans._n(
      '%2 runs after "%3", so "%3" cannot be deleted. Change or delete %2 first.',
      '%2 run after "%3", so "%3" cannot be deleted. Change or delete them first.',
      names.length,
      quotedList(names, this.trans.__('and')),
      job.name || job.id
    );
    node.append(why);
    const single = dependents.length === 1 ? dependents[0] : null;
    const result = await showDialog({
      title: this.trans.__('"%1" cannot be deleted', job.name || job.id),
      body: new Widget({ node }),
      buttons: single
        ? [
            Dialog.cancelButton({ label: this.trans.__('Close') }),
            Dialog.okButton({ label: this.trans.__('Edit "%1"', single.name || single.id) })
          ]
        : [Dialog.okButton({ label: this.trans.__('Close') })]
    });
    if (single && result.button.accept) {
      void this.editJob(single);
    }
  }

  /** A rejection in plain words, with job names instead of job ids. */
  describe(reason: unknown): string {
    const message =
      reason instanceof SchedulerError ? plainError(reason.message, reason.field) : describeError(reason);
    return withJobNames(message, this.model.jobNames);
  }

  /**
   * The actions of a job as a JupyterLab menu (the card's "more" button
   * and its right click), opened at `x`, `y`.
   */
  openJobMenu(job: IJobSummary, x: number, y: number): Menu {
    const menu = new Menu({ commands: this.app.commands });
    menu.addClass('jp-PipelineScheduler-jobMenu');
    const args = { id: job.id };
    menu.addItem({ command: CommandIDs.runJob, args });
    menu.addItem({ command: CommandIDs.editJob, args });
    menu.addItem({ command: CommandIDs.togglePause, args });
    menu.addItem({ command: CommandIDs.duplicateJob, args });
    menu.addItem({ command: CommandIDs.showRuns, args });
    menu.addItem({ type: 'separator' });
    menu.addItem({ command: CommandIDs.deleteJob, args });
    menu.aboutToClose.connect(() => window.setTimeout(() => menu.dispose(), 0));
    menu.open(x, y);
    return menu;
  }

  /**
   * Say why a job is broken and what fixes it; "Edit job" opens the form
   * (saving the job fixes it).
   */
  async explainBroken(job: IJobSummary): Promise<void> {
    const reason = String(job.broken ?? '');
    const node = document.createElement('div');
    node.className = 'jp-PipelineScheduler-brokenDialog';
    const why = document.createElement('p');
    why.textContent = plainError(reason);
    why.setAttribute('data-testid', 'broken-dialog-reason');
    const advice = document.createElement('p');
    advice.textContent = reason.startsWith('cannot run')
      ? this.trans.__(
          'The job still fires, but its runs fail until its file is back or the job is saved with another file.'
        )
      : this.trans.__(
          'The job does not fire until it is saved again: edit it (saving fixes it) or delete it.'
        );
    node.append(why, advice);
    const result = await showDialog({
      title: this.trans.__('"%1" is broken', job.name || job.id),
      body: new Widget({ node }),
      buttons: [
        Dialog.cancelButton({ label: this.trans.__('Close') }),
        Dialog.okButton({ label: this.trans.__('Edit job') })
      ]
    });
    if (result.button.accept) {
      void this.editJob(job);
    }
  }

  /** Show the runs of a job (or of all jobs) in the panel. */
  showRuns(jobId: string | null): void {
    this._showRuns.emit(jobId);
  }

  // -- runs ----------------------------------------------------------------

  /**
   * Show a run. Each job has one tab that follows its newest run: the run
   * goes to that tab (made when there is none); a tab pinned to the run is
   * activated instead; `pinned` opens a tab of its own that stays on the run.
   */
  openRun(
    runId: number,
    options: { jobId?: string | null; pinned?: boolean } = {}
  ): MainAreaWidget<RunViewer> {
    const activate = (widget: MainAreaWidget<RunViewer>): MainAreaWidget<RunViewer> => {
      this.app.shell.activateById(widget.id);
      return widget;
    };
    const jobId = options.jobId ?? null;
    if (!options.pinned) {
      const showing = this.runViewers.find(widget => widget.content.runId === runId);
      if (showing) {
        return activate(showing);
      }
      const following = jobId
        ? this.runViewers.find(
            widget => !widget.content.pinned && widget.content.jobId === jobId
          )
        : undefined;
      if (following) {
        following.content.showRun(runId, jobId);
        return activate(following);
      }
    }
    this.model.start();
    const content = new RunViewer({
      controller: this,
      runId,
      jobId,
      pinned: options.pinned
    });
    const widget = new MainAreaWidget({ content });
    widget.id = `pipeline-scheduler-run-${Private.nextId()}`;
    widget.title.label = this.trans.__('Run #%1', runId);
    widget.title.closable = true;
    widget.title.icon = schedulerIcon;
    content.changed.connect(() => void this.runViewers.save(widget));
    this.app.shell.add(widget, 'main');
    void this.runViewers.add(widget);
    return activate(widget);
  }

  /** Cancel a queued or running run. */
  async cancelRun(run: IRun): Promise<IRun | null> {
    return this._attempt(
      this.trans.__('Could not cancel run #%1', run.id),
      async () => {
        const cancelled = await this.api.cancelRun(run.id);
        this.model.noteRun(cancelled);
        return cancelled;
      },
      null
    );
  }

  /** Start the run's job again and open the new run. */
  async rerun(run: IRun): Promise<IRun | null> {
    const job = this.model.job(run.job_id);
    if (!job) {
      void showErrorMessage(
        this.trans.__('Could not rerun'),
        this.trans.__('The job of run #%1 no longer exists.', run.id)
      );
      return null;
    }
    const started = await this.runNow(job);
    if (started) {
      this.openRun(started.id, { jobId: job.id });
    }
    return started;
  }

  /** Delete a finished run (after confirmation). */
  async deleteRun(run: IRun): Promise<boolean> {
    const confirmed = await this._confirmDelete(
      this.trans.__('Delete run'),
      this.trans.__('Delete run #%1 and its log?', run.id)
    );
    if (!confirmed) {
      return false;
    }
    return this._attempt(
      this.trans.__('Could not delete run #%1', run.id),
      async () => {
        await this.api.deleteRun(run.id);
        this._runDeleted.emit(run.id);
        return true;
      },
      false
    );
  }

  /** Emitted with the id of a job whose finished runs were deleted. */
  get jobRunsDeleted(): ISignal<this, string> {
    return this._jobRunsDeleted;
  }

  /** Emitted with the id of a deleted run. */
  get runDeleted(): ISignal<this, number> {
    return this._runDeleted;
  }

  /** Ask the user to confirm a deletion (Cancel / Delete). */
  private async _confirmDelete(title: string, body: string): Promise<boolean> {
    const result = await showDialog({
      title,
      body,
      buttons: [
        Dialog.cancelButton({ label: this.trans.__('Cancel') }),
        Dialog.warnButton({ label: this.trans.__('Delete') })
      ]
    });
    return result.button.accept;
  }

  /**
   * Run a request; if it fails, show `failure` with the reason and return
   * `fallback` instead.
   */
  private async _attempt<T>(
    failure: string,
    request: () => Promise<T>,
    fallback: T
  ): Promise<T> {
    try {
      return await request();
    } catch (reason) {
      void showErrorMessage(failure, this.describe(reason));
      return fallback;
    }
  }

  private _openEditor(
    state: IJobFormState,
    job: Pick<IJob, 'id' | 'name'> | null
  ): MainAreaWidget<JobEditor> {
    this.model.start();
    const content = new JobEditor({
      controller: this,
      initial: state,
      jobId: job?.id ?? null
    });
    const widget = new MainAreaWidget({ content });
    widget.id = `pipeline-scheduler-editor-${Private.nextId()}`;
    widget.title.label = job
      ? this.trans.__('Edit job: %1', job.name)
      : this.trans.__('New scheduled job');
    widget.title.closable = true;
    widget.title.icon = schedulerIcon;
    content.saved.connect((_, saved) => {
      Notification.success(
        job
          ? this.trans.__('Saved job "%1".', saved.name)
          : this.trans.__('Created job "%1".', saved.name),
        { autoClose: 4000 }
      );
      widget.dispose();
      this._showJob.emit(saved.id);
    });
    content.cancelled.connect(() => widget.dispose());
    this.app.shell.add(widget, 'main');
    void this.editors.add(widget);
    this.app.shell.activateById(widget.id);
    return widget;
  }

  private _config: Promise<IServerConfig> | null = null;
  private _showRuns = new Signal<this, string | null>(this);
  private _showJob = new Signal<this, string>(this);
  private _runDeleted = new Signal<this, number>(this);
  private _jobRunsDeleted = new Signal<this, string>(this);
}

export namespace SchedulerController {
  export interface IOptions {
    app: JupyterFrontEnd;
    api: SchedulerAPI;
    model: SchedulerModel;
    translator: ITranslator;
    docManager?: IDocumentManager | null;
  }
}

namespace Private {
  let id = 0;
  export function nextId(): number {
    return ++id;
  }
}
