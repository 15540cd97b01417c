/**
 * ANSI escape sequences of run logs (colours of tracebacks, progress bars):
 * parsed into styled segments rendered with JupyterLab's own `ansi-*` classes
 * (as in notebook outputs), or stripped where only the text matters. Pure.
 */

/** The SGR state carried from one segment (and line) to the next. */
export interface IAnsiStyle {
  /** Foreground: a class name (`ansi-red-fg`) or a CSS colour (256 colours, RGB). */
  fg?: string;
  bg?: string;
  bold?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}

/** A run of text in one style. */
export interface IAnsiSegment {
  text: string;
  style: IAnsiStyle;
}

const NAMES = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

/** Every escape sequence a log may hold: CSI (`ESC [ … letter`), OSC (`ESC ] … BEL`), others. */
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** The text without escape sequences (and without the carriage returns of progress bars). */
export function stripAnsi(text: string): string {
  return text.replace(ESCAPES, '').replace(/\r(?!\n)/g, '');
}

/** Whether a text holds an escape sequence. */
export function hasAnsi(text: string): boolean {
  return text.includes('\x1b');
}

/** The 256-colour palette's colour `index` as CSS. */
function color256(index: number): string | undefined {
  if (!Number.isInteger(index) || index < 0 || index > 255) {
    return undefined;
  }
  if (index < 16) {
    return `ansi-${NAMES[index % 8]}${index >= 8 ? '-intense' : ''}`;
  }
  if (index < 232) {
    const n = index - 16;
    const level = (v: number): number => (v === 0 ? 0 : 55 + v * 40);
    return `rgb(${level(Math.floor(n / 36))}, ${level(Math.floor(n / 6) % 6)}, ${level(n % 6)})`;
  }
  const grey = 8 + (index - 232) * 10;
  return `rgb(${grey}, ${grey}, ${grey})`;
}

/** Apply the parameters of one SGR sequence (`ESC [ p1 ; p2 … m`) to a style. */
function applySgr(style: IAnsiStyle, params: number[]): IAnsiStyle {
  const next: IAnsiStyle = { ...style };
  for (let i = 0; i < params.length; i++) {
    const code = params[i];
    if (code === 0) {
      for (const key of Object.keys(next)) {
        delete (next as Record<string, unknown>)[key];
      }
    } else if (code === 1) {
      next.bold = true;
    } else if (code === 3) {
      next.italic = true;
    } else if (code === 4) {
      next.underline = true;
    } else if (code === 7) {
      next.inverse = true;
    } else if (code === 22) {
      delete next.bold;
    } else if (code === 23) {
      delete next.italic;
    } else if (code === 24) {
      delete next.underline;
    } else if (code === 27) {
      delete next.inverse;
    } else if (code >= 30 && code <= 37) {
      next.fg = `ansi-${NAMES[code - 30]}`;
    } else if (code >= 90 && code <= 97) {
      next.fg = `ansi-${NAMES[code - 90]}-intense`;
    } else if (code >= 40 && code <= 47) {
      next.bg = `ansi-${NAMES[code - 40]}`;
    } else if (code >= 100 && code <= 107) {
      next.bg = `ansi-${NAMES[code - 100]}-intense`;
    } else if (code === 39) {
      delete next.fg;
    } else if (code === 49) {
      delete next.bg;
    } else if (code === 38 || code === 48) {
      const key = code === 38 ? 'fg' : 'bg';
      let value: string | undefined;
      if (params[i + 1] === 5) {
        value = color256(params[i + 2]);
        i += 2;
      } else if (params[i + 1] === 2) {
        const [r, g, b] = params.slice(i + 2, i + 5).map(v => Math.max(0, Math.min(255, v || 0)));
        value = `rgb(${r}, ${g}, ${b})`;
        i += 4;
      }
      if (value) {
        next[key] = value;
      }
    }
  }
  return next;
}

/**
 * One line of a log as styled segments, starting from `state` (the style the
 * previous line ended with); returns the style this line ends with.
 */
export function parseAnsiLine(
  line: string,
  state: IAnsiStyle = {}
): { segments: IAnsiSegment[]; state: IAnsiStyle } {
  if (!hasAnsi(line)) {
    const text = line.includes('\r') ? stripAnsi(line) : line;
    return { segments: text ? [{ text, style: state }] : [], state };
  }
  const segments: IAnsiSegment[] = [];
  let style = state;
  let last = 0;
  const push = (text: string): void => {
    const clean = text.replace(/\r(?!\n)/g, '');
    if (!clean) {
      return;
    }
    const previous = segments[segments.length - 1];
    if (previous && previous.style === style) {
      previous.text += clean;
    } else {
      segments.push({ text: clean, style });
    }
  };
  ESCAPES.lastIndex = 0;
  for (let match = ESCAPES.exec(line); match; match = ESCAPES.exec(line)) {
    push(line.slice(last, match.index));
    last = match.index + match[0].length;
    const sgr = /^\x1b\[([\d;:]*)m$/.exec(match[0]); // eslint-disable-line no-control-regex
    if (sgr) {
      const params = sgr[1] === '' ? [0] : sgr[1].split(/[;:]/).map(p => (p === '' ? 0 : Number(p)));
      style = applySgr(style, params);
    }
  }
  push(line.slice(last));
  return { segments, state: style };
}

/**
 * The class names and inline style of a segment, with JupyterLab's classes
 * (`ansi-red-fg`, `ansi-bold`) for the 16 colours.
 */
export function segmentAttributes(style: IAnsiStyle): {
  className: string;
  css: { color?: string; backgroundColor?: string; fontStyle?: string };
} {
  const classes: string[] = [];
  const css: { color?: string; backgroundColor?: string; fontStyle?: string } = {};
  let fg = style.fg;
  let bg = style.bg;
  if (style.inverse) {
    [fg, bg] = [bg, fg];
    if (!fg) {
      classes.push('ansi-default-inverse-fg');
    }
    if (!bg) {
      classes.push('ansi-default-inverse-bg');
    }
  }
  if (fg) {
    if (fg.startsWith('ansi-')) {
      classes.push(`${fg}-fg`);
    } else {
      css.color = fg;
    }
  }
  if (bg) {
    if (bg.startsWith('ansi-')) {
      classes.push(`${bg}-bg`);
    } else {
      css.backgroundColor = bg;
    }
  }
  if (style.bold) {
    classes.push('ansi-bold');
  }
  if (style.underline) {
    classes.push('ansi-underline');
  }
  if (style.italic) {
    css.fontStyle = 'italic';
  }
  return { className: classes.join(' '), css };
}
