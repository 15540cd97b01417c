import { PathExt } from '@jupyterlab/coreutils';
import type { Contents } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';

import { IJob, isPipelinePath } from './tokens';

/**
 * The `.ampln` pipeline a contents change saved, or null for any other
 * change (another kind of file, a rename, a deletion).
 */
export function savedPipeline(change: Contents.IChangedArgs): string | null {
  const path = change.type === 'save' ? change.newValue?.path : null;
  return typeof path === 'string' && isPipelinePath(path)
    ? PathExt.normalize(path)
    : null;
}

/** The jobs that run code generated from the pipeline at `path`. */
export function jobsOfPipeline<T extends Pick<IJob, 'kind' | 'pipeline_path'>>(
  jobs: ReadonlyArray<T>,
  path: string
): T[] {
  const wanted = PathExt.normalize(path);
  return jobs.filter(
    job =>
      job.kind === 'python_code' &&
      isPipelinePath(job.pipeline_path) &&
      PathExt.normalize(job.pipeline_path!) === wanted
  );
}

/** Whether a job's code is older than its pipeline (the server says so). */
export function isCodeStale(job: Pick<IJob, 'code_stale'>): boolean {
  return job.code_stale === true;
}

/**
 * Runs one regeneration at a time per pipeline. Saves that arrive while one
 * runs are folded into a single next regeneration, which reads the pipeline
 * as it is then: a burst of saves costs at most two.
 */
export class RegenerationQueue {
  constructor(regenerate: (path: string) => Promise<void>) {
    this._regenerate = regenerate;
  }

  /** Regenerate the jobs of `path` once more; resolves when that is done. */
  request(path: string): Promise<void> {
    const waiting = this._waiting.get(path);
    if (waiting) {
      return waiting;
    }
    const previous = this._current.get(path) ?? Promise.resolve();
    const next = previous.then(() => {
      this._waiting.delete(path);
      return this._regenerate(path);
    });
    this._waiting.set(path, next);
    this._current.set(path, next);
    void next
      .catch(() => undefined)
      .then(() => {
        if (this._current.get(path) === next) {
          this._current.delete(path);
        }
      });
    return next;
  }

  private _regenerate: (path: string) => Promise<void>;
  private _current = new Map<string, Promise<void>>();
  private _waiting = new Map<string, Promise<void>>();
}

/**
 * Keeps the code of scheduled jobs in step with their pipelines: each save
 * of an `.ampln` file in JupyterLab (through the contents manager, which
 * every document context saves with) regenerates the code of the jobs that
 * run it. Quiet when the Amphi pipeline editor is absent.
 */
export class PipelineSaves implements IDisposable {
  constructor(options: PipelineSaves.IOptions) {
    this._contents = options.contents;
    this._canRegenerate = options.canRegenerate;
    this._queue = new RegenerationQueue(options.regenerate);
    this._contents.fileChanged.connect(this._onFileChanged, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._contents.fileChanged.disconnect(this._onFileChanged, this);
  }

  private _onFileChanged(
    _: Contents.IManager,
    change: Contents.IChangedArgs
  ): void {
    const path = savedPipeline(change);
    if (path !== null && this._canRegenerate()) {
      void this._queue.request(path).catch(reason => {
        console.warn(`Pipeline Scheduler: could not regenerate the jobs of ${path}`, reason);
      });
    }
  }

  private _contents: Contents.IManager;
  private _canRegenerate: () => boolean;
  private _queue: RegenerationQueue;
  private _isDisposed = false;
}

export namespace PipelineSaves {
  export interface IOptions {
    /** The contents manager whose saves are followed. */
    contents: Contents.IManager;
    /** Whether code can be generated (the Amphi pipeline editor is there). */
    canRegenerate: () => boolean;
    /** Regenerate and save the code of every job of the pipeline at `path`. */
    regenerate: (path: string) => Promise<void>;
  }
}
