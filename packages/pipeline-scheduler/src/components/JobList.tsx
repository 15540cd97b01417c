import * as React from 'react';

import { TranslationBundle } from '@jupyterlab/translation';
import {
  addIcon,
  copyIcon,
  deleteIcon,
  editIcon,
  fileIcon,
  listIcon,
  notebookIcon,
  pauseIcon,
  pythonIcon,
  runIcon,
  searchIcon
} from '@jupyterlab/ui-components';

import type { SchedulerController } from '../controller';
import { resumeIcon } from '../icons';
import { describeJob } from '../describe';
import { filterJobs, isBroken, JobSort, JobStatusFilter } from '../filters';
import { formatDate, formatDuration, formatRelative } from '../format';
import { IJob } from '../tokens';
import { ChoiceSelect, IconButton, StatusBadge, useNow, useSignal } from './common';
import { VirtualList } from './VirtualList';

/** Height of a job card, in pixels (the list is virtualized). */
export const JOB_ROW_HEIGHT = 112;

/** The state of the job list the panel keeps (and restores). */
export interface IJobListState {
  search: string;
  status: JobStatusFilter;
  sort: JobSort;
}

/** Properties of {@link JobList}. */
export interface IJobListProps {
  controller: SchedulerController;
  state: IJobListState;
  onState: (changes: Partial<IJobListState>) => void;
  /** A job to scroll to and highlight. */
  highlight: string | null;
}

/**
 * The scheduled jobs: search, status filter, order, and a virtualized list of
 * cards with their actions.
 */
export function JobList(props: IJobListProps): JSX.Element {
  const { controller, state, onState } = props;
  const { model, trans } = controller;
  useSignal(model.changed);
  const now = useNow(30000);
  const version = model.version;

  const jobs = React.useMemo(
    () => filterJobs(model.jobs, state),
    [version, state.search, state.status, state.sort]
  );
  const names = model.jobNames;
  const highlightIndex = props.highlight
    ? jobs.findIndex(job => job.id === props.highlight)
    : -1;

  let body: React.ReactNode;
  if (model.serverMissing) {
    body = (
      <div className="jp-PipelineScheduler-error" role="alert">
        {trans.__(
          'The pipeline-scheduler server extension was not found. Install amphi-scheduler in the Python environment of the Jupyter server and restart it.'
        )}
      </div>
    );
  } else if (!model.loaded) {
    body = (
      <p className="jp-PipelineScheduler-message">
        {model.error ? '' : trans.__('Loading jobs…')}
      </p>
    );
  } else if (model.jobs.length === 0) {
    body = (
      <div className="jp-PipelineScheduler-empty">
        <p>{trans.__('No scheduled jobs yet.')}</p>
        <button
          type="button"
          className="jp-PipelineScheduler-button jp-mod-accept"
          onClick={() => controller.newJob()}
        >
          <addIcon.react tag="span" />
          {trans.__('Schedule a job')}
        </button>
      </div>
    );
  } else if (jobs.length === 0) {
    body = (
      <p className="jp-PipelineScheduler-message">
        {trans.__('No job matches the filters.')}
      </p>
    );
  } else {
    body = (
      <VirtualList
        items={jobs}
        rowHeight={JOB_ROW_HEIGHT}
        getKey={job => job.id}
        ariaLabel={trans.__('Scheduled jobs')}
        testId="job-list"
        scrollToIndex={highlightIndex >= 0 ? highlightIndex : null}
        renderItem={job => (
          <JobCard
            job={job}
            controller={controller}
            trans={trans}
            names={names}
            now={now}
            highlighted={job.id === props.highlight}
          />
        )}
      />
    );
  }

  return (
    <div className="jp-PipelineScheduler-jobsTab">
      <div className="jp-PipelineScheduler-filters" role="search">
        <div className="jp-PipelineScheduler-search">
          <searchIcon.react tag="span" className="jp-PipelineScheduler-searchIcon" />
          <input
            type="search"
            className="jp-mod-styled jp-PipelineScheduler-input"
            value={state.search}
            placeholder={trans.__('Search jobs')}
            aria-label={trans.__('Search jobs by name or file')}
            onChange={event => onState({ search: event.target.value })}
            data-testid="job-search"
          />
        </div>
        <div className="jp-PipelineScheduler-row">
          <ChoiceSelect
            value={state.status}
            label={trans.__('Show jobs by status')}
            onValue={value => onState({ status: value as JobStatusFilter })}
            testid="job-status-filter"
            options={[
              ['all', trans.__('All jobs')],
              ['scheduled', trans.__('Active (not paused)')],
              ['paused', trans.__('Paused')],
              ['running', trans.__('Running now')],
              ['failed', trans.__('Last run failed')],
              ['succeeded', trans.__('Last run succeeded')],
              ['never', trans.__('Never run')],
              ['broken', trans.__('Broken')]
            ]}
          />
          <ChoiceSelect
            value={state.sort}
            label={trans.__('Order of the jobs')}
            onValue={value => onState({ sort: value as JobSort })}
            testid="job-sort"
            options={[
              ['name', trans.__('By name')],
              ['next', trans.__('By next run')],
              ['last', trans.__('By last run')],
              ['created', trans.__('Newest first')]
            ]}
          />
        </div>
        <div
          className="jp-PipelineScheduler-count"
          data-testid="job-count"
          data-count={jobs.length}
          data-total={model.jobs.length}
          aria-live="polite"
        >
          {model.loaded &&
            (jobs.length === model.jobs.length
              ? trans._n('%1 job', '%1 jobs', model.jobs.length)
              : trans.__('%1 of %2 jobs', jobs.length, model.jobs.length))}
        </div>
      </div>
      {model.error && model.loaded && !model.serverMissing && (
        <div className="jp-PipelineScheduler-error" role="alert">
          {trans.__('Could not refresh the jobs: %1', model.error)}
        </div>
      )}
      {model.error && !model.loaded && !model.serverMissing && (
        <div className="jp-PipelineScheduler-error" role="alert">
          {trans.__('Could not load the jobs: %1', model.error)}
        </div>
      )}
      {body}
    </div>
  );
}

