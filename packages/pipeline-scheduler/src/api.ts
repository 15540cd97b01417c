import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

import { IServerEvent, readEventStream } from './sse';
import {
  API_NAMESPACE,
  IErrorBody,
  IHealth,
  IJob,
  IJobSummary,
  IJobSummaryListResponse,
  IJobPayload,
  ILogChunk,
  IPreview,
  IRun,
  IRunListResponse,
  IScheduleFields,
  IServerConfig,
  JOB_SUMMARY_FIELDS,
  RunStatus,
  TRANSLATION_DOMAIN
} from './tokens';

/**
 * An error returned by the scheduler server, or a failure to reach it.
 */
export class SchedulerError extends Error {
  constructor(
    message: string,
    options: { status?: number; field?: string | null } = {}
  ) {
    super(message);
    this.name = 'SchedulerError';
    this.status = options.status ?? 0;
    this.field = options.field ?? null;
  }

  /** The HTTP status code, or 0 when the server could not be reached. */
  readonly status: number;

  /** The request field the error refers to, when the server names one. */
  readonly field: string | null;
}

/** Query of `GET runs`. */
export interface IRunQuery {
  jobId?: string | null;
  status?: RunStatus | string | null;
  limit?: number;
  /** A run id: only older runs (paging). */
  before?: number | null;
}

/**
 * A typed client for the pipeline-scheduler REST API.
 */
export class SchedulerAPI {
  constructor(options: SchedulerAPI.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
    this._trans = (options.translator ?? nullTranslator).load(
      TRANSLATION_DOMAIN
    );
  }

  /** The server settings used for every request. */
  readonly serverSettings: ServerConnection.ISettings;

  // -- jobs ---------------------------------------------------------------

  /**
   * List every job with only the fields the panel's list reads (oldest
   * first): a fraction of the whole list's size with thousands of jobs.
   */
  async listJobSummaries(): Promise<IJobSummary[]> {
    const fields = encodeURIComponent(JOB_SUMMARY_FIELDS.join(','));
    const data = await this.request<IJobSummaryListResponse>(`jobs?fields=${fields}`);
    return data?.jobs ?? [];
  }

  /** Get one job. */
  getJob(jobId: string): Promise<IJob> {
    return this.request<IJob>(this._job(jobId));
  }

  /** Create a job. */
  createJob(payload: IJobPayload): Promise<IJob> {
    return this.request<IJob>('jobs', {
      method: 'POST',
      body: JSON.stringify(payload)
    });
  }

  /** Change some fields of a job (`PUT`, partial). */
  updateJob(jobId: string, changes: IJobPayload): Promise<IJob> {
    return this.request<IJob>(this._job(jobId), {
      method: 'PUT',
      body: JSON.stringify(changes)
    });
  }

  /** Delete a job. */
  async deleteJob(jobId: string): Promise<void> {
    await this.request<{ success: boolean }>(this._job(jobId), {
      method: 'DELETE'
    });
  }

  /** Pause a job: it keeps its schedule but does not fire. */
  pauseJob(jobId: string): Promise<IJob> {
    return this.request<IJob>(`${this._job(jobId)}/pause`, { method: 'POST' });
  }

  /** Resume a paused job. */
  resumeJob(jobId: string): Promise<IJob> {
    return this.request<IJob>(`${this._job(jobId)}/resume`, {
      method: 'POST'
    });
  }

  /**
   * Start a run of a job right away; resolves with the queued run.
   *
   * @param triggeredBy - Who asked for the run; the panel sends `manual`.
   */
  runJob(
    jobId: string,
    triggeredBy: 'manual' | 'api' = 'manual',
    parameters?: Record<string, unknown>
  ): Promise<IRun> {
    return this.request<IRun>(`${this._job(jobId)}/runs`, {
      method: 'POST',
      body: JSON.stringify({ triggered_by: triggeredBy, ...(parameters ? { parameters } : {}) })
    });
  }

  /** The next fire times of a schedule, and its description. */
  preview(
    schedule: IScheduleFields & { count?: number },
    init: RequestInit = {}
  ): Promise<IPreview> {
    return this.request<IPreview>('triggers/preview', {
      ...init,
      method: 'POST',
      body: JSON.stringify(schedule)
    });
  }

  // -- runs ---------------------------------------------------------------

  /** Runs, newest first. */
  async listRuns(query: IRunQuery = {}): Promise<IRun[]> {
    const data = await this.request<IRunListResponse>(
      'runs' + runQueryString(query)
    );
    return data?.runs ?? [];
  }

  /** One run. */
  getRun(runId: number | string): Promise<IRun> {
    return this.request<IRun>(this._run(runId));
  }

  /** Cancel a queued or running run; resolves with the cancelled run. */
  cancelRun(runId: number | string): Promise<IRun> {
    return this.request<IRun>(`${this._run(runId)}/cancel`, { method: 'POST' });
  }

  /** Delete a finished run and its log. */
  async deleteRun(runId: number | string): Promise<void> {
    await this.request<{ success: boolean }>(this._run(runId), {
      method: 'DELETE'
    });
  }

  /**
   * Delete the finished runs of a job and their logs (`DELETE runs?job_id=`);
   * resolves with how many were deleted.
   */
  async deleteRuns(jobId: string): Promise<number> {
    const data = await this.request<{ deleted?: number }>(
      'runs' + runQueryString({ jobId }),
      { method: 'DELETE' }
    );
    return Number(data?.deleted ?? 0);
  }

