/**
 * "Schedule this cell…": the code of a notebook cell as a job of its own,
 * opened in the job form — from the cell's context menu, and the cell
 * toolbar's button (placed by `jupyter.lab.toolbars` in the schema).
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { cellJob, isSchedulable } from './cellJob';
import { schedulerIcon } from './icons';
import { CommandIDs, PLUGIN_ID, TRANSLATION_DOMAIN } from './tokens';

/** The command: the active cell of the current notebook, in a new job's form. */
export const SCHEDULE_CELL_COMMAND = 'pipeline-scheduler:schedule-cell';

export const cellSchedulePlugin: JupyterFrontEndPlugin<void> = {
  id: `${PLUGIN_ID.split(':')[0]}:cell-schedule`,
  description: 'Schedule the code of a notebook cell as a job of its own.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const activeCell = () => {
      const panel = tracker.currentWidget;
      const cell = panel?.content.activeCell;
      if (!panel || !cell) {
        return null;
      }
      return {
        path: panel.context.path,
        type: cell.model.type,
        source: cell.model.sharedModel.getSource(),
        index: panel.content.activeCellIndex
      };
    };
    app.commands.addCommand(SCHEDULE_CELL_COMMAND, {
      label: args => (args['toolbar'] ? '' : trans.__('Schedule this cell…')), // the cell toolbar: its icon
      caption: trans.__('Run the code of this cell on a schedule, as a job of its own'),
      icon: schedulerIcon,
      isEnabled: () => {
        const cell = activeCell();
        return cell !== null && isSchedulable(cell.type, cell.source);
      },
      execute: () => {
        const cell = activeCell();
        if (cell && isSchedulable(cell.type, cell.source)) {
          const job = cellJob(cell.source, cell.path, cell.index);
          return app.commands.execute(CommandIDs.newJob, { ...job });
        }
      }
    });
    app.contextMenu.addItem({
      command: SCHEDULE_CELL_COMMAND,
      selector: '.jp-Notebook .jp-CodeCell',
      rank: 12
    });
  }
};
