/**
 * The job a notebook cell becomes ("Schedule this cell…"): kept apart from
 * the plugin so that it is tested without loading the notebook packages.
 */

/** What the job form is prefilled with for a cell. */
export interface ICellJob {
  /** The cell's code, the notebook named on its first line (as `%%schedule` does). */
  code: string;
  name: string;
  /** The notebook's folder: the cell runs where it ran in the notebook. */
  cwd: string;
}

/** A first `%%schedule …` line belongs to the magic, not to the job's code. */
const MAGIC_LINE = /^%%schedule\b[^\n]*(\n|$)/;

/** The job a cell becomes: its code, a name from the notebook and the cell's number, its folder. */
export function cellJob(source: string, notebookPath: string, cellIndex: number): ICellJob {
  const slash = notebookPath.lastIndexOf('/');
  const stem = notebookPath.slice(slash + 1).replace(/\.ipynb$/i, '') || 'notebook';
  const body = source.replace(MAGIC_LINE, '');
  return {
    code: `# from ${notebookPath}, cell ${cellIndex + 1}\n${body.endsWith('\n') ? body : `${body}\n`}`,
    name: `${stem}-cell-${cellIndex + 1}`,
    cwd: slash > 0 ? notebookPath.slice(0, slash) : ''
  };
}

/** Whether a cell has code to schedule (a code cell with more than blanks and the magic's line). */
export function isSchedulable(cellType: string, source: string): boolean {
  return cellType === 'code' && source.replace(MAGIC_LINE, '').trim() !== '';
}
