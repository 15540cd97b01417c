import { ServerConnection } from '@jupyterlab/services';

import { SchedulerAPI } from '../src/api';
import { schedulerServerSettings, serverUrlProblem } from '../src/serverSettings';

const LAB = 'http://localhost:8888/user/ada/';

/** The lab's own settings, with requests collected instead of sent. */
function labSettings(requests: Request[]): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: LAB,
    token: 'lab-token',
    fetch: async (input: RequestInfo | URL) => {
      requests.push(input as Request);
      return new Response(JSON.stringify({ jobs: [] }), {
        headers: { 'Content-Type': 'application/json' }
      });
    },
    Request,
    Headers
  } as any);
}

describe('schedulerServerSettings', () => {
  it('keeps the lab server when no serverUrl is set', () => {
    const local = labSettings([]);
    expect(schedulerServerSettings(local, { serverUrl: ' ', serverToken: 'x' })).toBe(local);
  });

  it('sends requests to a remote scheduler with its own token, not the lab token', async () => {
    const requests: Request[] = [];
    const settings = schedulerServerSettings(labSettings(requests), {
      serverUrl: 'https://scheduler.example.org:9000/base',
      serverToken: ' remote-token '
    });
    expect(settings.baseUrl).toBe('https://scheduler.example.org:9000/base/');
    expect(settings.wsUrl).toBe('wss://scheduler.example.org:9000/base/');
    expect(settings.init.credentials).toBe('omit');
    await new SchedulerAPI({ serverSettings: settings }).listJobSummaries();
    expect(requests[0].url.split('?')[0]).toBe(
      'https://scheduler.example.org:9000/base/pipeline-scheduler/jobs'
    );
    expect(requests[0].headers.get('Authorization')).toBe('token remote-token');
  });

  it('resolves a path against the lab origin and authenticates with its cookies', async () => {
    const requests: Request[] = [];
    const settings = schedulerServerSettings(labSettings(requests), {
      serverUrl: '/services/pipeline-scheduler/',
      serverToken: ''
    });
    expect(settings.baseUrl).toBe('http://localhost:8888/services/pipeline-scheduler/');
    expect(settings.init.credentials).toBe('same-origin');
    await new SchedulerAPI({ serverSettings: settings }).listJobSummaries();
    expect(requests[0].url.split('?')[0]).toBe(
      'http://localhost:8888/services/pipeline-scheduler/pipeline-scheduler/jobs'
    );
    expect(requests[0].headers.get('Authorization')).toBeNull();
  });

  it("sends another origin's cookies only without a token", () => {
    const settings = schedulerServerSettings(labSettings([]), {
      serverUrl: 'http://127.0.0.1:9999',
      serverToken: ''
    });
    expect(settings.baseUrl).toBe('http://127.0.0.1:9999/');
    expect(settings.init.credentials).toBe('include');
  });

  it('refuses what is not the base URL of an http server, and keeps the lab server', () => {
    const local = labSettings([]);
    for (const [url, problem] of [
      ['ftp://files.example.org/', 'only http and https'],
      ['http://[not-a-host', 'is not a URL'],
      ['https://scheduler.example.org/?token=abc', 'no query or fragment']
    ]) {
      expect(serverUrlProblem(url, LAB)).toContain(problem);
      expect(schedulerServerSettings(local, { serverUrl: url, serverToken: '' })).toBe(local);
    }
    expect(serverUrlProblem('', LAB)).toBeNull();
    expect(serverUrlProblem('https://scheduler.example.org/', LAB)).toBeNull();
  });
});
