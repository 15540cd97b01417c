/**
 * A Server-Sent Events parser that works on `fetch` response bodies, so that
 * streams carry the same authentication headers as every other request
 * (`EventSource` cannot send them).
 */

/** One event of a stream. */
export interface IServerEvent {
  /** `event:` field; `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** `id:` field, when given. */
  id?: string;
}

/**
 * An incremental parser of the `text/event-stream` format: feed it text as it
 * arrives, get whole events back. Comments (`: keepalive`) are reported to
 * `onComment` so that callers can tell a live connection from a stalled one.
 */
export class SSEParser {
  constructor(
    private readonly _onEvent: (event: IServerEvent) => void,
    private readonly _onComment?: (comment: string) => void
  ) {}

  /** Parse a chunk of the stream (any split, even mid-line). */
  feed(chunk: string): void {
    this._buffer += chunk;
    let start = 0;
    for (;;) {
      const newline = this._findLineEnd(start);
      if (newline === null) {
        break;
      }
      const [end, next] = newline;
      this._line(this._buffer.slice(start, end));
      start = next;
    }
    this._buffer = this._buffer.slice(start);
  }

  /** The stream ended: dispatch what is complete, drop an unterminated event. */
  end(): void {
    if (this._buffer) {
      this._line(this._buffer);
      this._buffer = '';
    }
    this._data = [];
    this._event = '';
    this._id = undefined;
  }

  private _findLineEnd(from: number): [number, number] | null {
    for (let i = from; i < this._buffer.length; i++) {
      const char = this._buffer[i];
      if (char === '\n') {
        return [i, i + 1];
      }
      if (char === '\r') {
        if (i + 1 >= this._buffer.length) {
          return null; // a "\r\n" may be split across chunks
        }
        return [i, this._buffer[i + 1] === '\n' ? i + 2 : i + 1];
      }
    }
    return null;
  }

  private _line(line: string): void {
    if (line === '') {
      if (this._data.length > 0) {
        this._onEvent({
          event: this._event || 'message',
          data: this._data.join('\n'),
          ...(this._id !== undefined ? { id: this._id } : {})
        });
      }
      this._data = [];
      this._event = '';
      return;
    }
    if (line.startsWith(':')) {
      this._onComment?.(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this._event = value;
        break;
      case 'data':
        this._data.push(value);
        break;
      case 'id':
        this._id = value;
        break;
      default:
        break;
    }
  }

  private _buffer = '';
  private _data: string[] = [];
  private _event = '';
  private _id: string | undefined = undefined;
}

/**
 * Read a `fetch` response body as Server-Sent Events until it ends or the
 * signal aborts.
 */
export async function readEventStream(
  response: Response,
  onEvent: (event: IServerEvent) => void,
  options: { signal?: AbortSignal; onComment?: (comment: string) => void } = {}
): Promise<void> {
  const parser = new SSEParser(onEvent, options.onComment);
  const body = response.body;
  if (!body) {
    parser.feed(await response.text());
    parser.end();
    return;
  }
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  const abort = (): void => {
    void reader.cancel().catch(() => undefined);
  };
  options.signal?.addEventListener('abort', abort);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
    parser.end();
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}
