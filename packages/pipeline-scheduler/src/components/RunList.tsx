import * as React from 'react';

import { TranslationBundle } from '@jupyterlab/translation';
import { stopIcon } from '@jupyterlab/ui-components';

import type { SchedulerController } from '../controller';
import { filterJobs, mergeRun } from '../filters';
import { formatDuration, formatExitCode } from '../format';
import { describeError } from '../model';
import {
  attemptsAllowed,
  failureSummary,
  formerJobs,
  groupAttempts,
  hasAttempts,
  isFailed
} from '../runs';
import { IRun, isActive, RUN_STATUSES } from '../tokens';
import {
  ChoiceSelect,
  IconButton,
  RelativeTime,
  StatusBadge,
  statusLabel,
  triggeredByLabel,
  useNow,
  useSignal
} from './common';

/** Runs fetched per page. */
const PAGE = 100;

/** A run counts as late (its "due" time is shown) past this many seconds. */
const LATE_SECONDS = 60;

/** The filters of the run list the panel keeps (and restores). */
export interface IRunListState {
  /** Job id; empty: every job. */
  jobId: string;
  /** Run status; empty: every status. */
  status: string;
}

/** The attempt of a run in words (`attempt 2 of 3`), or '' for a run without retries. */
export function attemptText(
  run: Pick<IRun, 'attempt' | 'retry_of'>,
  allowed: number | null,
  trans: TranslationBundle
): string {
  if (!hasAttempts(run) && !(allowed && allowed > 1 && run.attempt)) {
    return '';
  }
  const attempt = typeof run.attempt === 'number' ? run.attempt : null;
  if (attempt === null) {
    return trans.__('retry');
  }
  return allowed && allowed >= attempt
    ? trans.__('attempt %1 of %2', attempt, allowed)
    : trans.__('attempt %1', attempt);
}

/**
 * Runs across jobs, newest first, filtered by job (deleted jobs too) and
 * status, updated live; the attempts of one run together; a failed run
 * says why at a glance. The panel's refresh button reloads it (`reload`).
 */
export function RunList(props: {
  controller: SchedulerController;
  state: IRunListState;
  onState: (changes: Partial<IRunListState>) => void;
  /** Changes when the list should be fetched again. */
  reload?: number;
}): JSX.Element {
  const { controller, state, onState } = props;
  const { model, trans, api } = controller;
  useSignal(model.changed);
  const now = useNow(30000);
  const [runs, setRuns] = React.useState<IRun[]>([]);
  const [loading, setLoading] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const [hasMore, setHasMore] = React.useState(false);
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
            model.rememberJobNames(page);
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
  }, [state.jobId, state.status, props.reload]);

  React.useEffect(() => {
    const onRun = (_: unknown, run: IRun): void => {
      setRuns(current => mergeRun(current, run, filtersRef.current));
    };
    const onDeleted = (_: unknown, id: number): void => {
      setRuns(current => current.filter(run => run.id !== id));
    };
    const onJobRunsDeleted = (_: unknown, jobId: string): void => {
      setRuns(current => current.filter(run => run.job_id !== jobId || isActive(run.status)));
    };
    model.runChanged.connect(onRun);
    controller.runDeleted.connect(onDeleted);
    controller.jobRunsDeleted?.connect(onJobRunsDeleted);
    return () => {
      model.runChanged.disconnect(onRun);
      controller.runDeleted.disconnect(onDeleted);
      controller.jobRunsDeleted?.disconnect(onJobRunsDeleted);
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
      model.rememberJobNames(page);
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
  // Jobs deleted since (their runs are kept): selectable under their own heading.
  const former = formerJobs(
    [
      ...model.formerJobs().map(([job_id, job_name]) => ({ job_id, job_name })),
      ...runs,
      ...(state.jobId ? [{ job_id: state.jobId, job_name: state.jobId }] : [])
    ],
    id => !!model.job(id)
  );
  const groups = groupAttempts(runs);

  const renderRun = (run: IRun, earlier: boolean): JSX.Element => {
    const failed = isFailed(run.status);
    const detail = failed ? failureSummary(run) : '';
    const allowed = attemptsAllowed(model.job(run.job_id));
    const attempt = attemptText(run, allowed, trans);
    const started = run.started_at ?? run.queued_at ?? run.scheduled_for;
    const late =
      run.scheduled_for && started && run.started_at
        ? (new Date(run.started_at).getTime() - new Date(run.scheduled_for).getTime()) / 1000
        : 0;
    return (
      <li
        key={run.id}
        className={`jp-PipelineScheduler-run${earlier ? ' jp-mod-earlier' : ''}`}
        data-run-id={run.id}
        data-status={run.status}
        data-testid={earlier ? 'run-attempt' : 'run'}
      >
        <button
          type="button"
          className="jp-PipelineScheduler-runMain"
          onClick={() => controller.openRun(run.id, { jobId: run.job_id })}
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
              {earlier ? attempt || trans.__('earlier attempt') : run.job_name || run.job_id}
            </span>
            <span className="jp-PipelineScheduler-muted">#{run.id}</span>
          </div>
          <div className="jp-PipelineScheduler-runMeta jp-PipelineScheduler-muted">
            <RelativeTime iso={started} trans={trans} now={now} />
            {!earlier && attempt && <span data-testid="run-attempt-label">{attempt}</span>}
            <span>{triggeredByLabel(run.triggered_by, trans)}</span>
            {late > LATE_SECONDS && (
              <RelativeTime
                iso={run.scheduled_for}
                trans={trans}
                now={now}
                prefix={trans.__('due ')}
                testid="run-scheduled-for"
              />
            )}
            {run.duration !== null && run.duration !== undefined && (
              <span>{formatDuration(run.duration, trans)}</span>
            )}
            {run.exit_code !== null && run.exit_code !== undefined && (
              <span>{trans.__('exit %1', formatExitCode(run.exit_code, trans))}</span>
            )}
          </div>
          {detail && (
            <div className="jp-PipelineScheduler-tail" title={detail} data-testid="run-error-tail">
              {detail}
            </div>
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
  };

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
            options={[['', trans.__('All jobs')], ...jobs.map(job => [job.id, job.name || job.id] as const)]}
            groups={[{ label: trans.__('Deleted jobs'), options: former }]}
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
          {groups.map(group =>
            group.earlier.length === 0 ? (
              renderRun(group.run, false)
            ) : (
              <li key={`group-${group.run.id}`} className="jp-PipelineScheduler-runGroup">
                <ul className="jp-PipelineScheduler-runs" aria-label={trans.__('Attempts of run #%1', group.run.id)}>
                  {renderRun(group.run, false)}
                  {group.earlier.map(run => renderRun(run, true))}
                </ul>
              </li>
            )
          )}
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
