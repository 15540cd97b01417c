import * as React from 'react';

import { refreshIcon, stopIcon } from '@jupyterlab/ui-components';

import type { SchedulerController } from '../controller';
import { filterJobs, mergeRun } from '../filters';
import {
  formatDate,
  formatDuration,
  formatExitCode,
  formatRelative,
  formatShortTime,
  tail
} from '../format';
import { describeError } from '../model';
import { IRun, isActive, RUN_STATUSES } from '../tokens';
import {
  ChoiceSelect,
  IconButton,
  StatusBadge,
  statusLabel,
  triggeredByLabel,
  useNow,
  useSignal
} from './common';

/** Runs fetched per page. */
const PAGE = 100;

const FAILED = new Set(['failure', 'timed_out', 'interrupted']);

/** The filters of the run list the panel keeps (and restores). */
export interface IRunListState {
  /** Job id; empty: every job. */
  jobId: string;
  /** Run status; empty: every status. */
  status: string;
}

/**
 * Runs across jobs, newest first, filtered by job and status, updated live;
 * a failed run shows the end of its error at a glance.
 */
export function RunList(props: {
  controller: SchedulerController;
  state: IRunListState;
  onState: (changes: Partial<IRunListState>) => void;
}): JSX.Element {
  const { controller, state, onState } = props;
  const { model, trans, api } = controller;
  useSignal(model.changed);
  const now = useNow(30000);
  const [runs, setRuns] = React.useState<IRun[]>([]);
  const [loading, setLoading] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const [hasMore, setHasMore] = React.useState(false);
  const [generation, setGeneration] = React.useState(0);
  const filters = { jobId: state.jobId || null, status: state.status || null };
  const filtersRef = React.useRef(filters);
  filtersRef.current = filters;

  React.useEffect(() => {
    let cancelled = false;
    setLoading(true);
    setError(null);
    api
      .listRuns({ jobId: filters.jobId, status: filters.status, limit: PAGE })
      .then(
        page => {
          if (!cancelled) {
            setRuns(page);
            setHasMore(page.length === PAGE);
          }
        },
        reason => {
          if (!cancelled) {
            setError(describeError(reason));
          }
        }
      )
      .finally(() => {
        if (!cancelled) {
          setLoading(false);
        }
      });
    return () => {
      cancelled = true;
    };
  }, [state.jobId, state.status, generation]);

  React.useEffect(() => {
    const onRun = (_: unknown, run: IRun): void => {
      setRuns(current => mergeRun(current, run, filtersRef.current));
    };
    const onDeleted = (_: unknown, id: number): void => {
      setRuns(current => current.filter(run => run.id !== id));
    };
    model.runChanged.connect(onRun);
    controller.runDeleted.connect(onDeleted);
    return () => {
      model.runChanged.disconnect(onRun);
      controller.runDeleted.disconnect(onDeleted);
    };
  }, [model]);

  const loadMore = async (): Promise<void> => {
    if (!runs.length) {
      return;
    }
    setLoading(true);
    try {
      const page = await api.listRuns({
        jobId: filters.jobId,
        status: filters.status,
        limit: PAGE,
        before: runs[runs.length - 1].id
      });
      setRuns(current => {
        const known = new Set(current.map(run => run.id));
        return [...current, ...page.filter(run => !known.has(run.id))];
      });
      setHasMore(page.length === PAGE);
    } catch (reason) {
      setError(describeError(reason));
    } finally {
      setLoading(false);
    }
  };

  const jobs = React.useMemo(
    () => filterJobs(model.jobs, { sort: 'name' }),
    [model.version]
  );
  const selectedMissing = state.jobId && !model.job(state.jobId);

  return (
    <div className="jp-PipelineScheduler-runsTab">
      <div className="jp-PipelineScheduler-filters">
        <div className="jp-PipelineScheduler-row">
          <ChoiceSelect
            className="jp-PipelineScheduler-grow"
            value={state.jobId}
            label={trans.__('Show the runs of')}
            onValue={jobId => onState({ jobId })}
            testid="run-job-filter"
            options={[
              ['', trans.__('All jobs')],
              ...(selectedMissing ? [[state.jobId, state.jobId] as const] : []),
              ...jobs.map(job => [job.id, job.name] as const)
            ]}
          />
          <ChoiceSelect
            value={state.status}
            label={trans.__('Show runs by status')}
            onValue={status => onState({ status })}
            testid="run-status-filter"
            options={[
              ['', trans.__('Any status')],
              ...RUN_STATUSES.map(status => [status, statusLabel(status, trans)] as const)
            ]}
          />
          <IconButton
            icon={refreshIcon}
            label={trans.__('Reload the runs')}
            testId="reload-runs"
            disabled={loading}
            onClick={() => setGeneration(value => value + 1)}
          />
        </div>
      </div>
      {error && (
        <div className="jp-PipelineScheduler-error" role="alert">
          {trans.__('Could not load the runs: %1', error)}
        </div>
      )}
      <div className="jp-PipelineScheduler-scroller">
        {runs.length === 0 && !loading && !error && (
          <p className="jp-PipelineScheduler-message">{trans.__('No runs.')}</p>
        )}
        <ul className="jp-PipelineScheduler-runs" aria-label={trans.__('Runs')} data-testid="run-list">
          {runs.map(run => {
            const failed = FAILED.has(run.status);
            const detail = failed
              ? [run.error, tail(run.output, 2)].filter(Boolean).join('\n')
              : '';
            return (
              <li
                key={run.id}
                className="jp-PipelineScheduler-run"
                data-run-id={run.id}
                data-status={run.status}
                data-testid="run"
              >
                <button
                  type="button"
                  className="jp-PipelineScheduler-runMain"
                  onClick={() => controller.openRun(run.id)}
                  aria-label={trans.__(
                    'Open run #%1 of "%2" (%3)',
                    run.id,
                    run.job_name,
                    statusLabel(run.status, trans)
                  )}
                >
                  <div className="jp-PipelineScheduler-runTop">
                    <StatusBadge run={run} trans={trans} />
                    <span className="jp-PipelineScheduler-runJob" title={run.job_name}>
                      {run.job_name || run.job_id}
                    </span>
                    <span className="jp-PipelineScheduler-muted">#{run.id}</span>
                  </div>
                  <div className="jp-PipelineScheduler-runMeta jp-PipelineScheduler-muted">
                    <span title={formatDate(run.started_at ?? run.queued_at)}>
                      {formatRelative(run.started_at ?? run.queued_at ?? run.scheduled_for, trans, Math.max(now, Date.now()))}
                    </span>
                    <span>{triggeredByLabel(run.triggered_by, trans)}</span>
                    {run.scheduled_for && (
                      <span
                        title={trans.__('Scheduled for %1', formatDate(run.scheduled_for))}
                        data-testid="run-scheduled-for"
                      >
                        {trans.__('for %1', formatShortTime(run.scheduled_for, Math.max(now, Date.now())))}
                      </span>
                    )}
                    {run.duration !== null && run.duration !== undefined && (
                      <span>{formatDuration(run.duration, trans)}</span>
                    )}
                    {run.exit_code !== null && run.exit_code !== undefined && (
                      <span>{trans.__('exit %1', formatExitCode(run.exit_code, trans))}</span>
                    )}
                  </div>
                  {detail && (
                    <pre className="jp-PipelineScheduler-tail" data-testid="run-error-tail">
                      {detail}
                    </pre>
                  )}
                </button>
                {isActive(run.status) && (
                  <IconButton
                    icon={stopIcon}
                    label={trans.__('Cancel run #%1', run.id)}
                    className="jp-mod-danger"
                    testId="cancel-run"
                    onClick={() => void controller.cancelRun(run)}
                  />
                )}
              </li>
            );
          })}
        </ul>
        {hasMore && (
          <button
            type="button"
            className="jp-PipelineScheduler-button jp-PipelineScheduler-more"
            onClick={() => void loadMore()}
            disabled={loading}
          >
            {trans.__('Load older runs')}
          </button>
        )}
        {loading && <p className="jp-PipelineScheduler-message">{trans.__('Loading runs…')}</p>}
      </div>
    </div>
  );
}
