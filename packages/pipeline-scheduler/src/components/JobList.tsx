import * as React from 'react';

import { TranslationBundle } from '@jupyterlab/translation';
import {
  addIcon,
  editIcon,
  ellipsesIcon,
  fileIcon,
  jsonIcon,
  notebookIcon,
  pythonIcon,
  refreshIcon,
  runIcon,
  searchIcon,
  yamlIcon
} from '@jupyterlab/ui-components';

import type { SchedulerController } from '../controller';
import { jobWords } from '../describe';
import { filterJobs, isBroken, JobSort, JobStatusFilter } from '../filters';
import { formatDateTime, formatDuration, splitPath } from '../format';
import { pipelineIcon } from '../icons';
import { plainError } from '../messages';
import { isCodeStale } from '../pipelineSaves';
import { IJob, IJobSummary } from '../tokens';
import { ChoiceSelect, IconButton, RelativeTime, StatusBadge, useNow, useSignal } from './common';
import { VirtualList } from './VirtualList';

/** Height of a job card, in pixels (the list is virtualized). */
export const JOB_ROW_HEIGHT = 80;

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

/** The icon of a job's kind: notebook, Amphi pipeline, Python, runner config. */
export function kindIcon(job: Pick<IJob, 'pipeline_path' | 'kind'>): typeof fileIcon {
  const path = String(job.pipeline_path ?? '').toLowerCase();
  if (path.endsWith('.ipynb') || job.kind === 'notebook') {
    return notebookIcon;
  }
  if (path.endsWith('.ampln')) {
    return pipelineIcon;
  }
  if (path.endsWith('.py') || job.kind === 'python_code' || job.kind === 'python_file') {
    return pythonIcon;
  }
  if (path.endsWith('.json')) {
    return jsonIcon;
  }
  if (path.endsWith('.yaml') || path.endsWith('.yml')) {
    return yamlIcon;
  }
  return fileIcon;
}

/** A path elided in the middle: its folders shrink first, its file name stays in sight. */
export function PathText(props: { path: string; testid?: string }): JSX.Element {
  const { dir, base } = splitPath(props.path);
  return (
    <span className="jp-PipelineScheduler-path" title={props.path} data-testid={props.testid}>
      {dir && <span className="jp-PipelineScheduler-pathDir">{dir}</span>}
      <span className="jp-PipelineScheduler-pathBase">{base}</span>
    </span>
  );
}

/**
 * One job of the list (a card of fixed height: see {@link JOB_ROW_HEIGHT}):
 * its name and main actions (run now, edit, more: a menu, also on right
 * click), its file, its schedule in the server's words with its zone, and
 * its next and last runs.
 */
