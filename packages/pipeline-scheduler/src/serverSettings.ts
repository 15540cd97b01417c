/**
 * Which server the panel talks to: the JupyterLab server it runs in, or a
 * scheduler of its own (`pipeline-scheduler serve`, a JupyterHub service) named
 * by the `serverUrl` setting, so that schedules outlive the user's server.
 */

import { ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

/** The settings that choose the scheduler server. */
export interface ISchedulerServer {
  /**
   * Base URL of a remote scheduler (`https://host/`, or a path on JupyterLab's
   * own origin such as `/services/pipeline-scheduler/`). Empty: this server.
   */
  serverUrl: string;
  /**
   * Token sent as `Authorization: token …` to the remote scheduler. Empty:
   * none; the browser's cookies for that server authenticate instead.
   */
  serverToken: string;
}

/**
 * Why `serverUrl` cannot be used, or `null` when it can (empty included).
 */
export function serverUrlProblem(serverUrl: string, pageUrl: string): string | null {
  const text = serverUrl.trim();
  if (!text) {
    return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(text, pageUrl);
  } catch {
    return `serverUrl: "${text}" is not a URL`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `serverUrl: only http and https URLs are supported, not ${parsed.protocol}`;
  }
  if (parsed.search || parsed.hash) {
    return 'serverUrl: the base URL of a server takes no query or fragment';
  }
  return null;
}

/**
 * The connection settings of the scheduler server: `local` when no
 * `serverUrl` is set (or it cannot be used, reported by `serverUrlProblem`),
 * otherwise settings whose requests go to the remote server with its own
 * token, cookies only when no token is given.
 */
export function schedulerServerSettings(
  local: ServerConnection.ISettings,
  server: ISchedulerServer
): ServerConnection.ISettings {
  const text = server.serverUrl.trim();
  if (!text || serverUrlProblem(text, local.baseUrl) !== null) {
    return local;
  }
  const url = new URL(text, local.baseUrl);
  const baseUrl = url.href.endsWith('/') ? url.href : `${url.href}/`;
  const sameOrigin = url.origin === new URL(local.baseUrl).origin;
  const token = server.serverToken.trim();
  return ServerConnection.makeSettings({
    baseUrl,
    wsUrl: `ws${baseUrl.slice(4)}`,
    token,
    appendToken: false,
    init: {
      ...local.init,
      // a cross-origin server sees this page's cookies only when asked to, and only without a token
      credentials: sameOrigin ? 'same-origin' : token ? 'omit' : 'include'
    },
    fetch: local.fetch,
    Request: local.Request,
    Headers: local.Headers,
    WebSocket: local.WebSocket
  });
}

/**
 * The server settings the panel uses, from the plugin's settings as they are
 * when JupyterLab starts; `local` without settings or with an unusable URL
 * (said in the console).
 */
export async function chosenServerSettings(
  local: ServerConnection.ISettings,
  registry: ISettingRegistry | null,
  pluginId: string
): Promise<ServerConnection.ISettings> {
  if (!registry) {
    return local;
  }
  try {
    const settings = await registry.load(pluginId);
    const server = {
      serverUrl: String(settings.get('serverUrl').composite ?? ''),
      serverToken: String(settings.get('serverToken').composite ?? '')
    };
    const problem = serverUrlProblem(server.serverUrl, local.baseUrl);
    if (problem) {
      console.warn(`Pipeline Scheduler: ${problem}; using this server`);
    }
    return schedulerServerSettings(local, server);
  } catch (reason) {
    console.warn('Pipeline Scheduler: settings unavailable; using this server', reason);
    return local;
  }
}
