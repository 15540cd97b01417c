import type { Contents } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

import {
  isCodeStale,
  jobsOfPipeline,
  PipelineSaves,
  RegenerationQueue,
  savedPipeline
} from '../src/pipelineSaves';
import { job } from './fixtures';

function change(type: Contents.IChangedArgs['type'], path: string | null): Contents.IChangedArgs {
  return {
    type,
    oldValue: null,
    newValue: path === null ? null : ({ path } as Partial<Contents.IModel>)
  };
}

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>(resolve => (open = resolve));
  return { promise, open };
}

const tick = () => new Promise(resolve => setTimeout(resolve, 0));

describe('savedPipeline', () => {
  it('names the .ampln file a save wrote, and nothing else', () => {
    expect(savedPipeline(change('save', 'etl/sales.ampln'))).toBe('etl/sales.ampln');
    expect(savedPipeline(change('save', './etl/Sales.AMPLN'))).toBe('etl/Sales.AMPLN');
    expect(savedPipeline(change('save', 'etl/load.py'))).toBeNull();
    expect(savedPipeline(change('rename', 'etl/sales.ampln'))).toBeNull();
    expect(savedPipeline(change('delete', null))).toBeNull();
  });
});

describe('jobsOfPipeline', () => {
  it('finds the jobs that run code generated from that pipeline', () => {
    const jobs = [
      job('a', { kind: 'python_code', pipeline_path: 'etl/sales.ampln' }),
      job('b', { kind: 'python_code', pipeline_path: './etl/sales.ampln' }),
      job('c', { kind: 'python_code', pipeline_path: 'other/sales.ampln' }),
      job('d', { kind: 'python_file', pipeline_path: 'etl/sales.py' }),
      job('e', { kind: 'python_code', pipeline_path: null })
    ];
    expect(jobsOfPipeline(jobs, 'etl/sales.ampln').map(item => item.id)).toEqual(['a', 'b']);
    expect(jobsOfPipeline(jobs, 'nowhere.ampln')).toEqual([]);
  });
});

describe('isCodeStale', () => {
  it('follows what the server says', () => {
    expect(isCodeStale(job('a', { code_stale: true }))).toBe(true);
    expect(isCodeStale(job('a', { code_stale: false }))).toBe(false);
    expect(isCodeStale(job('a'))).toBe(false);
  });
});

describe('RegenerationQueue', () => {
  it('folds the saves made during a regeneration into one more', async () => {
    const started: string[] = [];
    const gates = [gate(), gate()];
    const queue = new RegenerationQueue(async path => {
      started.push(path);
      await gates[started.length - 1].promise;
    });
    const first = queue.request('a.ampln');
    await tick();
    const during = [1, 2, 3, 4].map(() => queue.request('a.ampln'));
    expect(new Set(during).size).toBe(1);
    gates[0].open();
    await first;
    await tick();
    expect(started).toEqual(['a.ampln', 'a.ampln']);
    gates[1].open();
    await Promise.all(during);
    expect(started).toHaveLength(2);
  });

  it('runs pipelines independently and goes on after a failure', async () => {
    const done: string[] = [];
    const queue = new RegenerationQueue(async path => {
      if (path === 'bad.ampln' && !done.includes('failed once')) {
        done.push('failed once');
        throw new Error('no code');
      }
      done.push(path);
    });
    await expect(queue.request('bad.ampln')).rejects.toThrow('no code');
    await Promise.all([queue.request('bad.ampln'), queue.request('good.ampln')]);
    expect(done).toEqual(['failed once', 'bad.ampln', 'good.ampln']);
  });
});

describe('PipelineSaves', () => {
  it('regenerates on pipeline saves only while code can be generated', async () => {
    const owner = {} as Contents.IManager;
    const fileChanged = new Signal<Contents.IManager, Contents.IChangedArgs>(owner);
    let editorPresent = false;
    const regenerated: string[] = [];
    const saves = new PipelineSaves({
      contents: { fileChanged } as unknown as Contents.IManager,
      canRegenerate: () => editorPresent,
      regenerate: async path => {
        regenerated.push(path);
      }
    });
    fileChanged.emit(change('save', 'etl/sales.ampln'));
    editorPresent = true;
    fileChanged.emit(change('save', 'etl/load.py'));
    fileChanged.emit(change('save', 'etl/sales.ampln'));
    await tick();
    expect(regenerated).toEqual(['etl/sales.ampln']);
    saves.dispose();
    fileChanged.emit(change('save', 'etl/sales.ampln'));
    await tick();
    expect(regenerated).toEqual(['etl/sales.ampln']);
  });
});
