import * as React from 'react';

import { TranslationBundle } from '@jupyterlab/translation';
import { deleteIcon, refreshIcon, runIcon } from '@jupyterlab/ui-components';

import { IJob, IRun, RunStatus } from '../tokens';

/** Properties of the {@link JobList} component. */
export interface IJobListProps {
  /** The jobs to display. */
  jobs: ReadonlyArray<IJob>;
  /** Whether the job list has been fetched at least once. */
  loaded: boolean;
  /** Whether a refresh is in flight. */
  loading: boolean;
  /** The error of the last refresh, if it failed. */
  error: string | null;
  /** Ids of the jobs with an action in flight; their buttons are disabled. */
  pending: ReadonlySet<string>;
  /** The translation bundle of the extension. */
  trans: TranslationBundle;
  onRefresh: () => void;
  onRun: (job: IJob) => void;
  onDelete: (job: IJob) => void;
}

/**
 * The list of scheduled jobs, with a refresh button and per-job actions.
 */
export function JobList(props: IJobListProps): JSX.Element {
  const { jobs, loaded, loading, error, trans } = props;

  let content: JSX.Element;
  if (!loaded) {
    content = (
      <p className="jp-PipelineScheduler-message">
        {loading ? trans.__('Loading jobs…') : ''}
      </p>
    );
  } else if (jobs.length === 0) {
    content = (
      <p className="jp-PipelineScheduler-message">
        {trans.__('No scheduled jobs.')}
      </p>
    );
  } else {
    content = (
      <ul
        className="jp-PipelineScheduler-jobs"
        aria-label={trans.__('Scheduled jobs')}
      >
        {jobs.map(job => (
          <JobItem
            key={job.id}
            job={job}
            busy={props.pending.has(job.id)}
            trans={trans}
            onRun={props.onRun}
            onDelete={props.onDelete}
          />
        ))}
      </ul>
    );
  }

  return (
    <div className="jp-PipelineScheduler-jobList" data-testid="job-list">
      <div className="jp-PipelineScheduler-header">
        <h2 className="jp-PipelineScheduler-title">
          {trans.__('Pipeline Scheduler')}
        </h2>
        <button
          type="button"
          className="jp-PipelineScheduler-iconButton"
          onClick={props.onRefresh}
          disabled={loading}
          aria-label={trans.__('Refresh the job list')}
          title={trans.__('Refresh the job list')}
          data-testid="refresh"
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
      {error !== null && (
        <div className="jp-PipelineScheduler-error" role="alert">
          {error}
        </div>
      )}
      {content}
    </div>
  );
}

interface IJobItemProps {
  job: IJob;
  busy: boolean;
  trans: TranslationBundle;
  onRun: (job: IJob) => void;
  onDelete: (job: IJob) => void;
}

function JobItem(props: IJobItemProps): JSX.Element {
  const { job, busy, trans } = props;
  const nextRun = formatNextRun(job, trans);

  return (
    <li
      className="jp-PipelineScheduler-job"
      data-job-id={job.id}
      data-testid="job"
    >
      <div
        className="jp-PipelineScheduler-jobName"
        title={job.pipeline_path || job.name}
      >
        {job.name}
      </div>
      <dl className="jp-PipelineScheduler-jobDetails">
        <dt>{trans.__('Trigger')}</dt>
        <dd className="jp-PipelineScheduler-trigger" title={job.trigger}>
          {job.trigger}
        </dd>
        <dt>{trans.__('Next run')}</dt>
        <dd className="jp-PipelineScheduler-nextRun" title={nextRun.title}>
          {nextRun.text}
        </dd>
        <dt>{trans.__('Last run')}</dt>
        <dd className="jp-PipelineScheduler-lastRun">
          {job.last_run ? (
            <StatusBadge run={job.last_run} trans={trans} />
          ) : (
            <span className="jp-PipelineScheduler-muted">
              {trans.__('never')}
            </span>
          )}
        </dd>
      </dl>
      <div className="jp-PipelineScheduler-actions">
        <button
          type="button"
          className="jp-PipelineScheduler-button"
          disabled={busy}
          onClick={() => props.onRun(job)}
          aria-label={trans.__('Run job "%1" now', job.name)}
          title={trans.__('Start a run of this job now')}
          data-testid="run-now"
        >
          <runIcon.react tag="span" />
          <span>{trans.__('Run now')}</span>
        </button>
        <button
          type="button"
          className="jp-PipelineScheduler-button jp-mod-danger"
          disabled={busy}
          onClick={() => props.onDelete(job)}
          aria-label={trans.__('Delete job "%1"', job.name)}
          title={trans.__('Delete this job')}
          data-testid="delete"
        >
          <deleteIcon.react tag="span" />
          <span>{trans.__('Delete')}</span>
        </button>
      </div>
    </li>
  );
}

/** A coloured badge with the status of a run. */
export function StatusBadge(props: {
  run: IRun;
  trans: TranslationBundle;
}): JSX.Element {
  const { run, trans } = props;
  const details: string[] = [];
  if (run.started_at) {
    details.push(trans.__('Started: %1', formatDate(run.started_at)));
  }
  if (run.duration !== null && run.duration !== undefined) {
    details.push(trans.__('Duration: %1', formatDuration(run.duration, trans)));
  }
  if (run.exit_code !== null && run.exit_code !== undefined) {
    details.push(trans.__('Exit code: %1', run.exit_code));
  }
  return (
    <span
      className={`jp-PipelineScheduler-badge jp-PipelineScheduler-badge-${run.status}`}
      title={details.join('\n') || undefined}
      data-status={run.status}
    >
      {statusLabel(run.status, trans)}
    </span>
  );
}

/** The translated label of a run status. */
export function statusLabel(status: RunStatus, trans: TranslationBundle): string {
  switch (status) {
    case 'success':
      return trans.__('success');
    case 'failure':
      return trans.__('failure');
    case 'queued':
      return trans.__('queued');
    case 'running':
      return trans.__('running');
    case 'timed_out':
      return trans.__('timed out');
    case 'cancelled':
      return trans.__('cancelled');
    case 'interrupted':
      return trans.__('interrupted');
    case 'skipped':
      return trans.__('skipped');
    default:
      return String(status);
  }
}

function formatNextRun(
  job: IJob,
  trans: TranslationBundle
): { text: string; title?: string } {
  if (!job.next_run_time) {
    return job.paused
      ? { text: trans.__('paused'), title: trans.__('The job is paused') }
      : { text: '—', title: trans.__('No upcoming run') };
  }
  return { text: formatDate(job.next_run_time), title: job.next_run_time };
}

function formatDate(iso: string): string {
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return iso;
  }
  return date.toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'short'
  });
}

function formatDuration(seconds: number, trans: TranslationBundle): string {
  if (seconds < 60) {
    return trans.__('%1 s', Math.round(seconds * 10) / 10);
  }
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds % 60);
  if (minutes < 60) {
    return trans.__('%1 min %2 s', minutes, rest);
  }
  return trans.__('%1 h %2 min', Math.floor(minutes / 60), minutes % 60);
}
