import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { SchedulerAPI, SchedulerError } from './api';
import { IServerEvent } from './sse';
import { IJobSummary, IRun, IRunSummary } from './tokens';

/** How the model hears about changes. */
export type LiveState = 'connecting' | 'live' | 'polling' | 'off';

/** Changes fetched one by one up to this many; more → one full reload. */
const MAX_SINGLE_FETCHES = 20;
/** Collect change events for this long before fetching. */
const BATCH_MS = 50;
/** Without a byte for this long, the event stream is considered stalled. */
const STALL_MS = 45000;
/** Reconnection delays of the event stream (ms). */
const RECONNECT_MIN_MS = 2000;
const RECONNECT_MAX_MS = 60000;

/**
 * The jobs known to the frontend, kept current from the server's event
 * stream (`GET events`), or by polling `GET jobs` every `refreshInterval`
 * seconds while the stream is unavailable. The list holds only the fields
 * the panel reads (`GET jobs?fields=…`, see `JOB_SUMMARY_FIELDS`); a job
 * fetched or saved since holds all of its fields.
 */
export class SchedulerModel implements IDisposable {
  constructor(options: SchedulerModel.IOptions) {
    this.api = options.api;
    this._refreshInterval = options.refreshInterval ?? 10;
  }

  /** The REST client. */
  readonly api: SchedulerAPI;

  /** Emitted whenever the job list or the loading state changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted for every run the model hears of (server events and own actions). */
  get runChanged(): ISignal<this, IRun> {
    return this._runChanged;
  }

  /** The jobs, in the server's order (oldest first). */
  get jobs(): ReadonlyArray<IJobSummary> {
    return this._jobs;
  }

  /** Incremented on every change (cheap equality for views). */
  get version(): number {
    return this._version;
  }

  /** Whether the list was fetched at least once. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Whether a full reload is in flight. */
  get loading(): boolean {
    return this._loading;
  }

  /** The error of the last reload, or null. */
  get error(): string | null {
    return this._error;
  }

  /** Whether the server extension answered 404 (not installed/enabled). */
  get serverMissing(): boolean {
    return this._serverMissing;
  }

  /** How changes arrive. */
  get liveState(): LiveState {
    return this._liveState;
  }

  /** A job by id. */
  job(id: string): IJobSummary | undefined {
    return this._byId.get(id);
  }

  /** Job names by id. */
  get jobNames(): ReadonlyMap<string, string> {
    if (!this._names) {
      this._names = new Map(this._jobs.map(job => [job.id, job.name || job.id]));
    }
    return this._names;
  }

