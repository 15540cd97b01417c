import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

import {
  API_NAMESPACE,
  IErrorBody,
  IHealth,
  IJob,
  IJobListResponse,
  IRun,
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

  /** List all jobs. */
  async listJobs(): Promise<IJob[]> {
    const data = await this.request<IJobListResponse>('jobs');
    return data?.jobs ?? [];
  }

  /**
   * Start a run of a job right away; resolves with the queued run.
   *
   * @param triggeredBy - Who asked for the run; the panel sends `manual`.
   */
  runJob(
    jobId: string,
    triggeredBy: 'manual' | 'api' = 'manual'
  ): Promise<IRun> {
    return this.request<IRun>(`jobs/${encodeURIComponent(jobId)}/runs`, {
      method: 'POST',
      body: JSON.stringify({ triggered_by: triggeredBy })
    });
  }

  /** Delete a job. */
  async deleteJob(jobId: string): Promise<void> {
    await this.request<{ success: boolean }>(
      `jobs/${encodeURIComponent(jobId)}`,
      { method: 'DELETE' }
    );
  }

  /** Get the state of the scheduler. */
  health(): Promise<IHealth> {
    return this.request<IHealth>('health');
  }

  /**
   * Send a request to `{baseUrl}pipeline-scheduler/{endpoint}` and parse the
   * JSON response.
   *
   * @throws {SchedulerError} on a network failure or a non-2xx response.
   */
  async request<T>(endpoint: string, init: RequestInit = {}): Promise<T> {
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
      const detail = reason instanceof Error ? reason.message : String(reason);
      throw new SchedulerError(
        this._trans.__(
          'Could not reach the pipeline scheduler server: %1',
          detail
        )
      );
    }

    const text = await response.text();
    let data: unknown = null;
    if (text.length > 0) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }

    if (!response.ok) {
      const body = (data ?? {}) as IErrorBody;
      const message =
        body.error ||
        body.message ||
        this._trans.__(
          'Request failed: %1 %2',
          response.status,
          response.statusText
        ).trim();
      throw new SchedulerError(message, {
        status: response.status,
        field: body.field ?? null
      });
    }

    if (data === null && text.length > 0) {
      throw new SchedulerError(
        this._trans.__('The server returned an invalid JSON response'),
        { status: response.status }
      );
    }
    return data as T;
  }

  private _trans: TranslationBundle;
}

export namespace SchedulerAPI {
  export interface IOptions {
    /** Server settings; defaults to `ServerConnection.makeSettings()`. */
    serverSettings?: ServerConnection.ISettings;

    /** Translator for the client's own error messages. */
    translator?: ITranslator | null;
  }
}
