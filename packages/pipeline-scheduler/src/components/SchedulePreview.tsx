import * as React from 'react';

import { TranslationBundle } from '@jupyterlab/translation';

import { displayZone, nameJobs, splitZone } from '../describe';
import { formatDateTime, formatRelative } from '../format';
import type { DateType, ScheduleType } from '../tokens';
import type { IPreviewState } from './JobForm';

/** The kinds of schedule the form offers, as one choice. */
export type ScheduleKind = DateType | Exclude<ScheduleType, 'date'>;

/**
 * The schedule in the server's words and its next fire times (both from
 * `POST triggers/preview`). A refusal about a field is shown on that field,
 * not here.
 */
export function SchedulePreview(props: {
  kind: ScheduleKind;
  preview: IPreviewState;
  /** Job names by id (the words of a trigger name jobs by id). */
  names: ReadonlyMap<string, string>;
  trans: TranslationBundle;
}): JSX.Element {
  const { kind, preview, names, trans } = props;
  const result = preview.result;
  const times = result?.next_run_times ?? [];
  const withSeconds = times.some(time => !/^:00(\.0+)?([+-]|Z|$)/.test(time.slice(16)));
  const words = result ? nameJobs(splitZone(result.trigger).words, names, false) : '';
  const zone = displayZone(result?.timezone);
  const now = Date.now();
  const clockless = kind === 'trigger' || kind === 'manual';
  return (
    <div
      className="jp-PipelineScheduler-preview"
      aria-live="polite"
      aria-busy={preview.loading || preview.stale}
      data-testid="preview"
    >
      <div className="jp-PipelineScheduler-previewWords" data-testid="schedule-words">
        {words || (preview.fieldError || preview.error ? '' : '\u00a0')}
      </div>
      {preview.error ? (
        <div className="jp-PipelineScheduler-previewError" data-testid="preview-error">
          {preview.error}
        </div>
      ) : clockless ? (
        <div className="jp-PipelineScheduler-muted" data-testid="preview-note">
          {kind === 'trigger'
            ? trans.__('No clock: the job runs when the jobs above finish as chosen.')
            : trans.__('No clock: the job runs only when started (Run now, the API or the command line).')}
        </div>
      ) : preview.fieldError ? (
        <div className="jp-PipelineScheduler-muted">
          {trans.__('The next runs show once the schedule is valid.')}
        </div>
      ) : result ? (
        <>
          <div className="jp-PipelineScheduler-previewTitle">
            {times.length
              ? trans.__('Next runs (%1):', zone)
              : trans.__('This schedule does not fire again.')}
          </div>
          <ol className="jp-PipelineScheduler-previewTimes" data-testid="preview-times">
            {times.map(time => (
              <li key={time} title={time}>
                <span className="jp-PipelineScheduler-previewTime">
                  {formatDateTime(time, { timezone: result.timezone, seconds: withSeconds })}
                </span>{' '}
                <span className="jp-PipelineScheduler-muted">{formatRelative(time, trans, now)}</span>
              </li>
            ))}
          </ol>
        </>
      ) : (
        <div className="jp-PipelineScheduler-muted">
          {preview.loading ? trans.__('Computing the next runs…') : ''}
        </div>
      )}
    </div>
  );
}
