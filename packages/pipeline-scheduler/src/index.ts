import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { SchedulerAPI } from './api';
import { schedulerIcon } from './icons';
import {
  CommandIDs,
  DEFAULT_SETTINGS,
  PANEL_ID,
  PLUGIN_ID,
  TRANSLATION_DOMAIN
} from './tokens';
import { SchedulerPanel } from './widgets/SchedulerPanel';

/** Rank of the panel in the left sidebar. */
const PANEL_RANK = 900;

/**
 * The pipeline scheduler panel and its `pipeline-scheduler:open` command.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'A left-sidebar panel listing the scheduled Amphi pipelines.',
  autoStart: true,
  requires: [ICommandPalette],
  optional: [ILayoutRestorer, ITranslator, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null
  ): void => {
    translator = translator ?? nullTranslator;
    const trans = translator.load(TRANSLATION_DOMAIN);

    const api = new SchedulerAPI({
      serverSettings: app.serviceManager.serverSettings,
      translator
    });
    const panel = new SchedulerPanel({
      api,
      translator,
      refreshInterval: DEFAULT_SETTINGS.refreshInterval
    });
    app.shell.add(panel, 'left', { rank: PANEL_RANK });
    if (restorer) {
      restorer.add(panel, PANEL_ID);
    }

    app.commands.addCommand(CommandIDs.open, {
      label: trans.__('Pipeline Scheduler'),
      caption: trans.__('Open the Pipeline Scheduler panel'),
      icon: args => (args['isPalette'] ? undefined : schedulerIcon),
      execute: () => {
        if (!panel.isAttached) {
          app.shell.add(panel, 'left', { rank: PANEL_RANK });
        }
        app.shell.activateById(panel.id);
      }
    });
    palette.addItem({ command: CommandIDs.open, category: trans.__('Amphi') });

    if (settingRegistry) {
      Promise.all([settingRegistry.load(PLUGIN_ID), app.restored])
        .then(([settings]) => {
          const apply = (): void => {
            panel.refreshInterval = settings.get('refreshInterval')
              .composite as number;
          };
          apply();
          settings.changed.connect(apply);
          if (settings.get('openAtStartup').composite === true) {
            app.shell.activateById(panel.id);
          }
        })
        .catch(reason => {
          console.error(`Failed to load the settings of ${PLUGIN_ID}.`, reason);
        });
    }
  }
};

export default plugin;
