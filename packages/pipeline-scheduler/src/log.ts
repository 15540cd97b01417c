/**
 * Run logs as lines: ANSI styles carried across lines, search matches, and
 * segments split where a match starts or ends. Pure functions.
 */
import { IAnsiSegment, IAnsiStyle, parseAnsiLine, stripAnsi } from './ansi';

/** One line of a log, parsed. */
export interface ILogLine {
  /** The styled text of the line. */
  segments: IAnsiSegment[];
  /** The text of the line without escape sequences (searched, copied). */
  plain: string;
}

/**
 * Parse lines of a log, continuing from `state` (the style the previous
 * lines ended with); returns the style the last line ends with.
 */
export function parseLogLines(
  lines: ReadonlyArray<string>,
  state: IAnsiStyle = {}
): { lines: ILogLine[]; state: IAnsiStyle } {
  const parsed: ILogLine[] = [];
  let style = state;
  for (const line of lines) {
    const result = parseAnsiLine(line, style);
    style = result.state;
    parsed.push({
      segments: result.segments,
      plain: result.segments.map(segment => segment.text).join('')
    });
  }
  return { lines: parsed, state: style };
}

/** Split a log's text into lines (a final newline makes no empty last line). */
export function splitLog(text: string): string[] {
  if (!text) {
    return [];
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines.map(line => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** A match of the log search: line index, start and end in the line's plain text. */
export interface ILogMatch {
  line: number;
  start: number;
  end: number;
}

/** Every match of `query` in the lines (case-insensitive), in order. */
export function findMatches(
  lines: ReadonlyArray<Pick<ILogLine, 'plain'>>,
  query: string,
  limit = 10000
): ILogMatch[] {
  const needle = query.toLowerCase();
  const matches: ILogMatch[] = [];
  if (!needle) {
    return matches;
  }
  for (let index = 0; index < lines.length && matches.length < limit; index++) {
    const haystack = lines[index].plain.toLowerCase();
    let from = haystack.indexOf(needle);
    while (from !== -1 && matches.length < limit) {
      matches.push({ line: index, start: from, end: from + needle.length });
      from = haystack.indexOf(needle, from + needle.length);
    }
  }
  return matches;
}

/** A segment of a line, marked when it is (part of) a search match. */
export interface IMarkedSegment extends IAnsiSegment {
  /** Index of the match it belongs to in the line's matches, or -1. */
  match: number;
}

/**
 * The segments of a line cut at the edges of `ranges` (`[start, end)` in
 * the plain text), each piece marked with the range it falls in.
 */
export function markSegments(
  segments: ReadonlyArray<IAnsiSegment>,
  ranges: ReadonlyArray<{ start: number; end: number }>
): IMarkedSegment[] {
  if (ranges.length === 0) {
    return segments.map(segment => ({ ...segment, match: -1 }));
  }
  const cuts = new Set<number>();
  for (const range of ranges) {
    cuts.add(range.start);
    cuts.add(range.end);
  }
  const result: IMarkedSegment[] = [];
  let offset = 0;
  for (const segment of segments) {
    const end = offset + segment.text.length;
    const points = [offset, ...Array.from(cuts).filter(c => c > offset && c < end).sort((a, b) => a - b), end];
    for (let i = 0; i < points.length - 1; i++) {
      const from = points[i];
      const to = points[i + 1];
      if (to <= from) {
        continue;
      }
      const match = ranges.findIndex(range => from >= range.start && to <= range.end);
      result.push({ text: segment.text.slice(from - offset, to - offset), style: segment.style, match });
    }
    offset = end;
  }
  return result;
}

/** A log as plain text (no escape sequences), for copying and downloading. */
export function plainLog(text: string): string {
  return stripAnsi(text);
}

/**
 * A log growing as it arrives (whole lines from the live stream, chunks of
 * bytes from the store): parsed lines, each parsed once, and the unfinished
 * last line re-parsed as it grows.
 */
export class LogBuffer {
  /** The finished lines, parsed. */
  get lines(): ReadonlyArray<ILogLine> {
    return this._lines;
  }

  /** Every line to show: the finished ones and the unfinished last one. */
  get allLines(): ReadonlyArray<ILogLine> {
    return this._partialLine ? [...this._lines, this._partialLine] : this._lines;
  }

  /** The raw text received. */
  get text(): string {
    return this._raw.join('\n') + (this._raw.length && this._partial ? '\n' : '') + this._partial;
  }

  /** Incremented on every change. */
  get version(): number {
    return this._version;
  }

  /** Add a chunk of text (it may end in the middle of a line). */
  append(chunk: string): void {
    if (!chunk) {
      return;
    }
    const pieces = (this._partial + chunk).split('\n');
    this._partial = pieces.pop() ?? '';
    this._finish(pieces);
    this._partialLine = this._partial ? parseLogLines([this._partial], this._state).lines[0] : null;
    this._version++;
  }

  /** Add whole lines (the live stream sends one event per line). */
  appendLines(lines: ReadonlyArray<string>): void {
    if (lines.length === 0) {
      return;
    }
    const pieces = this._partial ? [this._partial + lines[0], ...lines.slice(1)] : lines.slice();
    this._partial = '';
    this._partialLine = null;
    this._finish(pieces);
    this._version++;
  }

  /** Forget everything. */
  clear(): void {
    this._lines = [];
    this._raw = [];
    this._partial = '';
    this._partialLine = null;
    this._state = {};
    this._version++;
  }

  private _finish(pieces: string[]): void {
    const clean = pieces.map(line => (line.endsWith('\r') ? line.slice(0, -1) : line));
    const parsed = parseLogLines(clean, this._state);
    this._state = parsed.state;
    this._raw.push(...clean);
    // A new array, so that views holding the previous one see a change.
    this._lines = this._lines.concat(parsed.lines);
  }

  private _lines: ILogLine[] = [];
  private _raw: string[] = [];
  private _partial = '';
  private _partialLine: ILogLine | null = null;
  private _state: IAnsiStyle = {};
  private _version = 0;
}
