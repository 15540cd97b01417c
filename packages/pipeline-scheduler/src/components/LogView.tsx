import * as React from 'react';

import { Clipboard, Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownEmptyThinIcon,
  caretUpEmptyThinIcon,
  copyIcon,
  downloadIcon,
  searchIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';

import { segmentAttributes } from '../ansi';
import { wrapIcon } from '../icons';
import { findMatches, ILogLine, ILogMatch, markSegments } from '../log';

/** Lines per rendered block (blocks that did not change are not rendered again). */
const BLOCK = 200;

/** Whether two blocks of lines hold the same line objects. */
function sameLines(a: ReadonlyArray<ILogLine>, b: ReadonlyArray<ILogLine>): boolean {
  if (a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}

interface IBlockProps {
  start: number;
  lines: ReadonlyArray<ILogLine>;
  /** Matches in this block, by line index. */
  matches: ReadonlyMap<number, ILogMatch[]>;
  /** The current match, when it is in this block. */
  current: ILogMatch | null;
}

/** A block of log lines with their numbers, ANSI styles and search marks. */
const LogBlock = React.memo(
  function LogBlock(props: IBlockProps): JSX.Element {
    const { start, lines, matches, current } = props;
    return (
      <span className="jp-PipelineScheduler-logBlock">
        {lines.map((line, offset) => {
          const index = start + offset;
          const ranges = matches.get(index) ?? [];
          const pieces = markSegments(line.segments, ranges);
          return (
            <span className="jp-PipelineScheduler-logLine" key={index} data-line={index + 1}>
              <span className="jp-PipelineScheduler-lineNumber" aria-hidden="true">
                {index + 1}
              </span>
              <span className="jp-PipelineScheduler-lineText">
                {pieces.map((piece, i) => {
                  const { className, css } = segmentAttributes(piece.style);
                  const isCurrent =
                    piece.match !== -1 &&
                    current !== null &&
                    current.line === index &&
                    ranges[piece.match] === current;
                  const content =
                    piece.match === -1 ? (
                      piece.text
                    ) : (
                      <mark
                        className={`jp-PipelineScheduler-match${isCurrent ? ' jp-mod-current' : ''}`}
                        data-current={isCurrent ? 'true' : undefined}
                      >
                        {piece.text}
                      </mark>
                    );
                  return className || css.color || css.backgroundColor || css.fontStyle ? (
                    <span key={i} className={className || undefined} style={css}>
                      {content}
                    </span>
                  ) : (
                    <React.Fragment key={i}>{content}</React.Fragment>
                  );
                })}
                {'\n'}
              </span>
            </span>
          );
        })}
      </span>
    );
  },
  (a, b) =>
    a.start === b.start &&
    a.current === b.current &&
    a.matches === b.matches &&
    sameLines(a.lines, b.lines)
);

/**
 * A run's log: line numbers, ANSI colours (JupyterLab's `ansi-*` classes),
 * a search with its matches marked, a wrap toggle, copy and download. It
 * keeps the end in view while the log grows, unless the user scrolled up.
 */
export function LogView(props: {
  lines: ReadonlyArray<ILogLine>;
  /** The log as plain text (copy, download). */
  plainText: () => string;
  /** The download's file name. */
  fileName: string;
  /** A short state shown next to the title (`streaming live…`). */
  status: React.ReactNode;
  /** Shown in the log when it is empty. */
  emptyText: string;
  label: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { lines, trans } = props;
  const [wrap, setWrap] = React.useState(true);
  const [query, setQuery] = React.useState('');
  const [currentIndex, setCurrentIndex] = React.useState(0);
  const scroller = React.useRef<HTMLDivElement>(null);
  const stickToBottom = React.useRef(true);

  const matches = React.useMemo(() => findMatches(lines, query), [lines, query]);
  const current = matches.length ? matches[Math.min(currentIndex, matches.length - 1)] : null;

  // Matches by block, then by line (a block is rendered again only when its own matches change).
  const blockMatches = React.useMemo(() => {
    const byBlock = new Map<number, Map<number, ILogMatch[]>>();
    for (const match of matches) {
      const block = Math.floor(match.line / BLOCK);
      let lineMap = byBlock.get(block);
      if (!lineMap) {
        lineMap = new Map();
        byBlock.set(block, lineMap);
      }
      const list = lineMap.get(match.line) ?? [];
      list.push(match);
      lineMap.set(match.line, list);
    }
    return byBlock;
  }, [matches]);
  const noMatches = React.useMemo(() => new Map<number, ILogMatch[]>(), []);

  // Keep the end of the log in view while it grows, unless the user scrolled up.
  React.useLayoutEffect(() => {
    const node = scroller.current;
    if (node && stickToBottom.current && !query) {
      node.scrollTop = node.scrollHeight;
    }
  }, [lines]);

  // Bring the current match into view.
  React.useEffect(() => {
    if (!current) {
      return;
    }
    const node = scroller.current?.querySelector<HTMLElement>('mark[data-current="true"]');
    node?.scrollIntoView?.({ block: 'center', inline: 'nearest' });
  }, [current, query]);

  const go = (step: number): void => {
    if (matches.length) {
      setCurrentIndex(index => (Math.min(index, matches.length - 1) + step + matches.length) % matches.length);
    }
  };

  const copy = (): void => {
    Clipboard.copyToSystem(props.plainText());
    Notification.info(trans.__('Log copied to the clipboard.'), { autoClose: 2500 });
  };

  const download = (): void => {
    const blob = new Blob([props.plainText()], { type: 'text/plain;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = props.fileName;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const blocks: JSX.Element[] = [];
  for (let start = 0; start < lines.length; start += BLOCK) {
    const block = start / BLOCK;
    const blockCurrent = current && Math.floor(current.line / BLOCK) === block ? current : null;
    blocks.push(
      <LogBlock
        key={block}
        start={start}
        lines={lines.slice(start, start + BLOCK)}
        matches={blockMatches.get(block) ?? noMatches}
        current={blockCurrent}
      />
    );
  }
  const digits = String(Math.max(lines.length, 1)).length;

  return (
    <div className="jp-PipelineScheduler-logPanel">
      <div className="jp-PipelineScheduler-logHeader">
        <span className="jp-PipelineScheduler-logTitle">{trans.__('Log')}</span>
        <span className="jp-PipelineScheduler-muted jp-PipelineScheduler-logStatus" data-testid="log-state">
          {props.status}
        </span>
        <div className="jp-PipelineScheduler-logTools" role="toolbar" aria-label={trans.__('Log tools')}>
          <div className="jp-PipelineScheduler-logSearch">
            <searchIcon.react tag="span" className="jp-PipelineScheduler-searchIcon" />
            <input
              type="search"
              className="jp-mod-styled jp-PipelineScheduler-input"
              placeholder={trans.__('Search the log')}
              aria-label={trans.__('Search the log')}
              value={query}
              onChange={event => {
                setQuery(event.target.value);
                setCurrentIndex(0);
              }}
              onKeyDown={event => {
                if (event.key === 'Enter') {
                  event.preventDefault();
                  go(event.shiftKey ? -1 : 1);
                } else if (event.key === 'Escape') {
                  setQuery('');
                }
              }}
              data-testid="log-search"
            />
            <span className="jp-PipelineScheduler-muted jp-PipelineScheduler-matchCount" data-testid="log-matches">
              {query
                ? matches.length
                  ? trans.__('%1 of %2', Math.min(currentIndex, matches.length - 1) + 1, matches.length)
                  : trans.__('no match')
                : ''}
            </span>
          </div>
          <ToolbarButtonComponent
            icon={caretUpEmptyThinIcon}
            tooltip={trans.__('Previous match (Shift+Enter)')}
            enabled={matches.length > 0}
            onClick={() => go(-1)}
            dataset={{ testid: 'log-previous' }}
          />
          <ToolbarButtonComponent
            icon={caretDownEmptyThinIcon}
            tooltip={trans.__('Next match (Enter)')}
            enabled={matches.length > 0}
            onClick={() => go(1)}
            dataset={{ testid: 'log-next' }}
          />
          <ToolbarButtonComponent
            icon={wrapIcon}
            label={trans.__('Wrap')}
            tooltip={wrap ? trans.__('Do not wrap long lines') : trans.__('Wrap long lines')}
            pressed={wrap}
            onClick={() => setWrap(value => !value)}
            className="jp-PipelineScheduler-toggle"
            dataset={{ testid: 'log-wrap' }}
          />
          <ToolbarButtonComponent
            icon={copyIcon}
            label={trans.__('Copy')}
            tooltip={trans.__('Copy the log (without colours)')}
            enabled={lines.length > 0}
            onClick={copy}
            dataset={{ testid: 'log-copy' }}
          />
          <ToolbarButtonComponent
            icon={downloadIcon}
            label={trans.__('Download')}
            tooltip={trans.__('Download the log as %1', props.fileName)}
            enabled={lines.length > 0}
            onClick={download}
            dataset={{ testid: 'log-download' }}
          />
        </div>
      </div>
      <div
        ref={scroller}
        className={`jp-RenderedText jp-PipelineScheduler-log${wrap ? ' jp-mod-wrap' : ''}`}
        data-testid="run-log"
        data-wrap={wrap ? 'true' : 'false'}
        data-lines={lines.length}
        tabIndex={0}
        aria-label={props.label}
        role="log"
        style={{ ['--jp-PipelineScheduler-digits' as string]: `${digits}ch` }}
        onScroll={event => {
          const node = event.currentTarget;
          stickToBottom.current = node.scrollHeight - node.scrollTop - node.clientHeight < 24;
        }}
      >
        <pre>
          {lines.length ? blocks : <span className="jp-PipelineScheduler-muted">{props.emptyText}</span>}
        </pre>
      </div>
    </div>
  );
}
