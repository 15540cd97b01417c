import { IServerEvent, readEventStream, SSEParser } from '../src/sse';

describe('SSEParser', () => {
  it('parses events split anywhere, CRLF, comments and multi-line data', () => {
    const events: IServerEvent[] = [];
    const comments: string[] = [];
    const parser = new SSEParser(
      event => events.push(event),
      comment => comments.push(comment)
    );
    const stream = ': keepalive\r\nevent: log\r\ndata: line 1\r\n\r\nevent: status\ndata: {"a":\ndata: 1}\nid: 7\n\ndata:no space\n\n';
    for (let i = 0; i < stream.length; i += 3) {
      parser.feed(stream.slice(i, i + 3));
    }
    parser.end();
    expect(comments).toEqual(['keepalive']);
    expect(events).toEqual([
      { event: 'log', data: 'line 1' },
      { event: 'status', data: '{"a":\n1}', id: '7' },
      // The last event id sticks, as in EventSource.
      { event: 'message', data: 'no space', id: '7' }
    ]);
  });

  it('drops an unterminated event at the end', () => {
    const events: IServerEvent[] = [];
    const parser = new SSEParser(event => events.push(event));
    parser.feed('event: log\ndata: partial');
    parser.end();
    expect(events).toEqual([]);
  });
});

describe('readEventStream', () => {
  it('reads a streamed fetch body', async () => {
    const encoder = new TextEncoder();
    const chunks = ['event: log\ndata: é', 't\xe9\n\nevent: status\ndata: {}\n\n'];
    // jsdom has no global ReadableStream: take Node's, from a Response body.
    const Stream = (new Response('').body as any).constructor as typeof ReadableStream;
    const body = new Stream({
      start(controller) {
        for (const chunk of chunks) {
          controller.enqueue(encoder.encode(chunk));
        }
        controller.close();
      }
    });
    const events: IServerEvent[] = [];
    await readEventStream(new Response(body), event => events.push(event));
    expect(events).toEqual([
      { event: 'log', data: 'été' },
      { event: 'status', data: '{}' }
    ]);
  });
});
