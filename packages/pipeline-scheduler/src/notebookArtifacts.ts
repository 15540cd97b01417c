/**
 * The commands that open a notebook run's artifacts: the executed notebook,
 * read-only in the main area, and the HTML export, in a new browser tab.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import * as nbformat from '@jupyterlab/nbformat';
import {
  NotebookModel,
  NotebookPanel,
  StaticNotebook
} from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { notebookIcon } from '@jupyterlab/ui-components';

import { SchedulerAPI } from './api';
import { artifactUrl, NotebookCommandIDs } from './notebookJobs';
import { PLUGIN_ID, TRANSLATION_DOMAIN } from './tokens';

/**
 * Opens a run's executed notebook read-only in the main area: the document
 * rendered by JupyterLab's own notebook widget, untrusted (no script of its
 * outputs runs), every cell read-only, no kernel.
 */
export const notebookArtifactsPlugin: JupyterFrontEndPlugin<void> = {
  id: `${PLUGIN_ID.split(':')[0]}:notebook-artifacts`,
  description: 'Opens the executed notebooks and HTML exports of notebook runs.',
  autoStart: true,
  requires: [IRenderMimeRegistry, IEditorServices],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    editorServices: IEditorServices,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const api = new SchedulerAPI({ serverSettings: app.serviceManager.serverSettings, translator: translator ?? undefined });
    const contentFactory = new NotebookPanel.ContentFactory({
      editorFactory: editorServices.factoryService.newInlineEditor
    });
    app.commands.addCommand(NotebookCommandIDs.openExecuted, {
      label: trans.__('Open executed notebook'),
      execute: async args => {
        const runId = Number(args.runId);
        const name = String(args.name);
        const id = `pipeline-scheduler-executed-${runId}-${name}`;
        const open = Array.from(app.shell.widgets('main')).find(widget => widget.id === id);
        if (open) {
          app.shell.activateById(id);
          return;
        }
        const document = await api.request<nbformat.INotebookContent>(
          `runs/${runId}/artifacts/${encodeURIComponent(name)}`
        );
        const model = new NotebookModel();
        model.fromJSON(document);
        const content = new StaticNotebook({
          rendermime,
          contentFactory,
          mimeTypeService: editorServices.mimeTypeService,
          translator: translator ?? undefined
        });
        content.model = model;
        for (const cell of content.widgets) {
          cell.readOnly = true;
        }
        const widget = new MainAreaWidget({ content });
        widget.id = id;
        widget.title.label = trans.__('%1 (run %2, read-only)', name, runId);
        widget.title.caption = trans.__('%1 as run %2 left it (read-only, not trusted: no script of its outputs runs)', name, runId);
        widget.title.icon = notebookIcon;
        widget.title.closable = true;
        widget.disposed.connect(() => model.dispose());
        app.shell.add(widget, 'main');
        app.shell.activateById(id);
      }
    });
    app.commands.addCommand(NotebookCommandIDs.openHtml, {
      label: trans.__('Open HTML'),
      execute: args => {
        window.open(artifactUrl(api.serverSettings, Number(args.runId), String(args.name)), '_blank', 'noopener');
      }
    });
  }
};
