import * as React from 'react';

import {
  deleteIcon,
  editIcon,
  listIcon,
  refreshIcon,
  runIcon,
  stopIcon
} from '@jupyterlab/ui-components';

import { isAbort } from '../api';
import type { SchedulerController } from '../controller';
import { formatDate, formatDuration, formatExitCode, tail } from '../format';
import { describeError } from '../model';
import { IRun, isActive } from '../tokens';
import { IconButton, StatusBadge, triggeredByLabel } from './common';

/** Stored logs longer than this are cut (the beginning is shown). */
const MAX_LOG_BYTES = 8 * 1024 * 1024;

type LogState = 'loading' | 'live' | 'stored' | 'error';

/**
 * One run: its details, its log streamed live while it runs
 * (`runs/{id}/stream`) and read from the store afterwards, and actions.
 */
export function RunView(props: {
  controller: SchedulerController;
  runId: number;
  onTitle?: (run: IRun) => void;
}): JSX.Element {
  const { controller, runId } = props;
  const trans = controller.trans;
  const api = controller.api;
  const [run, setRun] = React.useState<IRun | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [log, setLog] = React.useState('');
  const [logState, setLogState] = React.useState<LogState>('loading');
  const [truncated, setTruncated] = React.useState(false);
  const [generation, setGeneration] = React.useState(0);
  const [deleted, setDeleted] = React.useState(false);
  const logRef = React.useRef<HTMLPreElement>(null);
  const stickToBottom = React.useRef(true);

  React.useEffect(() => {
    if (run) {
      props.onTitle?.(run);
    }
  }, [run?.status, run?.job_name]);

  // Follow status changes announced elsewhere (events, other views).
  React.useEffect(() => {
    const onRun = (_: unknown, changed: IRun): void => {
      if (changed.id === runId) {
        setRun(current => (current ? { ...current, ...changed } : changed));
      }
    };
    controller.model.runChanged.connect(onRun);
    const onDeleted = (_: unknown, id: number): void => {
      if (id === runId) {
        setDeleted(true);
      }
    };
    controller.runDeleted.connect(onDeleted);
    return () => {
      controller.model.runChanged.disconnect(onRun);
      controller.runDeleted.disconnect(onDeleted);
    };
  }, [runId]);

  React.useEffect(() => {
    const abort = new AbortController();
    let pending: string[] = [];
    let text = '';
    let timer = 0;
    const flush = (): void => {
      timer = 0;
      if (pending.length) {
        text += (text ? '\n' : '') + pending.join('\n');
        pending = [];
        setLog(text);
      }
    };
    const onLine = (line: string): void => {
      pending.push(line);
      if (!timer) {
        timer = window.setTimeout(flush, 50);
      }
    };

    const readStored = async (offset: number): Promise<void> => {
      const decoder = new TextDecoder('utf-8');
      let stored = '';
      for (;;) {
        const chunk = await api.getLog(runId, offset, decoder);
        if (abort.signal.aborted) {
          return;
        }
        if (!chunk.text && chunk.nextOffset === offset) {
          break;
        }
        stored += chunk.text;
        offset = chunk.nextOffset;
        if (offset >= MAX_LOG_BYTES) {
          setTruncated(true);
          break;
        }
      }
      setLog(stored);
    };

    const load = async (): Promise<void> => {
      setLogState('loading');
      setLog('');
      setTruncated(false);
      setError(null);
      let current: IRun;
      try {
        current = await api.getRun(runId);
      } catch (reason) {
        if (!abort.signal.aborted) {
          setError(describeError(reason));
          setLogState('error');
        }
        return;
      }
      if (abort.signal.aborted) {
        return;
      }
      setRun(current);
      try {
        if (isActive(current.status)) {
          setLogState('live');
          const final = await api.streamRun(runId, onLine, abort.signal);
          window.clearTimeout(timer);
          flush();
          if (abort.signal.aborted) {
            return;
          }
          const latest = final ?? (await api.getRun(runId));
          setRun(latest);
          controller.model.noteRun(latest);
          setLogState('stored');
        } else {
          await readStored(0);
          if (!abort.signal.aborted) {
            setLogState('stored');
          }
        }
      } catch (reason) {
        if (isAbort(reason) || abort.signal.aborted) {
          return;
        }
        // The stream broke: show the stored log instead.
        try {
          await readStored(0);
          const latest = await api.getRun(runId);
          if (!abort.signal.aborted) {
            setRun(latest);
            setLogState('stored');
            if (isActive(latest.status)) {
              window.setTimeout(() => setGeneration(value => value + 1), 2000);
            }
          }
        } catch (again) {
          if (!abort.signal.aborted) {
            setError(describeError(again));
            setLogState('error');
          }
        }
      }
    };
    void load();
    return () => {
      abort.abort();
      window.clearTimeout(timer);
    };
  }, [runId, generation]);

  // Keep the end of the log in view while it grows, unless the user scrolled up.
  React.useLayoutEffect(() => {
    const node = logRef.current;
    if (node && stickToBottom.current) {
      node.scrollTop = node.scrollHeight;
    }
  }, [log]);

  if (!run) {
    return (
      <div className="jp-PipelineScheduler-runView" data-testid="run-view">
        {error ? (
          <div className="jp-PipelineScheduler-error" role="alert">
            {trans.__('Could not load run #%1: %2', runId, error)}
          </div>
        ) : (
          <p className="jp-PipelineScheduler-message">{trans.__('Loading run…')}</p>
        )}
      </div>
    );
  }

  const job = controller.model.job(run.job_id);
  const active = isActive(run.status);
  const failed = ['failure', 'timed_out', 'interrupted'].includes(run.status);
  const details: Array<[string, React.ReactNode]> = [
    [trans.__('Job'), run.job_name || run.job_id],
    [trans.__('Execution'), run.execution_id ?? ''],
    [trans.__('Started by'), triggeredByLabel(run.triggered_by, trans)],
    [trans.__('Scheduled for'), formatDate(run.scheduled_for)],
    [trans.__('Queued'), formatDate(run.queued_at)],
    [trans.__('Started'), formatDate(run.started_at)],
    [trans.__('Finished'), formatDate(run.finished_at)],
    [trans.__('Duration'), formatDuration(run.duration, trans)],
    [trans.__('Exit code'), formatExitCode(run.exit_code, trans)]
  ];

  return (
    <div
      className="jp-PipelineScheduler-runView"
      data-testid="run-view"
      data-run-id={run.id}
      data-status={run.status}
    >
      <div className="jp-PipelineScheduler-runHeader">
        <h2 className="jp-PipelineScheduler-runTitle">
          {trans.__('Run #%1 of "%2"', run.id, run.job_name || run.job_id)}
        </h2>
        <StatusBadge run={run} trans={trans} />
        <div className="jp-PipelineScheduler-runActions">
          {active && (
            <IconButton
              icon={stopIcon}
              label={trans.__('Cancel run')}
              showLabel
              className="jp-mod-danger"
              testId="cancel-run"
              onClick={() => void controller.cancelRun(run).then(r => r && setRun(r))}
            />
          )}
          <IconButton
            icon={runIcon}
            label={trans.__('Rerun')}
            showLabel
            testId="rerun"
            disabled={!job}
            onClick={() => void controller.rerun(run)}
          />
          {job && (
            <IconButton
              icon={editIcon}
              label={trans.__('Edit job')}
              testId="edit-job"
              onClick={() => controller.editJob(job)}
            />
          )}
          <IconButton
            icon={listIcon}
            label={trans.__('All runs of this job')}
            testId="job-runs"
            onClick={() => controller.showRuns(run.job_id)}
          />
          <IconButton
            icon={refreshIcon}
            label={trans.__('Reload')}
            testId="reload-run"
            onClick={() => setGeneration(value => value + 1)}
          />
          {!active && (
            <IconButton
              icon={deleteIcon}
              label={trans.__('Delete run')}
              className="jp-mod-danger"
              testId="delete-run"
              disabled={deleted}
              onClick={() => void controller.deleteRun(run)}
            />
          )}
        </div>
      </div>
      {deleted && (
        <div className="jp-PipelineScheduler-message">{trans.__('This run was deleted.')}</div>
      )}
      <dl className="jp-PipelineScheduler-runDetails">
        {details
          .filter(([, value]) => value !== '' && value !== null && value !== undefined)
          .map(([label, value]) => (
            <React.Fragment key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </React.Fragment>
          ))}
      </dl>
      {run.error && (
        <div
          className={failed ? 'jp-PipelineScheduler-error' : 'jp-PipelineScheduler-note'}
          role={failed ? 'alert' : undefined}
          data-testid="run-error"
        >
          <strong>{failed ? trans.__('Error') : trans.__('Note')}: </strong>
          {run.error}
          {failed && run.output && (
            <pre className="jp-PipelineScheduler-tail">{tail(run.output, 5)}</pre>
          )}
        </div>
      )}
      <div className="jp-PipelineScheduler-logHeader">
        <span>{trans.__('Log')}</span>
        <span className="jp-PipelineScheduler-muted" data-testid="log-state">
          {logState === 'live'
            ? trans.__('streaming live…')
            : logState === 'loading'
              ? trans.__('loading…')
              : logState === 'error'
                ? trans.__('unavailable')
                : truncated
                  ? trans.__('first %1 MiB shown', MAX_LOG_BYTES / 1024 / 1024)
                  : ''}
        </span>
      </div>
      <pre
        ref={logRef}
        className="jp-PipelineScheduler-log"
        data-testid="run-log"
        tabIndex={0}
        aria-label={trans.__('Log of run #%1', run.id)}
        role="log"
        onScroll={event => {
          const node = event.currentTarget;
          stickToBottom.current =
            node.scrollHeight - node.scrollTop - node.clientHeight < 24;
        }}
      >
        {log ||
          (logState === 'loading' || logState === 'live'
            ? ''
            : trans.__('(empty log)'))}
      </pre>
    </div>
  );
}
