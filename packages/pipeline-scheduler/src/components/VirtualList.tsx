import * as React from 'react';

/** Properties of {@link VirtualList}. */
export interface IVirtualListProps<T> {
  items: ReadonlyArray<T>;
  /** Height of every row, in pixels. */
  rowHeight: number;
  getKey: (item: T) => string | number;
  renderItem: (item: T, index: number) => React.ReactNode;
  /** Rows rendered beyond the visible ones, above and below. */
  overscan?: number;
  ariaLabel: string;
  className?: string;
  testId?: string;
  /** Scroll so that this index is visible (changes trigger a scroll). */
  scrollToIndex?: number | null;
}

/**
 * A list that only renders the rows in view (fixed row height), so that a
 * thousand jobs cost as much as a dozen.
 */
export function VirtualList<T>(props: IVirtualListProps<T>): JSX.Element {
  const { items, rowHeight, overscan = 4 } = props;
  const scroller = React.useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = React.useState(0);
  const [viewport, setViewport] = React.useState(800);

  React.useLayoutEffect(() => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    const measure = (): void => {
      setViewport(node.clientHeight || 800);
      setScrollTop(node.scrollTop);
    };
    measure();
    if (typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  React.useEffect(() => {
    const node = scroller.current;
    const index = props.scrollToIndex;
    if (!node || index === null || index === undefined || index < 0) {
      return;
    }
    const top = index * rowHeight;
    if (top < node.scrollTop || top + rowHeight > node.scrollTop + node.clientHeight) {
      node.scrollTop = Math.max(0, top - (node.clientHeight - rowHeight) / 2);
      setScrollTop(node.scrollTop);
    }
  }, [props.scrollToIndex]);

  // When the list shrinks below the scroll position, follow it.
  const maxTop = Math.max(0, items.length * rowHeight - viewport);
  const top = Math.min(scrollTop, maxTop);
  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const last = Math.min(
    items.length,
    Math.ceil((top + viewport) / rowHeight) + overscan
  );
  const rows: React.ReactNode[] = [];
  for (let index = first; index < last; index++) {
    const item = items[index];
    rows.push(
      <li
        key={props.getKey(item)}
        className="jp-PipelineScheduler-virtualRow"
        style={{ top: index * rowHeight, height: rowHeight }}
        aria-setsize={items.length}
        aria-posinset={index + 1}
      >
        {props.renderItem(item, index)}
      </li>
    );
  }
  return (
    <div
      ref={scroller}
      className={`jp-PipelineScheduler-scroller ${props.className ?? ''}`}
      onScroll={event => setScrollTop(event.currentTarget.scrollTop)}
      data-testid={props.testId}
    >
      <ul
        className="jp-PipelineScheduler-virtualList"
        aria-label={props.ariaLabel}
        style={{ height: items.length * rowHeight }}
      >
        {rows}
      </ul>
    </div>
  );
}
