import * as React from 'react';

import { TranslationBundle } from '@jupyterlab/translation';
import {
  deleteIcon,
  editIcon,
  historyIcon,
  launchIcon,
  notebookIcon,
  refreshIcon,
  runIcon,
  stopIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';

import { stripAnsi } from '../ansi';
import { isAbort } from '../api';
import type { SchedulerController } from '../controller';
import { formatBytes, formatDateTime, formatDuration, formatExitCode } from '../format';
import { LogBuffer, plainLog } from '../log';
import { describeError } from '../model';
import { attemptsAllowed, failureSummary, firstAttemptId, hasAttempts, isFailed } from '../runs';
import { pinIcon } from '../icons';
import { IRun, isActive } from '../tokens';
import { StatusBadge, statusLabel, triggeredByLabel, useNow, useSignal } from './common';
import { attemptText } from './RunList';
import { LogView } from './LogView';
import { runWithOtherParameters } from './ParametersEditor';
import {
  artifactOf,
  HTML_MEDIA_TYPE,
  isNotebookPath,
  NOTEBOOK_MEDIA_TYPE,
  NotebookCommandIDs,
  useArtifacts
} from '../notebookJobs';

/** Stored logs longer than this are cut (the beginning is shown). */
const MAX_LOG_BYTES = 8 * 1024 * 1024;

type LogState = 'loading' | 'live' | 'stored' | 'error';

/** Properties of {@link RunView}. */
export interface IRunViewProps {
  controller: SchedulerController;
  runId: number;
  /** Whether the tab stays on this run (else it follows the job's newest run). */
  pinned?: boolean;
  onTogglePin?: () => void;
  onTitle?: (run: IRun) => void;
}

/** The line under the header: what the run is doing or how it ended. */
function Outcome(props: { run: IRun; trans: TranslationBundle; now: number }): JSX.Element {
  const { run, trans, now } = props;
  const failed = isFailed(run.status);
  let text: React.ReactNode;
  let className = 'jp-PipelineScheduler-outcome';
  if (run.status === 'running') {
    const since = run.started_at ? (Math.max(now, Date.now()) - new Date(run.started_at).getTime()) / 1000 : null;
    text =
      since !== null && since >= 0
        ? trans.__('Running for %1…', formatDuration(Math.floor(since), trans))
        : trans.__('Running…');
  } else if (run.status === 'queued') {
    text = trans.__('Queued: it starts when a worker is free.');
  } else if (run.status === 'success') {
    className += ' jp-mod-success';
    text =
      run.duration !== null && run.duration !== undefined
        ? trans.__('Succeeded in %1.', formatDuration(run.duration, trans))
        : trans.__('Succeeded.');
  } else if (failed) {
    className += ' jp-PipelineScheduler-error';
    text = (
      <>
        <strong>
          {run.status === 'timed_out'
            ? trans.__('Timed out')
            : run.status === 'interrupted'
              ? trans.__('Interrupted')
              : trans.__('Failed')}
          {': '}
        </strong>
        <span className="jp-PipelineScheduler-outcomeText">{failureSummary(run) || statusLabel(run.status, trans)}</span>
      </>
    );
  } else {
    className += ' jp-PipelineScheduler-note';
    text = (
      <>
        <strong>{statusLabel(run.status, trans)}</strong>
        {run.error ? `: ${stripAnsi(run.error)}` : ''}
      </>
    );
  }
  return (
    <div
      className={className}
      role={failed ? 'alert' : 'status'}
      data-testid={failed || run.error ? 'run-error' : 'run-outcome'}
    >
      <div>{text}</div>
      {run.warning && (
        <div className="jp-PipelineScheduler-warning" data-testid="run-warning">
          {stripAnsi(run.warning)}
        </div>
      )}
      {run.notification_error && (
        <div className="jp-PipelineScheduler-warning" data-testid="notification-error">
          {trans.__('The notification of this run could not be sent: %1', String(run.notification_error))}
        </div>
      )}
    </div>
  );
}

/**
 * One run: a header with labelled actions, how it went, its details (a
 * fixed layout: nothing moves when the run ends), the other attempts of the
 * same run, and its log streamed live while it runs (`runs/{id}/stream`),
 * read from the store afterwards.
 */
export function RunView(props: IRunViewProps): JSX.Element {
  const { controller, runId } = props;
  const trans = controller.trans;
  const api = controller.api;
  useSignal(controller.model.changed);
  const [run, setRun] = React.useState<IRun | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const buffer = React.useMemo(() => new LogBuffer(), [runId]);
  const [, setLogVersion] = React.useState(0);
  const [logState, setLogState] = React.useState<LogState>('loading');
  const [cut, setCut] = React.useState(false);
  const [generation, setGeneration] = React.useState(0);
  const [deleted, setDeleted] = React.useState(false);
  const [attempts, setAttempts] = React.useState<IRun[]>([]);
  const active = run ? isActive(run.status) : false;
  const artifacts = useArtifacts(api, runId, !!run && !active && !deleted, generation);
  const now = useNow(active ? 1000 : 60000);

  React.useEffect(() => {
    if (run) {
      props.onTitle?.(run);
    }
  }, [run?.status, run?.job_name, run?.id]);

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

  // The other attempts of the same run, when the server retries runs.
  const first = run ? firstAttemptId(run) : null;
  const retried = run ? hasAttempts(run) : false;
  React.useEffect(() => {
    if (!run || !retried) {
      setAttempts([]);
      return;
    }
    let live = true;
    api.listRuns({ jobId: run.job_id, limit: 50 }).then(
      runs => {
        if (live) {
          setAttempts(
            runs
              .filter(item => firstAttemptId(item) === first)
              .sort((a, b) => (a.attempt ?? 0) - (b.attempt ?? 0) || a.id - b.id)
          );
        }
      },
      () => live && setAttempts([])
    );
    return () => {
      live = false;
    };
  }, [runId, first, retried, run?.status]);

  React.useEffect(() => {
    const abort = new AbortController();
    let pending: string[] = [];
    let timer = 0;
    const changed = (): void => setLogVersion(buffer.version);
    const flush = (): void => {
      timer = 0;
      if (pending.length) {
        buffer.appendLines(pending);
        pending = [];
        changed();
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
      const stored = new LogBuffer();
      for (;;) {
        const chunk = await api.getLog(runId, offset, decoder);
        if (abort.signal.aborted) {
          return;
        }
        if (!chunk.text && chunk.nextOffset === offset) {
          break;
        }
        stored.append(chunk.text);
        offset = chunk.nextOffset;
        if (offset >= MAX_LOG_BYTES) {
          setCut(true);
          break;
        }
      }
      buffer.clear();
      buffer.append(stored.text);
      changed();
    };

    const load = async (): Promise<void> => {
      setLogState('loading');
      setCut(false);
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
          buffer.clear();
          changed();
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

  if (!run) {
    return (
      <div className="jp-PipelineScheduler-runView" data-testid="run-view" data-run-id={runId}>
        {error ? (
          <div className="jp-PipelineScheduler-error" role="alert">
            {trans.__('Could not load run #%1: %2', runId, error)}
          </div>
        ) : (
          <p className="jp-PipelineScheduler-message">{trans.__('Loading run #%1…', runId)}</p>
        )}
      </div>
    );
  }

  const job = controller.model.job(run.job_id);
  const executedNotebook = artifactOf(artifacts, NOTEBOOK_MEDIA_TYPE);
  const htmlExport = artifactOf(artifacts, HTML_MEDIA_TYPE);
  const jobName = run.job_name || job?.name || run.job_id;
  const allowed = attemptsAllowed(job);
  const attempt = attemptText(run, allowed, trans);
  const time = (iso: string | null | undefined): string =>
    iso ? formatDateTime(iso, { seconds: true }) : '—';
  const elapsed =
    run.duration !== null && run.duration !== undefined
      ? formatDuration(run.duration, trans)
      : active && run.started_at
        ? formatDuration(Math.max(0, Math.floor((Math.max(now, Date.now()) - new Date(run.started_at).getTime()) / 1000)), trans)
        : '—';
  const details: Array<[string, React.ReactNode, string]> = [
    [trans.__('Job'), jobName, 'job'],
    [trans.__('Started by'), triggeredByLabel(run.triggered_by, trans) || '—', 'triggered-by'],
    [trans.__('Scheduled for'), time(run.scheduled_for), 'scheduled-for'],
    [trans.__('Queued'), time(run.queued_at), 'queued'],
    [trans.__('Started'), time(run.started_at), 'started'],
    [trans.__('Finished'), time(run.finished_at), 'finished'],
    [trans.__('Duration'), elapsed, 'duration'],
    [
      trans.__('Exit code'),
      run.exit_code !== null && run.exit_code !== undefined ? formatExitCode(run.exit_code, trans) : '—',
      'exit-code'
    ],
    [trans.__('Execution'), run.execution_id || '—', 'execution']
  ];
  const truncated = typeof run.log_truncated === 'number' && run.log_truncated > 0 ? run.log_truncated : 0;
  const status =
    logState === 'live'
      ? trans.__('streaming live…')
      : logState === 'loading'
        ? trans.__('loading…')
        : logState === 'error'
          ? trans.__('unavailable')
          : cut
            ? trans.__('first %1 MiB shown', MAX_LOG_BYTES / 1024 / 1024)
            : '';

  return (
    <div
      className="jp-PipelineScheduler-runView"
      data-testid="run-view"
      data-run-id={run.id}
      data-status={run.status}
      data-pinned={props.pinned ? 'true' : 'false'}
    >
      <div className="jp-PipelineScheduler-runHeader">
        <h2 className="jp-PipelineScheduler-runTitle" title={trans.__('Run #%1 of "%2"', run.id, jobName)}>
          {trans.__('Run #%1 of "%2"', run.id, jobName)}
        </h2>
        <StatusBadge run={run} trans={trans} />
        <div className="jp-PipelineScheduler-runActions" role="toolbar" aria-label={trans.__('Run actions')}>
          <ToolbarButtonComponent
            icon={pinIcon}
            label={props.pinned ? trans.__('Pinned') : trans.__('Pin')}
            tooltip={
              props.pinned
                ? trans.__('This tab stays on run #%1; click to follow the newest run of "%2" again', run.id, jobName)
                : trans.__('Keep this tab on run #%1 (it follows the newest run of "%2" otherwise)', run.id, jobName)
            }
            pressed={!!props.pinned}
            onClick={() => props.onTogglePin?.()}
            className="jp-PipelineScheduler-toggle"
            dataset={{ testid: 'pin-run' }}
          />
          <ToolbarButtonComponent
            icon={stopIcon}
            label={trans.__('Cancel')}
            tooltip={active ? trans.__('Cancel this run') : trans.__('The run has ended')}
            enabled={active}
            onClick={() => void controller.cancelRun(run).then(r => r && setRun(r))}
            dataset={{ testid: 'cancel-run' }}
          />
          <ToolbarButtonComponent
            icon={runIcon}
            label={trans.__('Rerun')}
            tooltip={job ? trans.__('Run "%1" again now', jobName) : trans.__('The job no longer exists')}
            enabled={!!job}
            onClick={() => void controller.rerun(run)}
            dataset={{ testid: 'rerun' }}
          />
          <ToolbarButtonComponent
            icon={editIcon}
            label={trans.__('Edit job')}
            tooltip={job ? trans.__('Edit "%1"', jobName) : trans.__('The job no longer exists')}
            enabled={!!job}
            onClick={() => job && void controller.editJob(job)}
            dataset={{ testid: 'edit-job' }}
          />
          <ToolbarButtonComponent
            icon={historyIcon}
            label={trans.__('All runs')}
            tooltip={trans.__('Show every run of "%1" in the panel', jobName)}
            onClick={() => controller.showRuns(run.job_id)}
            dataset={{ testid: 'job-runs' }}
          />
          <ToolbarButtonComponent
            icon={refreshIcon}
            label={trans.__('Reload')}
            tooltip={trans.__('Read the run and its log again')}
            onClick={() => setGeneration(value => value + 1)}
            dataset={{ testid: 'reload-run' }}
          />
          {executedNotebook && (
            <ToolbarButtonComponent
              icon={notebookIcon}
              label={trans.__('Open executed notebook')}
              tooltip={trans.__('Open the notebook as this run left it, read-only')}
              onClick={() =>
                void controller.app.commands.execute(NotebookCommandIDs.openExecuted, {
                  runId: run.id,
                  name: executedNotebook.name
                })
              }
              dataset={{ testid: 'open-executed-notebook' }}
            />
          )}
          {htmlExport && (
            <ToolbarButtonComponent
              icon={launchIcon}
              label={trans.__('Open HTML')}
              tooltip={trans.__('Open the HTML export of this run in a new browser tab')}
              onClick={() =>
                void controller.app.commands.execute(NotebookCommandIDs.openHtml, { runId: run.id, name: htmlExport.name })
              }
              dataset={{ testid: 'open-html' }}
            />
          )}
          {job && isNotebookPath(job.pipeline_path) && (
            <ToolbarButtonComponent
              icon={runIcon}
              label={trans.__('Run with other parameters…')}
              tooltip={trans.__('Run "%1" once with other parameters (the job stays as it is)', jobName)}
              onClick={() => void runWithOtherParameters(controller, job)}
              dataset={{ testid: 'run-with-parameters' }}
            />
          )}
          <ToolbarButtonComponent
            icon={deleteIcon}
            label={trans.__('Delete')}
            tooltip={active ? trans.__('A run can be deleted once it has ended') : trans.__('Delete this run and its log')}
            enabled={!active && !deleted}
            onClick={() => void controller.deleteRun(run)}
            className="jp-mod-danger"
            dataset={{ testid: 'delete-run' }}
          />
        </div>
      </div>
      {deleted && (
        <div className="jp-PipelineScheduler-note" data-testid="run-deleted">
          {trans.__('This run was deleted.')}
        </div>
      )}
      <Outcome run={run} trans={trans} now={now} />
      <dl className="jp-PipelineScheduler-runDetails">
        {details.map(([label, value, key]) => (
          <React.Fragment key={key}>
            <dt>{label}</dt>
            <dd data-testid={`detail-${key}`}>{value}</dd>
          </React.Fragment>
        ))}
        {(attempt || retried) && (
          <>
            <dt>{trans.__('Attempt')}</dt>
            <dd data-testid="detail-attempt" className="jp-PipelineScheduler-attempts">
              <span>{attempt}</span>
              {attempts.length > 1 &&
                attempts.map(item => (
                  <button
                    type="button"
                    key={item.id}
                    className="jp-PipelineScheduler-linkButton jp-PipelineScheduler-attemptLink"
                    disabled={item.id === run.id}
                    onClick={() => controller.openRun(item.id, { jobId: item.job_id })}
                    title={trans.__('Open run #%1 (%2)', item.id, statusLabel(item.status, trans))}
                    data-testid="attempt-link"
                  >
                    <StatusBadge run={item} trans={trans} /> #{item.id}
                  </button>
                ))}
              {attempts.length <= 1 && run.retry_of && run.retry_of !== run.id && (
                <button
                  type="button"
                  className="jp-PipelineScheduler-linkButton jp-PipelineScheduler-attemptLink"
                  onClick={() => controller.openRun(run.retry_of as number, { jobId: run.job_id })}
                  data-testid="first-attempt-link"
                >
                  {trans.__('first attempt: #%1', run.retry_of)}
                </button>
              )}
            </dd>
          </>
        )}
      </dl>
      <LogView
        lines={buffer.allLines}
        plainText={() => plainLog(buffer.text)}
        fileName={`${run.execution_id || `run-${run.id}`}.log`}
        status={
          truncated > 0 ? (
            <>
              {status && `${status} · `}
              <span
                className="jp-PipelineScheduler-warning"
                title={trans.__('The log grew past its limit: its beginning and its end are kept.')}
                data-testid="log-truncated"
              >
                {trans.__('log truncated (%1 dropped from the middle)', formatBytes(truncated))}
              </span>
            </>
          ) : (
            status
          )
        }
        emptyText={logState === 'loading' || logState === 'live' ? '' : trans.__('(empty log)')}
        label={trans.__('Log of run #%1', run.id)}
        trans={trans}
      />
    </div>
  );
}
