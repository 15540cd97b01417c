import * as React from 'react';

import { TranslationBundle } from '@jupyterlab/translation';
import {
  addIcon,
  LabIcon,
  ReactWidget,
  refreshIcon,
  SidePanel,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { ErrorBoundary, useSignal } from '../components/common';
import { IJobListState, JobList } from '../components/JobList';
import { IRunListState, RunList } from '../components/RunList';
import type { SchedulerController } from '../controller';
import { schedulerIcon } from '../icons';
import { LiveState } from '../model';
import { PANEL_ID } from '../tokens';

/** The state of the panel kept across reloads. */
export interface IPanelState {
  tab: 'jobs' | 'runs';
  jobs: IJobListState;
  runs: IRunListState;
}

export const DEFAULT_PANEL_STATE: IPanelState = {
  tab: 'jobs',
  jobs: { search: '', status: 'all', sort: 'name' },
  runs: { jobId: '', status: '' }
};

/**
 * A JupyterLab toolbar button that runs an action (a plain button, never
 * left "pressed" as Lumino's toggling `ToolbarButton` is after a click),
 * its icon and label apart.
 */
export function actionButton(options: {
  icon: LabIcon;
  label?: string;
  tooltip: string;
  onClick: () => void;
  testid?: string;
}): Widget {
  const widget = ReactWidget.create(
    <ToolbarButtonComponent
      icon={options.icon}
      label={options.label}
      tooltip={options.tooltip}
      onClick={options.onClick}
      dataset={options.testid ? { testid: options.testid } : undefined}
    />
  );
  widget.addClass('jp-ToolbarButton');
  widget.addClass('jp-PipelineScheduler-toolbarButton');
  return widget;
}

/**
 * The left-sidebar panel: a toolbar (new job, refresh) and two tabs, the
 * jobs and the runs across jobs.
 */
export class SchedulerPanel extends SidePanel {
  constructor(options: SchedulerPanel.IOptions) {
    super({ content: new Panel(), translator: options.controller.translator });
    const controller = options.controller;
    const trans = controller.trans;
    this._controller = controller;
    this.id = PANEL_ID;
    this.addClass('jp-PipelineScheduler-panel');
    this.title.icon = schedulerIcon;
    this.title.caption = trans.__('Pipeline Scheduler');

    const heading = new Widget({ node: document.createElement('h2') });
    heading.node.textContent = trans.__('Pipeline Scheduler');
    heading.addClass('jp-PipelineScheduler-title');
    this.header.addWidget(heading);

    this.toolbar.addItem(
      'new-job',
      actionButton({
        icon: addIcon,
        label: trans.__('New job'),
        tooltip: trans.__('Schedule a new job'),
        onClick: () => {
          controller.newJob();
        },
        testid: 'new-job'
      })
    );
    this.toolbar.addItem(
      'refresh',
      actionButton({
        icon: refreshIcon,
        tooltip: trans.__('Reload the jobs and the runs'),
        onClick: () => void this.refresh(),
        testid: 'refresh'
      })
    );

    this._view = new SchedulerView(controller, this);
    this.addWidget(this._view);

    controller.showRunsRequested.connect((_, jobId) => {
      this.setState({ tab: 'runs', runs: { ...this._state.runs, jobId: jobId ?? '' } });
    });
    controller.showJobRequested.connect((_, jobId) => {
      const job = controller.model.job(jobId);
      const jobs = { ...this._state.jobs };
      if (job && !String(job.name ?? '').toLowerCase().includes(jobs.search.trim().toLowerCase())) {
        jobs.search = '';
      }
      jobs.status = 'all';
      this._highlight = jobId;
      this.setState({ tab: 'jobs', jobs });
    });
  }

  /** The panel state (tab, filters). */
  get state(): IPanelState {
    return this._state;
  }

  /** Emitted when the state changes (to save it). */
  get stateChanged(): ISignal<this, IPanelState> {
    return this._stateChanged;
  }

  /** The job to scroll to and highlight. */
  get highlight(): string | null {
    return this._highlight;
  }

  /** Changes each time the runs should be fetched again. */
  get runsReload(): number {
    return this._runsReload;
  }

  /** Reload the jobs, and the runs when the Runs tab shows. */
  refresh(): Promise<void> {
    if (this._state.tab === 'runs') {
      this._runsReload++;
      this._view.update();
    }
    return this._controller.model.refresh();
  }

  /** Change the state (partial). */
  setState(changes: Partial<IPanelState>): void {
    this._state = { ...this._state, ...changes };
    this._view.update();
    this._stateChanged.emit(this._state);
  }

  /** Restore a saved state. */
  restoreState(state: Partial<IPanelState> | null | undefined): void {
    if (!state || typeof state !== 'object') {
      return;
    }
    this._state = {
      tab: state.tab === 'runs' ? 'runs' : 'jobs',
      jobs: { ...DEFAULT_PANEL_STATE.jobs, ...(state.jobs ?? {}) },
      runs: { ...DEFAULT_PANEL_STATE.runs, ...(state.runs ?? {}) }
    };
    this._view.update();
  }

  /** Forget the highlighted job (after it was shown). */
  clearHighlight(): void {
    if (this._highlight !== null) {
      this._highlight = null;
      this._view.update();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._controller.model.start();
  }

  private _controller: SchedulerController;
  private _view: SchedulerView;
  private _state: IPanelState = DEFAULT_PANEL_STATE;
  private _highlight: string | null = null;
  private _runsReload = 0;
  private _stateChanged = new Signal<this, IPanelState>(this);
}

export namespace SchedulerPanel {
  export interface IOptions {
    controller: SchedulerController;
  }
}

/** The React part of the panel. */
class SchedulerView extends ReactWidget {
  constructor(
    private _controller: SchedulerController,
    private _panel: SchedulerPanel
  ) {
    super();
    this.addClass('jp-PipelineScheduler-view');
  }

  protected render(): JSX.Element {
    const controller = this._controller;
    const panel = this._panel;
    const state = panel.state;
    const trans = controller.trans;
    const highlight = panel.highlight;
    if (highlight) {
      window.setTimeout(() => panel.clearHighlight(), 2500);
    }
    return (
      <ErrorBoundary trans={trans}>
        <div className="jp-PipelineScheduler-tabs" role="tablist" aria-label={trans.__('Scheduler views')}>
          <Tab
            id="jobs"
            label={trans.__('Jobs')}
            selected={state.tab === 'jobs'}
            onSelect={() => panel.setState({ tab: 'jobs' })}
          />
          <Tab
            id="runs"
            label={trans.__('Runs')}
            selected={state.tab === 'runs'}
            onSelect={() => panel.setState({ tab: 'runs' })}
          />
          <LiveIndicator controller={controller} trans={trans} />
        </div>
        <div
          className="jp-PipelineScheduler-tabPanel"
          role="tabpanel"
          id={`jp-PipelineScheduler-tabpanel-${state.tab}`}
          aria-labelledby={`jp-PipelineScheduler-tab-${state.tab}`}
        >
          {state.tab === 'jobs' ? (
            <JobList
              controller={controller}
              state={state.jobs}
              highlight={highlight}
              onState={changes => panel.setState({ jobs: { ...state.jobs, ...changes } })}
            />
          ) : (
            <RunList
              controller={controller}
              reload={panel.runsReload}
              state={state.runs}
              onState={changes => panel.setState({ runs: { ...state.runs, ...changes } })}
            />
          )}
        </div>
      </ErrorBoundary>
    );
  }
}

function Tab(props: {
  id: string;
  label: string;
  selected: boolean;
  onSelect: () => void;
}): JSX.Element {
  return (
    <button
      type="button"
      role="tab"
      id={`jp-PipelineScheduler-tab-${props.id}`}
      aria-selected={props.selected}
      aria-controls={`jp-PipelineScheduler-tabpanel-${props.id}`}
      className={`jp-PipelineScheduler-tab${props.selected ? ' jp-mod-selected' : ''}`}
      onClick={props.onSelect}
      data-testid={`tab-${props.id}`}
    >
      {props.label}
    </button>
  );
}

/**
 * How the lists stay current, said only when it matters: nothing while
 * changes arrive as they happen (the data-state says "live" for tests and
 * assistive technology), "Connecting…", or how often the lists are reloaded
 * while the server's event stream is unavailable.
 */
function LiveIndicator(props: {
  controller: SchedulerController;
  trans: TranslationBundle;
}): JSX.Element {
  const { controller, trans } = props;
  useSignal(controller.model.changed);
  const state: LiveState = controller.model.liveState;
  const interval = controller.model.refreshInterval;
  const text =
    state === 'polling'
      ? interval > 0
        ? trans.__('Updates every %1 s', interval)
        : trans.__('Updates on reload')
      : state === 'connecting'
        ? trans.__('Connecting…')
        : '';
  const title =
    state === 'live'
      ? trans.__('Up to date: changes appear as they happen.')
      : state === 'polling'
        ? interval > 0
          ? trans.__(
              'Changes do not reach this page as they happen (the server cannot send them now): the lists are reloaded every %1 seconds.',
              interval
            )
          : trans.__('Changes do not reach this page as they happen: use the reload button.')
        : '';
  return (
    <span
      className={`jp-PipelineScheduler-live jp-mod-${state}`}
      title={title || undefined}
      aria-label={title || text || undefined}
      role="status"
      data-testid="live-state"
      data-state={state}
    >
      {text}
    </span>
  );
}