  /**
   * A run's log from `offset` (bytes).
   *
   * @param decoder - A decoder kept across calls (`stream: true`) so that a
   *   character split between two chunks is decoded whole.
   */
  async getLog(
    runId: number | string,
    offset = 0,
    decoder?: TextDecoder
  ): Promise<ILogChunk> {
    const response = await this.fetch(
      `${this._run(runId)}/log?offset=${encodeURIComponent(String(offset))}`
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = (decoder ?? new TextDecoder('utf-8')).decode(bytes, {
      stream: !!decoder
    });
    const next = Number(response.headers.get('X-Next-Offset'));
    return {
      text,
      nextOffset: Number.isFinite(next) && next >= offset ? next : offset + bytes.length,
      status: response.headers.get('X-Run-Status') ?? ''
    };
  }

  /**
   * Follow a run's log live (`runs/{id}/stream`): `onLine` for each line,
   * then resolves with the final run once it has ended.
   */
  async streamRun(
    runId: number | string,
    onLine: (line: string) => void,
    signal?: AbortSignal
  ): Promise<IRun | null> {
    const response = await this.fetch(`${this._run(runId)}/stream`, {
      signal,
      headers: { Accept: 'text/event-stream' }
    });
    let final: IRun | null = null;
    await readEventStream(
      response,
      event => {
        if (event.event === 'log') {
          onLine(event.data);
        } else if (event.event === 'status') {
          try {
            final = JSON.parse(event.data) as IRun;
          } catch {
            final = null;
          }
        }
      },
      { signal }
    );
    return final;
  }

  /**
   * Listen to the server's change events (`GET events`). Resolves when the
   * stream ends; rejects when it cannot be opened.
   */
  async listenEvents(
    onEvent: (event: IServerEvent) => void,
    options: { signal?: AbortSignal; onComment?: (comment: string) => void } = {}
  ): Promise<void> {
    const response = await this.fetch('events', {
      signal: options.signal,
      headers: { Accept: 'text/event-stream' }
    });
    const type = response.headers.get('Content-Type') ?? '';
    if (!type.includes('text/event-stream')) {
      throw new SchedulerError(
        this._trans.__('The server does not stream events'),
        { status: response.status }
      );
    }
    onEvent({ event: 'open', data: '' });
    await readEventStream(response, onEvent, options);
  }

  /** The server's settings (time zone, default timeout…). */
  config(): Promise<IServerConfig> {
    return this.request<IServerConfig>('config');
  }

  /** Get the state of the scheduler. */
  health(): Promise<IHealth> {
    return this.request<IHealth>('health');
  }

  // -- transport ----------------------------------------------------------

  /**
   * Send a request to `{baseUrl}pipeline-scheduler/{endpoint}` and parse the
   * JSON response.
   *
   * @throws {SchedulerError} on a network failure or a non-2xx response.
   */
  async request<T>(endpoint: string, init: RequestInit = {}): Promise<T> {
    const response = await this.fetch(endpoint, init);
    const text = await response.text();
    if (text.length === 0) {
      return null as T;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SchedulerError(
        this._trans.__('The server returned an invalid JSON response'),
        { status: response.status }
      );
    }
  }

  /**
   * Send a request and return the response when it is 2xx.
   *
   * @throws {SchedulerError} on a network failure or a non-2xx response.
   */
  async fetch(endpoint: string, init: RequestInit = {}): Promise<Response> {
    const url = URLExt.join(
      this.serverSettings.baseUrl,
      API_NAMESPACE,
      endpoint
    );
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        init,
        this.serverSettings
      );
    } catch (reason) {
      if (init.signal?.aborted || isAbort(reason)) {
        const aborted = new Error('The request was aborted');
        aborted.name = 'AbortError';
        throw aborted;
      }
      const detail = reason instanceof Error ? reason.message : String(reason);
      throw new SchedulerError(
        this._trans.__(
          'Could not reach the pipeline scheduler server: %1',
          detail
        )
      );
    }
    if (!response.ok) {
      throw await this._error(response);
    }
    return response;
  }

  private async _error(response: Response): Promise<SchedulerError> {
    let body: IErrorBody = {};
    try {
      const text = await response.text();
      const data = text ? JSON.parse(text) : {};
      body = data && typeof data === 'object' ? (data as IErrorBody) : {};
    } catch {
      body = {};
    }
    let message = body.error || body.message || '';
    if (!message) {
      message =
        response.status === 404
          ? this._trans.__(
              'Not found (%1): is the pipeline-scheduler server extension installed and enabled?',
              response.status
            )
          : this._trans
              .__('Request failed: %1 %2', response.status, response.statusText)
              .trim();
    }
    return new SchedulerError(message, {
      status: response.status,
      field: body.field ?? null
    });
  }

  private _job(jobId: string): string {
    return `jobs/${encodeURIComponent(jobId)}`;
  }

  private _run(runId: number | string): string {
    return `runs/${encodeURIComponent(String(runId))}`;
  }

  private _trans: TranslationBundle;
}

/** The query string of `GET runs` (empty parts left out). */
export function runQueryString(query: IRunQuery): string {
  const params: string[] = [];
  const add = (key: string, value: unknown): void => {
    if (value !== undefined && value !== null && value !== '') {
      params.push(`${key}=${encodeURIComponent(String(value))}`);
    }
  };
  add('job_id', query.jobId);
  add('status', query.status);
  add('limit', query.limit);
  add('before', query.before);
  return params.length ? `?${params.join('&')}` : '';
}

/** Whether a rejection comes from an aborted request. */
export function isAbort(reason: unknown): boolean {
  return (
    typeof reason === 'object' &&
    reason !== null &&
    (reason as { name?: string }).name === 'AbortError'
  );
}

export namespace SchedulerAPI {
  export interface IOptions {
    /** Server settings; defaults to `ServerConnection.makeSettings()`. */
    serverSettings?: ServerConnection.ISettings;

    /** Translator for the client's own error messages. */
    translator?: ITranslator | null;
  }
}
