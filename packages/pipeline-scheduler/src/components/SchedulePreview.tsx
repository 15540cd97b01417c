import * as React from 'react';

import { TranslationBundle } from '@jupyterlab/translation';

import { formatDate } from '../format';
import type { DateType, IPreview, ScheduleType } from '../tokens';

/** The kinds of schedule the form offers, as one choice. */
export type ScheduleKind = DateType | Exclude<ScheduleType, 'date'>;

/** The next fire times of the schedule being edited, as asked of the server. */
export interface IPreviewState {
  loading: boolean;
  result: IPreview | null;
  error: string | null;
}

/** The schedule in words and its next fire times. */
export function SchedulePreview(props: {
  kind: ScheduleKind;
  words: string | null;
  preview: IPreviewState;
  stale: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { kind, words, preview, stale, trans } = props;
  const times = preview.result?.next_run_times ?? [];
  const withSeconds = times.some(time => !/^:00(\.0+)?([+-]|Z|$)/.test(time.slice(16)));
  const options: Intl.DateTimeFormatOptions = {
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {})
  };
  return (
    <div
      className="jp-PipelineScheduler-preview"
      aria-live="polite"
      aria-busy={preview.loading || stale}
      data-testid="preview"
    >
      {words && (
        <div className="jp-PipelineScheduler-previewWords" data-testid="schedule-words">
          {words}
        </div>
      )}
      {kind === 'trigger' ? (
        <div className="jp-PipelineScheduler-muted">
          {trans.__('No clock: the job runs when the conditions above are met.')}
        </div>
      ) : preview.error ? (
        <div className="jp-PipelineScheduler-previewError" data-testid="preview-error">
          {preview.error}
        </div>
      ) : preview.result ? (
        <>
          <div className="jp-PipelineScheduler-previewTitle">
            {times.length
              ? trans.__('Next runs (%1):', preview.result.timezone)
              : trans.__('This schedule does not fire again.')}
          </div>
          <ol className="jp-PipelineScheduler-previewTimes" data-testid="preview-times">
            {times.map(time => (
              <li key={time} title={time}>
                {formatDate(time, preview.result!.timezone, options)}
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
