import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IToolbarWidgetRegistry } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import type { IDocumentWidget } from '@jupyterlab/docregistry';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  copyIcon,
  deleteIcon,
  editIcon,
  historyIcon,
  pauseIcon,
  runIcon
} from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { SchedulerAPI, SchedulerError } from './api';
import { cellSchedulePlugin } from './cellSchedule';
import { SchedulerController } from './controller';
import { resumeIcon, schedulerIcon } from './icons';
import { SchedulerModel } from './model';
import { notebookArtifactsPlugin } from './notebookArtifacts';
import { PipelineSaves } from './pipelineSaves';
import { chosenServerSettings } from './serverSettings';
import {
  CommandIDs,
  DEFAULT_SETTINGS,
  isSupportedPath,
  PANEL_ID,
  PLUGIN_ID,
  TRANSLATION_DOMAIN
} from './tokens';
import { actionButton, IPanelState, SchedulerPanel } from './widgets/SchedulerPanel';

/** Rank of the panel in the left sidebar. */
const PANEL_RANK = 900;

/** Key of the panel state in the state database. */
const STATE_KEY = `${PLUGIN_ID}:panel`;

/**
 * The pipeline scheduler: a left-sidebar panel, the job form and run views,
 * commands, a Launcher card, a file-browser "Schedule…" menu item and a
 * "Schedule" button in the notebook toolbar.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Schedule Python scripts, notebooks and Amphi pipelines, and follow their runs.',
  autoStart: true,
  optional: [
    ICommandPalette,
    ILayoutRestorer,
    ITranslator,
    ISettingRegistry,
    ILauncher,
    IDocumentManager,
    IFileBrowserFactory,
    IStateDB,
    IToolbarWidgetRegistry
  ],
  activate: async (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    launcher: ILauncher | null,
    docManager: IDocumentManager | null,
    browserFactory: IFileBrowserFactory | null,
    stateDB: IStateDB | null,
    toolbarRegistry: IToolbarWidgetRegistry | null
  ): Promise<void> => {
    translator = translator ?? nullTranslator;
    const trans = translator.load(TRANSLATION_DOMAIN);

    const api = new SchedulerAPI({
      serverSettings: await chosenServerSettings(
        app.serviceManager.serverSettings,
        settingRegistry,
        PLUGIN_ID
      ),
      translator
    });
    const model = new SchedulerModel({
      api,
      refreshInterval: DEFAULT_SETTINGS.refreshInterval
    });
    const controller = new SchedulerController({
      app,
      api,
      model,
      translator,
      docManager
    });
    const panel = new SchedulerPanel({ controller });
    app.shell.add(panel, 'left', { rank: PANEL_RANK });
    if (restorer) {
      restorer.add(panel, PANEL_ID);
    }

    const showPanel = (): void => {
      if (!panel.isAttached) {
        app.shell.add(panel, 'left', { rank: PANEL_RANK });
      }
      app.shell.activateById(panel.id);
    };
    controller.showRunsRequested.connect(showPanel);
    controller.showJobRequested.connect(showPanel);

    // Saving an .ampln pipeline regenerates the code of the jobs that run it (with the Amphi editor).
    new PipelineSaves({
      contents: app.serviceManager.contents,
      canRegenerate: () => controller.canGenerateCode,
      regenerate: path => controller.pipelineSaved(path)
    });

    // Probe the server once: a missing server extension is said plainly.
    void api.health().catch(reason => {
      if (reason instanceof SchedulerError && reason.status === 404) {
        console.warn(
          'Pipeline Scheduler: the server extension was not found',
          reason
        );
        void model.refresh();
      }
    });

    // -- commands --------------------------------------------------------------
    const { commands } = app;

    commands.addCommand(CommandIDs.open, {
      label: trans.__('Pipeline Scheduler'),
      caption: trans.__('Open the Pipeline Scheduler panel'),
      icon: args => (args['isPalette'] ? undefined : schedulerIcon),
      execute: () => showPanel()
    });

    commands.addCommand(CommandIDs.newJob, {
      label: args =>
        args['isLauncher']
          ? trans.__('Scheduled Job')
          : trans.__('New scheduled job'),
      caption: trans.__(
        'Schedule a Python script, a notebook or an Amphi pipeline'
      ),
      icon: args => (args['isPalette'] ? undefined : schedulerIcon),
      execute: args => {
        const text = (key: string): string | undefined =>
          typeof args[key] === 'string' ? (args[key] as string) : undefined;
        // `code`, `name` and `cwd`: a notebook cell's job ("Schedule this cell…").
        return controller.newJob(text('path'), {
          code: text('code'),
          name: text('name'),
          cwd: text('cwd')
        });
      }
    });

    const selectedFile = (): string | null => {
      const browser = browserFactory?.tracker.currentWidget;
      if (!browser) {
        return null;
      }
      const items = Array.from(browser.selectedItems());
      if (items.length !== 1 || items[0].type === 'directory') {
        return null;
      }
      return items[0].path;
    };

    commands.addCommand(CommandIDs.scheduleFile, {
      label: trans.__('Schedule…'),
      caption: trans.__('Run this file on a schedule'),
      icon: schedulerIcon,
      isVisible: () => {
        const path = selectedFile();
        return path !== null && isSupportedPath(path);
      },
      execute: args => {
        const path =
          typeof args['path'] === 'string' ? args['path'] : selectedFile();
        if (path) {
          return controller.newJob(path);
        }
      }
    });

    const currentDocumentPath = (): string | null => {
      const widget = app.shell.currentWidget;
      if (!widget || !docManager) {
        return null;
      }
      const context = docManager.contextForWidget(widget);
      return context ? context.path : null;
    };

    commands.addCommand(CommandIDs.scheduleCurrent, {
      label: args => (args['isPalette'] ? trans.__('Schedule this document') : trans.__('Schedule')),
      caption: trans.__('Run this document on a schedule'),
      icon: args => (args['isPalette'] ? undefined : schedulerIcon),
      isEnabled: () => {
        const path = currentDocumentPath();
        return path !== null && isSupportedPath(path);
      },
      execute: () => {
        const path = currentDocumentPath();
        if (path) {
          return controller.newJob(path);
        }
      }
    });

    // The notebook toolbar's "Schedule" button (placed by `jupyter.lab.toolbars` in the schema):
    // a labelled button that schedules the notebook of its own panel.
    if (toolbarRegistry) {
      toolbarRegistry.addFactory('Notebook', 'pipeline-scheduler-schedule', widget =>
        actionButton({
          icon: schedulerIcon,
          label: trans.__('Schedule'),
          tooltip: trans.__('Run this notebook on a schedule'),
          onClick: () => {
            const context = (widget as IDocumentWidget).context;
            const path = context?.path ?? currentDocumentPath();
            if (path) {
              controller.newJob(path);
            }
          }
        })
      );
    }

    /** The job named by a command's `id` argument. */
    const jobOf = (args: ReadonlyPartialJSONObject) => model.job(String(args['id'] ?? ''));

    commands.addCommand(CommandIDs.runJob, {
      label: trans.__('Run now'),
      caption: trans.__('Start a run of this job now'),
      icon: runIcon,
      isEnabled: args => !!jobOf(args),
      execute: async args => {
        const job = jobOf(args);
        if (job) {
          await controller.runNow(job);
        }
      }
    });

    commands.addCommand(CommandIDs.togglePause, {
      label: args => (jobOf(args)?.paused ? trans.__('Resume') : trans.__('Pause')),
      caption: args =>
        jobOf(args)?.paused
          ? trans.__('Fire this job on its schedule again')
          : trans.__('Keep the schedule but do not fire until resumed'),
      icon: args => (jobOf(args)?.paused ? resumeIcon : pauseIcon),
      isEnabled: args => !!jobOf(args),
      execute: async args => {
        const job = jobOf(args);
        if (job) {
          await controller.togglePause(job);
        }
      }
    });

    commands.addCommand(CommandIDs.duplicateJob, {
      label: trans.__('Duplicate…'),
      caption: trans.__('A new job with the same settings'),
      icon: copyIcon,
      isEnabled: args => !!jobOf(args),
      execute: args => {
        const job = jobOf(args);
        if (job) {
          return controller.duplicateJob(job);
        }
      }
    });

    commands.addCommand(CommandIDs.deleteJob, {
      label: trans.__('Delete…'),
      caption: trans.__('Delete this job (its runs can be kept)'),
      icon: deleteIcon,
      isEnabled: args => !!jobOf(args),
      execute: async args => {
        const job = jobOf(args);
        if (job) {
          await controller.deleteJob(job);
        }
      }
    });

    commands.addCommand(CommandIDs.editJob, {
      label: args => (args['id'] !== undefined ? trans.__('Edit…') : trans.__('Edit scheduled job')),
      icon: args => (args['isPalette'] ? undefined : editIcon),
      execute: args => {
        const id = String(args['id'] ?? '');
        return controller.editJob(model.job(id) ?? { id, name: id });
      }
    });

    commands.addCommand(CommandIDs.openRun, {
      label: args =>
        args['id'] !== undefined
          ? trans.__('Open run #%1', String(args['id']))
          : trans.__('Open run'),
      execute: args => {
        const id = Number(args['id']);
        if (Number.isInteger(id) && id > 0) {
          return controller.openRun(id, {
            jobId: typeof args['jobId'] === 'string' ? args['jobId'] : null,
            pinned: args['pinned'] === true
          });
        }
      }
    });

    commands.addCommand(CommandIDs.showRuns, {
      label: args => (args['id'] !== undefined ? trans.__('Show runs') : trans.__('Show scheduled runs')),
      caption: args =>
        args['id'] !== undefined
          ? trans.__('Show the runs of this job in the panel')
          : trans.__('Show the runs of all scheduled jobs'),
      icon: args => (args['id'] !== undefined ? historyIcon : undefined),
      execute: args => {
        const id = typeof args['id'] === 'string' ? args['id'] : null;
        controller.showRuns(id);
      }
    });

    commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Reload scheduled jobs and runs'),
      execute: () => panel.refresh()
    });

    if (palette) {
      const category = trans.__('Amphi');
      for (const command of [
        CommandIDs.open,
        CommandIDs.newJob,
        CommandIDs.showRuns,
        CommandIDs.scheduleCurrent,
        CommandIDs.refresh
      ]) {
        palette.addItem({ command, category, args: { isPalette: true } });
      }
    }

    if (launcher) {
      launcher.add({
        command: CommandIDs.newJob,
        category: trans.__('Other'),
        rank: 90,
        args: { isLauncher: true }
      });
    }

    if (restorer) {
      // One tab per job (following its newest run), and the tabs pinned to a run.
      void restorer.restore(controller.runViewers, {
        command: CommandIDs.openRun,
        args: widget => ({
          id: widget.content.runId,
          jobId: widget.content.jobId,
          pinned: widget.content.pinned
        }),
        name: widget =>
          widget.content.pinned || !widget.content.jobId
            ? `run-${widget.content.runId}`
            : `job-${widget.content.jobId}`
      });
    }

    // -- panel state -----------------------------------------------------------
    if (stateDB) {
      void Promise.all([stateDB.fetch(STATE_KEY), app.restored]).then(
        ([saved]) => {
          panel.restoreState(saved as unknown as Partial<IPanelState>);
          let timer = 0;
          panel.stateChanged.connect((_, state) => {
            window.clearTimeout(timer);
            timer = window.setTimeout(() => {
              void stateDB.save(
                STATE_KEY,
                state as unknown as ReadonlyPartialJSONObject
              );
            }, 500);
          });
        },
        reason => console.warn('Pipeline Scheduler: no saved panel state', reason)
      );
    }

    // -- settings --------------------------------------------------------------
    if (settingRegistry) {
      Promise.all([settingRegistry.load(PLUGIN_ID), app.restored])
        .then(([settings]) => {
          const apply = (): void => {
            const value = <T>(key: string, fallback: T): T => {
              const composite = settings.get(key).composite;
              return composite === undefined || composite === null
                ? fallback
                : (composite as unknown as T);
            };
            controller.settings = {
              defaultTimezone: value('defaultTimezone', DEFAULT_SETTINGS.defaultTimezone),
              defaultTimeout: value('defaultTimeout', DEFAULT_SETTINGS.defaultTimeout),
              openAtStartup: value('openAtStartup', DEFAULT_SETTINGS.openAtStartup),
              refreshInterval: value('refreshInterval', DEFAULT_SETTINGS.refreshInterval)
            };
            model.refreshInterval = controller.settings.refreshInterval;
          };
          apply();
          settings.changed.connect(apply);
          if (controller.settings.openAtStartup) {
            showPanel();
          }
        })
        .catch(reason => {
          console.error(`Failed to load the settings of ${PLUGIN_ID}.`, reason);
        });
    }
  }
};

export default [plugin, notebookArtifactsPlugin, cellSchedulePlugin];
