import { ServerConnection } from '@jupyterlab/services';

import { runQueryString, SchedulerAPI, SchedulerError } from '../src/api';
import { JOB_SUMMARY_FIELDS } from '../src/tokens';

type Handler = (request: Request) => Promise<Response> | Response;

/** A client whose requests go to `handler` instead of the network. */
function client(handler: Handler): { api: SchedulerAPI; requests: Request[] } {
  const requests: Request[] = [];
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/lab-base/',
    token: 'secret',
    fetch: async (input: RequestInfo | URL) => {
      const request = input as Request;
      requests.push(request);
      return handler(request);
    },
    Request,
    Headers
  } as any);
  return { api: new SchedulerAPI({ serverSettings }), requests };
}

/** A request's URL without JupyterLab's cache-busting timestamp. */
function url(request: Request): string {
  return request.url.replace(/[?&]\d{10,}$/, '');
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers }
  });
}

async function rejection(promise: Promise<unknown>): Promise<SchedulerError> {
  try {
    await promise;
  } catch (error) {
    return error as SchedulerError;
  }
  throw new Error('expected a rejection');
}

describe('SchedulerAPI requests', () => {
  it('sends authenticated requests under the namespace', async () => {
    const { api, requests } = client(() => json({ jobs: [{ id: 'a' }] }));
    expect(await api.listJobSummaries()).toEqual([{ id: 'a' }]);
    expect(url(requests[0]).split('?')[0]).toBe('http://localhost:8888/lab-base/pipeline-scheduler/jobs');
    expect(requests[0].headers.get('Authorization')).toBe('token secret');
  });

  it('lists the jobs with the fields the panel reads only', async () => {
    const { api, requests } = client(() => json({ jobs: [{ id: 'a', name: 'alpha' }] }));
    expect(await api.listJobSummaries()).toEqual([{ id: 'a', name: 'alpha' }]);
    const sent = new URL(url(requests[0]));
    expect(sent.pathname).toBe('/lab-base/pipeline-scheduler/jobs');
    expect(sent.searchParams.get('fields')?.split(',')).toEqual([...JOB_SUMMARY_FIELDS]);
    expect(requests[0].method).toBe('GET');
  });

  it('uses the REST verbs of each action', async () => {
    const { api, requests } = client(request =>
      url(request).endsWith('/runs') && request.method === 'POST'
        ? json({ id: 3, status: 'queued' }, 202)
        : json({ id: 'a b' })
    );
    await api.createJob({ name: 'x' });
    await api.updateJob('a b', { name: 'y' });
    await api.pauseJob('a b');
    await api.resumeJob('a b');
    await api.deleteJob('a b');
    expect(await api.runJob('a b')).toEqual({ id: 3, status: 'queued' });
    await api.cancelRun(3);
    await api.preview({ schedule_type: 'cron', cron_expression: '* * * * *', count: 5 });
    const calls = requests.map(r => `${r.method} ${url(r).replace('http://localhost:8888/lab-base/pipeline-scheduler/', '')}`);
    expect(calls).toEqual([
      'POST jobs',
      'PUT jobs/a%20b',
      'POST jobs/a%20b/pause',
      'POST jobs/a%20b/resume',
      'DELETE jobs/a%20b',
      'POST jobs/a%20b/runs',
      'POST runs/3/cancel',
      'POST triggers/preview'
    ]);
    expect(await requests[1].json()).toEqual({ name: 'y' });
    expect(await requests[5].json()).toEqual({ triggered_by: 'manual' });
  });

  it('builds run queries', async () => {
    expect(runQueryString({})).toBe('');
    expect(runQueryString({ jobId: 'a&b', status: 'failure', limit: 100, before: 40 })).toBe(
      '?job_id=a%26b&status=failure&limit=100&before=40'
    );
    const { api, requests } = client(() => json({ runs: [] }));
    expect(await api.listRuns({ jobId: 'j', status: '' })).toEqual([]);
    expect(url(requests[0])).toMatch(/\/runs\?job_id=j$/);
  });
});