  /** Seconds between polls while the event stream is unavailable (0: never). */
  get refreshInterval(): number {
    return this._refreshInterval;
  }
  set refreshInterval(seconds: number) {
    const value = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
    if (value === this._refreshInterval) {
      return;
    }
    this._refreshInterval = value;
    if (this._liveState === 'polling') {
      this._startPolling();
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Load the jobs and start listening to changes. */
  start(): void {
    if (this._started || this._isDisposed) {
      return;
    }
    this._started = true;
    void this.refresh();
    this._connect();
  }

  /** Reload every job. Concurrent calls share one request. */
  refresh(): Promise<void> {
    if (this._inflight) {
      this._refreshAgain = true;
      return this._inflight;
    }
    this._loading = true;
    this._emit();
    this._inflight = (async () => {
      try {
        do {
          this._refreshAgain = false;
          const jobs = await this.api.listJobSummaries();
          this._setJobs(jobs);
        } while (this._refreshAgain && !this._isDisposed);
        this._loaded = true;
        this._error = null;
        this._serverMissing = false;
      } catch (reason) {
        this._serverMissing =
          reason instanceof SchedulerError && reason.status === 404;
        this._error = describeError(reason);
      } finally {
        this._loading = false;
        this._inflight = null;
        this._emit();
      }
    })();
    return this._inflight;
  }

  /** Insert or replace a job (after an action answered with it). */
  upsert(job: IJobSummary): void {
    const index = this._index(job.id);
    if (index === -1) {
      this._jobs = [...this._jobs, job];
    } else {
      const jobs = this._jobs.slice();
      jobs[index] = job;
      this._jobs = jobs;
    }
    this._byId.set(job.id, job);
    this._names = null;
    this._emit();
  }

  /**
   * Keep the names of the jobs of these runs, so that runs of a job deleted
   * since (they are kept) can still be told and filtered by its name.
   */
  rememberJobNames(runs: ReadonlyArray<Pick<IRun, 'job_id' | 'job_name'>>): void {
    for (const run of runs) {
      if (run.job_id && run.job_name && !this._byId.has(run.job_id)) {
        this._formerNames.set(run.job_id, run.job_name);
      }
    }
  }

  /** Jobs known by their runs that no longer exist, as `[id, name]`. */
  formerJobs(): Array<[string, string]> {
    return Array.from(this._formerNames.entries()).filter(([id]) => !this._byId.has(id));
  }

  /** Forget a job (deleted). */
  remove(jobId: string): void {
    const job = this._byId.get(jobId);
    if (!job) {
      return;
    }
    this._formerNames.set(jobId, job.name || jobId);
    this._jobs = this._jobs.filter(job => job.id !== jobId);
    this._byId.delete(jobId);
    this._names = null;
    this._emit();
  }

  /**
   * Take note of a run (its job's last run is updated at once, the job is
   * fetched again for its next fire time).
   */
  noteRun(run: IRun): void {
    const job = this._byId.get(run.job_id);
    if (job && (!job.last_run || run.id >= job.last_run.id)) {
      this.upsert({ ...job, last_run: summary(run) });
    }
    this._runChanged.emit(run);
    this._queueFetch(run.job_id);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._abort?.abort();
    this._stopPolling();
    window.clearTimeout(this._reconnectTimer);
    window.clearTimeout(this._batchTimer);
    window.clearInterval(this._watchdog);
    Signal.clearData(this);
  }

  // -- live updates ----------------------------------------------------------

  private _connect(): void {
    if (this._isDisposed) {
      return;
    }
    this._abort?.abort();
    const controller = new AbortController();
    this._abort = controller;
    this._setLive(this._liveState === 'live' ? 'live' : 'connecting');
    this._lastActivity = Date.now();
    let opened = false;
    this.api
      .listenEvents(
        event => {
          this._lastActivity = Date.now();
          if (event.event === 'open') {
            opened = true;
            this._reconnectDelay = RECONNECT_MIN_MS;
            this._setLive('live');
            this._stopPolling();
            // Changes may have happened while we were not listening.
            if (this._loaded) {
              void this.refresh();
            }
            return;
          }
          this._onServerEvent(event);
        },
        {
          signal: controller.signal,
          onComment: () => {
            this._lastActivity = Date.now();
          }
        }
      )
      .then(
        () => this._disconnected(controller, opened, null),
        reason => this._disconnected(controller, opened, reason)
      );
    window.clearInterval(this._watchdog);
    this._watchdog = window.setInterval(() => {
      if (
        this._liveState === 'live' &&
        Date.now() - this._lastActivity > STALL_MS
      ) {
        controller.abort();
        this._disconnected(controller, true, null);
      }
    }, STALL_MS / 3);
  }

  private _disconnected(
    controller: AbortController,
    opened: boolean,
    reason: unknown
  ): void {
    if (this._isDisposed || controller !== this._abort) {
      return;
    }
    this._abort = null;
    window.clearInterval(this._watchdog);
    this._setLive('polling');
    this._startPolling();
    const missing = reason instanceof SchedulerError && reason.status === 404;
    const delay = missing
      ? RECONNECT_MAX_MS
      : opened
        ? RECONNECT_MIN_MS
        : this._reconnectDelay;
    this._reconnectDelay = Math.min(this._reconnectDelay * 2, RECONNECT_MAX_MS);
    window.clearTimeout(this._reconnectTimer);
    this._reconnectTimer = window.setTimeout(() => this._connect(), delay);
  }

  private _onServerEvent(event: IServerEvent): void {
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    if (event.event === 'run' && data && typeof data === 'object') {
      const run = data as IRun;
      if (run.job_id !== undefined && typeof run.id === 'number') {
        this.noteRun(run);
      }
    } else if (event.event === 'job' && data && typeof data === 'object') {
      const { id, action } = data as { id?: string; action?: string };
      if (!id) {
        return;
      }
      if (action === 'deleted') {
        this._pending.delete(id);
        this.remove(id);
      } else {
        this._queueFetch(id);
      }
    }
  }

  private _queueFetch(jobId: string): void {
    this._pending.add(jobId);
    if (this._batchTimer) {
      return;
    }
    this._batchTimer = window.setTimeout(() => {
      this._batchTimer = 0;
      void this._flush();
    }, BATCH_MS);
  }

  private async _flush(): Promise<void> {
    const ids = Array.from(this._pending);
    this._pending.clear();
    if (ids.length === 0) {
      return;
    }
    if (ids.length > MAX_SINGLE_FETCHES || !this._loaded) {
      await this.refresh();
      return;
    }
    await Promise.all(
      ids.map(async id => {
        try {
          this.upsert(await this.api.getJob(id));
        } catch (reason) {
          if (reason instanceof SchedulerError && reason.status === 404) {
            this.remove(id);
          }
        }
      })
    );
  }

  private _startPolling(): void {
    this._stopPolling();
    if (this._refreshInterval > 0 && !this._isDisposed) {
      this._pollTimer = window.setInterval(() => {
        if (typeof document === 'undefined' || !document.hidden) {
          void this.refresh();
        }
      }, this._refreshInterval * 1000);
    }
  }

  private _stopPolling(): void {
    if (this._pollTimer) {
      window.clearInterval(this._pollTimer);
      this._pollTimer = 0;
    }
  }

  private _setLive(state: LiveState): void {
    if (state !== this._liveState) {
      this._liveState = state;
      this._emit();
    }
  }

  private _setJobs(jobs: IJobSummary[]): void {
    this._jobs = jobs;
    this._byId = new Map(jobs.map(job => [job.id, job]));
    this._names = null;
  }

  private _index(jobId: string): number {
    if (!this._byId.has(jobId)) {
      return -1;
    }
    return this._jobs.findIndex(job => job.id === jobId);
  }

  private _emit(): void {
    this._version++;
    this._changed.emit();
  }

  private _jobs: IJobSummary[] = [];
  private _byId = new Map<string, IJobSummary>();
  private _names: Map<string, string> | null = null;
  private _formerNames = new Map<string, string>();
  private _version = 0;
  private _loaded = false;
  private _loading = false;
  private _error: string | null = null;
  private _serverMissing = false;
  private _inflight: Promise<void> | null = null;
  private _refreshAgain = false;
  private _refreshInterval: number;
  private _pollTimer = 0;
  private _liveState: LiveState = 'off';
  private _abort: AbortController | null = null;
  private _reconnectTimer = 0;
  private _reconnectDelay = RECONNECT_MIN_MS;
  private _watchdog = 0;
  private _lastActivity = 0;
  private _pending = new Set<string>();
  private _batchTimer = 0;
  private _started = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _runChanged = new Signal<this, IRun>(this);
}

/** The `last_run` summary of a run. */
export function summary(run: IRun): IRunSummary {
  return {
    id: run.id,
    execution_id: run.execution_id,
    status: run.status,
    triggered_by: run.triggered_by,
    started_at: run.started_at,
    finished_at: run.finished_at,
    duration: run.duration,
    exit_code: run.exit_code
  };
}

/** A readable message for any rejection. */
export function describeError(reason: unknown): string {
  if (reason instanceof Error) {
    return reason.message;
  }
  return String(reason);
}

export namespace SchedulerModel {
  export interface IOptions {
    api: SchedulerAPI;
    /** Seconds between polls while the event stream is unavailable. */
    refreshInterval?: number;
  }
}
