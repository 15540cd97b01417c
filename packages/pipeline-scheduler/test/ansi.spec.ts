/** ANSI escape sequences in run logs: parsed into styles, or stripped. */
import { parseAnsiLine, segmentAttributes, stripAnsi } from '../src/ansi';

const ESC = '\x1b';

describe('ANSI', () => {
  it('strips every escape sequence and progress-bar returns', () => {
    expect(stripAnsi(`${ESC}[1;31mError${ESC}[0m: boom`)).toBe('Error: boom');
    expect(stripAnsi(`${ESC}]0;title\x07text`)).toBe('text');
    expect(stripAnsi('10%\r50%\r100%')).toBe('10%50%100%');
    expect(stripAnsi('plain')).toBe('plain');
  });

  it('parses colours, bold and resets into segments', () => {
    const { segments, state } = parseAnsiLine(`a ${ESC}[1;32mok${ESC}[0m b`);
    expect(segments.map(s => s.text)).toEqual(['a ', 'ok', ' b']);
    expect(segments[1].style).toEqual({ bold: true, fg: 'ansi-green' });
    expect(segments[2].style).toEqual({});
    expect(state).toEqual({});
    expect(segmentAttributes(segments[1].style).className).toBe('ansi-green-fg ansi-bold');
  });

  it('carries a style over to the next line', () => {
    const first = parseAnsiLine(`${ESC}[31mred starts`);
    const second = parseAnsiLine('still red', first.state);
    expect(second.segments[0].style.fg).toBe('ansi-red');
    const third = parseAnsiLine(`${ESC}[39mdefault`, second.state);
    expect(third.segments[0].style.fg).toBeUndefined();
  });

  it('knows bright, 256 and RGB colours and backgrounds', () => {
    const bright = parseAnsiLine(`${ESC}[91;44mx`).segments[0].style;
    expect(segmentAttributes(bright).className).toBe('ansi-red-intense-fg ansi-blue-bg');
    const palette = parseAnsiLine(`${ESC}[38;5;196mx`).segments[0].style;
    expect(segmentAttributes(palette).css.color).toBe('rgb(255, 0, 0)');
    const low = parseAnsiLine(`${ESC}[38;5;2mx`).segments[0].style;
    expect(segmentAttributes(low).className).toBe('ansi-green-fg');
    const rgb = parseAnsiLine(`${ESC}[48;2;10;20;30mx`).segments[0].style;
    expect(segmentAttributes(rgb).css.backgroundColor).toBe('rgb(10, 20, 30)');
  });

  it('drops sequences that are not colours (cursor moves, erase line)', () => {
    const { segments } = parseAnsiLine(`${ESC}[2K${ESC}[1Gdone`);
    expect(segments).toEqual([{ text: 'done', style: {} }]);
  });
});