function kindIcon(job: IJob): typeof fileIcon {
  const path = (job.pipeline_path ?? '').toLowerCase();
  if (path.endsWith('.ipynb')) {
    return notebookIcon;
  }
  if (path.endsWith('.py') || job.kind === 'python_code') {
    return pythonIcon;
  }
  return fileIcon;
}

/** One job of the list (a card of fixed height: see {@link JOB_ROW_HEIGHT}). */
function JobCard(props: {
  job: IJob;
  controller: SchedulerController;
  trans: TranslationBundle;
  names: ReadonlyMap<string, string>;
  now: number;
  highlighted: boolean;
}): JSX.Element {
  const { job, controller, trans, names, now } = props;
  const [busy, setBusy] = React.useState(false);
  const act = (action: () => Promise<unknown>): void => {
    setBusy(true);
    void action().finally(() => setBusy(false));
  };
  const words = describeJob(job, trans, names);
  const Icon = kindIcon(job);
  const last = job.last_run;
  const next = job.next_run_time;
  const broken = isBroken(job) ? String(job.broken) : null;
  const path = typeof job.pipeline_path === 'string' ? job.pipeline_path : '';
  let nextText: string;
  if (job.paused) {
    nextText = trans.__('paused');
  } else if (broken && !next) {
    nextText = trans.__('none until the job is fixed');
  } else if (next) {
    nextText = `${formatDate(next, job.timezone, {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit'
    })} (${formatRelative(next, trans, Math.max(now, Date.now()))})`;
  } else if (job.schedule_type === 'trigger') {
    nextText = trans.__('after other jobs');
  } else {
    nextText = trans.__('none');
  }
  return (
    <div
      className={`jp-PipelineScheduler-job${job.paused ? ' jp-mod-paused' : ''}${broken ? ' jp-mod-broken' : ''}${props.highlighted ? ' jp-mod-highlighted' : ''}`}
      data-job-id={job.id}
      data-job-name={job.name}
      data-paused={job.paused ? 'true' : 'false'}
      data-broken={broken ? 'true' : 'false'}
      data-testid="job"
    >
      <div className="jp-PipelineScheduler-jobTop">
        <Icon.react tag="span" className="jp-PipelineScheduler-kindIcon" />
        <span className="jp-PipelineScheduler-jobName" title={job.name} data-testid="job-name">
          {job.name || job.id}
        </span>
        {broken && (
          <span
            className="jp-PipelineScheduler-badge jp-PipelineScheduler-badge-broken"
            title={trans.__('Broken: %1', broken)}
            data-testid="broken-badge"
          >
            {trans.__('broken')}
          </span>
        )}
        {job.paused && (
          <span className="jp-PipelineScheduler-pill" data-testid="paused-badge">
            {trans.__('paused')}
          </span>
        )}
      </div>
      {broken ? (
        // The reason takes the file's line (the card has a fixed height); the
        // full text is in the title and in the dialog the line opens.
        <button
          type="button"
          className="jp-PipelineScheduler-jobLine jp-PipelineScheduler-brokenReason"
          title={path ? `${broken}\n${trans.__('File: %1', path)}` : broken}
          onClick={() => void controller.explainBroken(job)}
          aria-label={trans.__('Why "%1" is broken: %2', job.name || job.id, broken)}
          data-testid="broken-reason"
        >
          {broken}
        </button>
      ) : (
        <div className="jp-PipelineScheduler-jobLine jp-PipelineScheduler-muted" title={path}>
          {path || trans.__('(inline code)')}
        </div>
      )}
      <div
        className="jp-PipelineScheduler-jobLine"
        title={String(job.trigger ?? '')}
        data-testid="job-trigger"
      >
        {words}
        {job.schedule_type !== 'trigger' && job.timezone && (
          <span className="jp-PipelineScheduler-muted"> · {job.timezone}</span>
        )}
      </div>
      <div className="jp-PipelineScheduler-jobLine">
        <span className="jp-PipelineScheduler-muted">{trans.__('Next:')} </span>
        <span title={next ?? ''} data-testid="job-next">
          {nextText}
        </span>
      </div>
      <div className="jp-PipelineScheduler-jobLine">
        <span className="jp-PipelineScheduler-muted">{trans.__('Last:')} </span>
        {last ? (
          <button
            type="button"
            className="jp-PipelineScheduler-linkButton"
            onClick={() => controller.openRun(last.id)}
            aria-label={trans.__('Open the last run of "%1"', job.name)}
            data-testid="job-last-run"
          >
            <StatusBadge run={last} trans={trans} />
            <span className="jp-PipelineScheduler-muted">
              {' '}
              {formatRelative(last.finished_at ?? last.started_at, trans, Math.max(now, Date.now()))}
              {last.duration !== null && last.duration !== undefined
                ? ` · ${formatDuration(last.duration, trans)}`
                : ''}
            </span>
          </button>
        ) : (
          <span className="jp-PipelineScheduler-muted">{trans.__('never run')}</span>
        )}
      </div>
      <div className="jp-PipelineScheduler-actions" role="toolbar" aria-label={trans.__('Actions of "%1"', job.name)}>
        <IconButton
          icon={runIcon}
          label={trans.__('Run "%1" now', job.name)}
          disabled={busy}
          testId="run-now"
          onClick={() => act(() => controller.runNow(job))}
        />
        <IconButton
          icon={editIcon}
          label={trans.__('Edit "%1"', job.name)}
          testId="edit"
          onClick={() => controller.editJob(job)}
        />
        <IconButton
          icon={job.paused ? resumeIcon : pauseIcon}
          label={job.paused ? trans.__('Resume "%1"', job.name) : trans.__('Pause "%1"', job.name)}
          disabled={busy}
          className={job.paused ? 'jp-mod-resume' : ''}
          testId={job.paused ? 'resume' : 'pause'}
          onClick={() => act(() => controller.togglePause(job))}
        />
        <IconButton
          icon={copyIcon}
          label={trans.__('Duplicate "%1"', job.name)}
          testId="duplicate"
          onClick={() => controller.duplicateJob(job)}
        />
        <IconButton
          icon={listIcon}
          label={trans.__('Runs of "%1"', job.name)}
          testId="runs"
          onClick={() => controller.showRuns(job.id)}
        />
        <IconButton
          icon={deleteIcon}
          label={trans.__('Delete "%1"', job.name)}
          disabled={busy}
          className="jp-mod-danger"
          testId="delete"
          onClick={() => act(() => controller.deleteJob(job))}
        />
      </div>
    </div>
  );
}