describe('SchedulerAPI error handling', () => {
  it('keeps the message and the field of a 400', async () => {
    const { api } = client(() =>
      json({ error: 'cron_expression: invalid cron expression', field: 'cron_expression' }, 400)
    );
    const error = await rejection(api.createJob({}));
    expect(error).toBeInstanceOf(SchedulerError);
    expect(error.status).toBe(400);
    expect(error.field).toBe('cron_expression');
    expect(error.message).toBe('cron_expression: invalid cron expression');
  });

  it('reads jupyter_server error pages (message) and 409 conflicts', async () => {
    const { api } = client(() => json({ message: 'Forbidden' }, 403));
    const error = await rejection(api.listJobSummaries());
    expect(error.status).toBe(403);
    expect(error.message).toBe('Forbidden');
    expect(error.field).toBeNull();

    const conflict = client(() => json({ error: 'job x is a trigger condition of y', field: 'job_id' }, 409));
    const refused = await rejection(conflict.api.deleteJob('x'));
    expect(refused.status).toBe(409);
    expect(refused.field).toBe('job_id');
  });

  it('explains a 404 without body: the server extension is missing', async () => {
    const { api } = client(() => new Response('', { status: 404, statusText: 'Not Found' }));
    const error = await rejection(api.health());
    expect(error.status).toBe(404);
    expect(error.message).toContain('server extension');
  });

  it('reports a non-JSON error body by its status', async () => {
    const { api } = client(() => new Response('<html>oops</html>', { status: 502, statusText: 'Bad Gateway' }));
    const error = await rejection(api.listJobSummaries());
    expect(error.status).toBe(502);
    expect(error.message).toBe('Request failed: 502 Bad Gateway');
  });

  it('turns network failures into status 0', async () => {
    const { api } = client(() => {
      throw new TypeError('Failed to fetch');
    });
    const error = await rejection(api.listJobSummaries());
    expect(error).toBeInstanceOf(SchedulerError);
    expect(error.status).toBe(0);
    expect(error.message).toContain('Could not reach the pipeline scheduler server');
    expect(error.message).toContain('Failed to fetch');
  });

  it('refuses an invalid JSON success body, accepts an empty one', async () => {
    const bad = client(() => new Response('{not json', { status: 200 }));
    expect((await rejection(bad.api.getJob('a'))).message).toContain('invalid JSON');
    const empty = client(() => new Response('', { status: 200 }));
    expect(await empty.api.request('health')).toBeNull();
  });

  it('tells an aborted request apart', async () => {
    const abort = new AbortController();
    const { api } = client(() => {
      abort.abort();
      throw new DOMException('aborted', 'AbortError');
    });
    const error = await rejection(api.preview({}, { signal: abort.signal }));
    expect(error.name).toBe('AbortError');
  });
});

describe('SchedulerAPI logs and streams', () => {
  it('reads log chunks with their offsets, across split characters', async () => {
    const bytes = new TextEncoder().encode('été\n');
    const { api, requests } = client(request => {
      const offset = Number(new URL(request.url).searchParams.get('offset'));
      const chunk = offset === 0 ? bytes.slice(0, 2) : bytes.slice(2);
      return new Response(chunk, {
        status: 200,
        headers: { 'X-Next-Offset': String(offset + chunk.length), 'X-Run-Status': 'running' }
      });
    });
    const decoder = new TextDecoder('utf-8');
    const first = await api.getLog(7, 0, decoder);
    const second = await api.getLog(7, first.nextOffset, decoder);
    expect(first.nextOffset).toBe(2);
    expect(first.status).toBe('running');
    expect(first.text + second.text).toBe('été\n');
    expect(url(requests[1])).toMatch(/runs\/7\/log\?offset=2$/);
  });

  it('streams a run: log lines, then the final run', async () => {
    const { api } = client(
      () =>
        new Response(
          'event: log\ndata: step 1\n\nevent: log\ndata: step 2\n\nevent: status\ndata: {"id": 7, "status": "success"}\n\n',
          { headers: { 'Content-Type': 'text/event-stream' } }
        )
    );
    const lines: string[] = [];
    const final = await api.streamRun(7, line => lines.push(line));
    expect(lines).toEqual(['step 1', 'step 2']);
    expect(final).toEqual({ id: 7, status: 'success' });
  });

  it('listens to server events, and refuses a stream that is not one', async () => {
    const events = client(
      () =>
        new Response(': connected\n\nevent: job\ndata: {"id": "a", "action": "deleted"}\n\n', {
          headers: { 'Content-Type': 'text/event-stream; charset=utf-8' }
        })
    );
    const seen: string[] = [];
    const comments: string[] = [];
    await events.api.listenEvents(event => seen.push(`${event.event}:${event.data}`), {
      onComment: comment => comments.push(comment)
    });
    expect(seen).toEqual(['open:', 'job:{"id": "a", "action": "deleted"}']);
    expect(comments).toEqual(['connected']);

    const html = client(() => new Response('<html/>', { headers: { 'Content-Type': 'text/html' } }));
    const error = await rejection(html.api.listenEvents(() => undefined));
    expect(error.message).toContain('does not stream events');

    const missing = client(() => json({ error: 'not found', field: null }, 404));
    expect((await rejection(missing.api.listenEvents(() => undefined))).status).toBe(404);
  });
});