function JobCard(props: {
  job: IJobSummary;
  controller: SchedulerController;
  trans: TranslationBundle;
  now: number;
  highlighted: boolean;
}): JSX.Element {
  const { job, controller, trans, now } = props;
  const [busy, setBusy] = React.useState(false);
  const act = (action: () => Promise<unknown>): void => {
    setBusy(true);
    void action().finally(() => setBusy(false));
  };
  const { words, zone } = jobWords(job);
  const Icon = kindIcon(job);
  const last = job.last_run;
  const next = job.next_run_time;
  const broken = isBroken(job) ? plainError(String(job.broken)) : null;
  const path = typeof job.pipeline_path === 'string' ? job.pipeline_path : '';
  const name = job.name || job.id;
  let nextNode: React.ReactNode;
  if (job.paused) {
    nextNode = trans.__('paused');
  } else if (broken && !next) {
    nextNode = trans.__('none until the job is fixed');
  } else if (next) {
    nextNode = <RelativeTime iso={next} trans={trans} now={now} timezone={job.timezone} />;
  } else if (job.schedule_type === 'trigger') {
    nextNode = trans.__('after other jobs');
  } else if (job.schedule_type === 'manual') {
    nextNode = trans.__('when started');
  } else {
    nextNode = trans.__('none');
  }
  const openMenu = (event: React.MouseEvent, atPointer: boolean): void => {
    event.preventDefault();
    event.stopPropagation();
    const box = (event.currentTarget as HTMLElement).getBoundingClientRect();
    controller.openJobMenu(
      job,
      atPointer ? event.clientX : box.left,
      atPointer ? event.clientY : box.bottom
    );
  };
  return (
    <div
      className={`jp-PipelineScheduler-job${job.paused ? ' jp-mod-paused' : ''}${broken ? ' jp-mod-broken' : ''}${props.highlighted ? ' jp-mod-highlighted' : ''}`}
      data-job-id={job.id}
      data-job-name={job.name}
      data-paused={job.paused ? 'true' : 'false'}
      data-broken={broken ? 'true' : 'false'}
      data-testid="job"
      onContextMenu={event => openMenu(event, true)}
    >
      <div className="jp-PipelineScheduler-jobTop">
        <span className="jp-PipelineScheduler-jobName" title={name} data-testid="job-name">
          {name}
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
        {last && (
          <button
            type="button"
            className="jp-PipelineScheduler-linkButton jp-PipelineScheduler-lastRun"
            onClick={() => controller.openRun(last.id, { jobId: job.id })}
            aria-label={trans.__('Open the last run of "%1"', name)}
            data-testid="job-last-run"
          >
            <StatusBadge run={last} trans={trans} />
          </button>
        )}
        {job.paused && (
          <span
            className="jp-PipelineScheduler-pill"
            title={trans.__('Paused: the job keeps its schedule but does not run until resumed.')}
            data-testid="paused-badge"
          >
            {trans.__('paused')}
          </span>
        )}
        <div
          className="jp-PipelineScheduler-actions"
          role="toolbar"
          aria-label={trans.__('Actions of "%1"', name)}
        >
          <IconButton
            icon={runIcon}
            label={trans.__('Run "%1" now', name)}
            text={trans.__('Run')}
            showLabel
            disabled={busy}
            testId="run-now"
            onClick={() => act(() => controller.runNow(job))}
          />
          <IconButton
            icon={editIcon}
            label={trans.__('Edit "%1"', name)}
            text={trans.__('Edit')}
            showLabel
            testId="edit"
            onClick={() => void controller.editJob(job)}
          />
          <IconButton
            icon={ellipsesIcon}
            label={trans.__('More actions on "%1": pause or resume, duplicate, runs, delete', name)}
            testId="more"
            attributes={{ 'aria-haspopup': 'menu' }}
            onClick={event => openMenu(event, false)}
          />
        </div>
      </div>
      {broken ? (
        // The reason takes the file's line (the card has a fixed height); the
        // full text is in the title and in the dialog the line opens.
        <button
          type="button"
          className="jp-PipelineScheduler-jobLine jp-PipelineScheduler-brokenReason"
          title={path ? `${broken}\n${trans.__('File: %1', path)}` : broken}
          onClick={() => void controller.explainBroken(job)}
          aria-label={trans.__('Why "%1" is broken: %2', name, broken)}
          data-testid="broken-reason"
        >
          {broken}
        </button>
      ) : (
        <div className="jp-PipelineScheduler-jobLine jp-PipelineScheduler-muted" data-testid="job-path">
          <Icon.react tag="span" className="jp-PipelineScheduler-kindIcon" />
          {path ? <PathText path={path} /> : trans.__('(inline code)')}
          {isCodeStale(job) && (
            <StaleCode
              job={job}
              controller={controller}
              trans={trans}
              busy={busy}
              onRegenerate={() => act(() => controller.regenerateJob(job))}
            />
          )}
        </div>
      )}
      <div
        className="jp-PipelineScheduler-jobLine jp-PipelineScheduler-schedule"
        title={zone ? `${words} (${zone})` : words}
        data-testid="job-trigger"
      >
        <span className="jp-PipelineScheduler-words">{words}</span>
        {zone && (
          <span className="jp-PipelineScheduler-zone jp-PipelineScheduler-muted" data-testid="job-zone">
            {' · '}
            {zone}
          </span>
        )}
      </div>
      <div className="jp-PipelineScheduler-jobLine jp-PipelineScheduler-jobStatus">
        <span className="jp-PipelineScheduler-next">
          <span className="jp-PipelineScheduler-muted">{trans.__('Next')} </span>
          <span data-testid="job-next">{nextNode}</span>
        </span>
        <span className="jp-PipelineScheduler-last">
          <span className="jp-PipelineScheduler-muted">{trans.__('Last')} </span>
          {last ? (
            <>
              <RelativeTime iso={last.finished_at ?? last.started_at} trans={trans} now={now} />
              {last.duration !== null && last.duration !== undefined && (
                <span className="jp-PipelineScheduler-muted">
                  {' · '}
                  {formatDuration(last.duration, trans)}
                </span>
              )}
            </>
          ) : (
            <span className="jp-PipelineScheduler-muted">{trans.__('never run')}</span>
          )}
        </span>
      </div>
    </div>
  );
}

/**
 * The mark of a job whose pipeline changed since its code was generated,
 * and the one-click action that generates it again.
 */
function StaleCode(props: {
  job: IJobSummary;
  controller: SchedulerController;
  trans: TranslationBundle;
  busy: boolean;
  onRegenerate: () => void;
}): JSX.Element {
  const { job, controller, trans } = props;
  const generated = formatDateTime(String(job.code_generated_at ?? ''), { seconds: true });
  const canGenerate = controller.canGenerateCode;
  const help = canGenerate
    ? trans.__('Regenerate the code of "%1" from %2', job.name, String(job.pipeline_path))
    : trans.__('Regenerating needs the Amphi pipeline editor, which is not available');
  return (
    <span className="jp-PipelineScheduler-staleCode" data-testid="code-stale">
      <span
        className="jp-PipelineScheduler-badge jp-PipelineScheduler-badge-stale"
        title={trans.__(
          'The pipeline changed since the code of this job was generated (%1): its runs still run the old code.',
          generated
        )}
      >
        {trans.__('code out of date')}
      </span>
      <button
        type="button"
        className="jp-PipelineScheduler-linkButton"
        disabled={props.busy || !canGenerate}
        title={help}
        aria-label={help}
        onClick={props.onRegenerate}
        data-testid="regenerate"
      >
        <refreshIcon.react tag="span" className="jp-PipelineScheduler-kindIcon" />
        <span className="jp-PipelineScheduler-buttonLabel">{trans.__('Regenerate')}</span>
      </button>
    </span>
  );
}
