/**
 * Notebook jobs in the browser: their parameters as rows of a name and a
 * value typed as JSON or text (prefilled from the notebook's `parameters`
 * cell), and the artifacts their runs leave. Light on purpose (no notebook
 * widgets): the form and the run view import it; the widgets that open
 * artifacts live in `notebookArtifacts.ts`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import * as React from 'react';

import type { SchedulerAPI } from './api';
import { API_NAMESPACE } from './tokens';

/** A parameter of a notebook's `parameters` cell (`GET notebooks/parameters`). */
export interface IDeclaredParameter {
  name: string;
  default: unknown;
  /** `int`, `float`, `str`, `bool`, `list`, `dict` or `any`. */
  type: string;
}

/** What the job form needs of a notebook. */
export interface INotebookInfo {
  path: string;
  kernel_name: string | null;
  parameters: IDeclaredParameter[];
}

/** One row of the parameters editor: a name and its value as typed (JSON, or plain text). */
export interface IParameterRow {
  name: string;
  value: string;
  /** The notebook's default, shown as a hint (`undefined`: not declared). */
  declared?: IDeclaredParameter;
}

/** Whether a path is a notebook (a job of kind `notebook`). */
export function isNotebookPath(path: string | null | undefined): boolean {
  return /\.ipynb$/i.test((path ?? '').trim());
}

/** A value as the editor shows it: strings bare, everything else as JSON. */
export function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * A typed value back to JSON: what parses as JSON is that value (`3`,
 * `true`, `[1, 2]`, `"quoted"`), anything else is a string. A row for a
 * parameter declared as a string keeps the text as it is.
 */
export function parseValue(text: string, declared?: IDeclaredParameter): unknown {
  if (declared?.type === 'str') {
    return text;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The rows of a job's parameters, with the notebook's declared ones first (their defaults when the job sets none). */
export function rowsFromParameters(
  parameters: Record<string, unknown> | null | undefined,
  declared: IDeclaredParameter[] = []
): IParameterRow[] {
  const given = parameters ?? {};
  const rows: IParameterRow[] = declared.map(item => ({
    name: item.name,
    value: formatValue(item.name in given ? given[item.name] : item.default),
    declared: item
  }));
  for (const [name, value] of Object.entries(given)) {
    if (!declared.some(item => item.name === name)) {
      rows.push({ name, value: formatValue(value) });
    }
  }
  return rows;
}

/**
 * The parameters a job sends: rows whose value differs from the notebook's
 * default (the notebook keeps its defaults for the others; `keepDefaults`:
 * those too), and every undeclared row with a name.
 */
export function parametersFromRows(
  rows: ReadonlyArray<IParameterRow>,
  options: { keepDefaults?: boolean } = {}
): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const row of rows) {
    const name = row.name.trim();
    if (!name) {
      continue;
    }
    const value = parseValue(row.value, row.declared);
    if (!options.keepDefaults && row.declared && JSON.stringify(value) === JSON.stringify(row.declared.default)) {
      continue;
    }
    parameters[name] = value;
  }
  return parameters;
}

/** A file a run left (`GET runs/{id}/artifacts`). */
export interface IArtifact {
  name: string;
  size: number;
  media_type: string;
}

export const NOTEBOOK_MEDIA_TYPE = 'application/x-ipynb+json';
export const HTML_MEDIA_TYPE = 'text/html';

/** Commands of this module (arguments: `runId` and `name`, or `jobId`). */
export namespace NotebookCommandIDs {
  export const openExecuted = 'pipeline-scheduler:open-executed-notebook';
  export const openHtml = 'pipeline-scheduler:open-notebook-html';
}

/** The first artifact of a media type. */
export function artifactOf(
  artifacts: ReadonlyArray<IArtifact>,
  mediaType: string
): IArtifact | undefined {
  return artifacts.find(artifact => artifact.media_type === mediaType);
}

/** The URL that serves an artifact. */
export function artifactUrl(settings: ServerConnection.ISettings, runId: number, name: string): string {
  return URLExt.join(settings.baseUrl, API_NAMESPACE, 'runs', String(runId), 'artifacts', encodeURIComponent(name));
}

/** `GET runs/{id}/artifacts`. */
export async function listArtifacts(api: SchedulerAPI, runId: number): Promise<IArtifact[]> {
  const data = await api.request<{ artifacts: IArtifact[] }>(`runs/${runId}/artifacts`);
  return data?.artifacts ?? [];
}

/** `GET notebooks/parameters?path=`. */
export function notebookInfo(api: SchedulerAPI, path: string, init: RequestInit = {}): Promise<INotebookInfo> {
  return api.request<INotebookInfo>(`notebooks/parameters?path=${encodeURIComponent(path)}`, init);
}

/** The artifacts of a run, read once it has ended (`[]` while it runs or when it left none). */
export function useArtifacts(api: SchedulerAPI, runId: number, ended: boolean, generation = 0): IArtifact[] {
  const [artifacts, setArtifacts] = React.useState<IArtifact[]>([]);
  React.useEffect(() => {
    let current = true;
    setArtifacts([]);
    if (ended) {
      listArtifacts(api, runId).then(
        found => current && setArtifacts(found),
        () => undefined // a deleted run, a server without the route: no artifacts to show
      );
    }
    return () => {
      current = false;
    };
  }, [api, runId, ended, generation]);
  return artifacts;
}
