/** Run logs as lines: parsed once as they arrive, searched, marked. */
import { findMatches, LogBuffer, markSegments, parseLogLines, plainLog, splitLog } from '../src/log';

const ESC = '\x1b';

describe('LogBuffer', () => {
  it('joins chunks split in the middle of a line', () => {
    const buffer = new LogBuffer();
    buffer.append('first li');
    expect(buffer.allLines.map(l => l.plain)).toEqual(['first li']);
    expect(buffer.lines).toHaveLength(0);
    buffer.append('ne\nsecond\nthi');
    expect(buffer.lines.map(l => l.plain)).toEqual(['first line', 'second']);
    expect(buffer.allLines.map(l => l.plain)).toEqual(['first line', 'second', 'thi']);
    buffer.append('rd\n');
    expect(buffer.allLines.map(l => l.plain)).toEqual(['first line', 'second', 'third']);
    expect(buffer.text).toBe('first line\nsecond\nthird');
  });

  it('takes whole lines from the live stream and keeps finished lines as they were', () => {
    const buffer = new LogBuffer();
    buffer.appendLines([`${ESC}[32mstep 0`, 'step 1']);
    const first = buffer.lines[0];
    buffer.appendLines([`step 2${ESC}[0m`, 'done']);
    expect(buffer.lines[0]).toBe(first);
    // The colour carries over the lines until reset.
    expect(buffer.lines[2].segments[0].style.fg).toBe('ansi-green');
    expect(buffer.lines[3].segments[0].style.fg).toBeUndefined();
    const version = buffer.version;
    buffer.clear();
    expect(buffer.allLines).toHaveLength(0);
    expect(buffer.version).toBeGreaterThan(version);
  });
});

describe('search', () => {
  const { lines } = parseLogLines(splitLog(`Error: one\nfine\n${ESC}[31merror${ESC}[0m and ERROR\n`));

  it('finds every match, case-insensitive, in the text without colours', () => {
    expect(findMatches(lines, 'error')).toEqual([
      { line: 0, start: 0, end: 5 },
      { line: 2, start: 0, end: 5 },
      { line: 2, start: 10, end: 15 }
    ]);
    expect(findMatches(lines, '')).toEqual([]);
    expect(findMatches(lines, 'nothing')).toEqual([]);
  });

  it('cuts styled segments at the edges of the matches', () => {
    const marked = markSegments(lines[2].segments, [{ start: 2, end: 12 }]);
    expect(marked.map(piece => [piece.text, piece.match, piece.style.fg ?? null])).toEqual([
      ['er', -1, 'ansi-red'],
      ['ror', 0, 'ansi-red'],
      [' and ER', 0, null],
      ['ROR', -1, null]
    ]);
  });

  it('copies and downloads the text without colours', () => {
    expect(plainLog(`${ESC}[1mbold${ESC}[0m\n`)).toBe('bold\n');
    expect(splitLog('a\r\nb\n')).toEqual(['a', 'b']);
  });
});
