import * as React from 'react';

import type { SchedulerController } from '../controller';
import { timezoneNames } from '../format';
import { fieldApplies, IJobFormState, IntervalUnit } from '../payload';
import { ConditionsEditor } from './ConditionsEditor';
import { ChoiceSelect } from './common';
import { DateTimeInput, Field, FormInput, FormSelect, IFormContext, InputField } from './formFields';
import type { IPreviewState } from './JobForm';
import { ScheduleKind, SchedulePreview } from './SchedulePreview';

function kindOf(state: IJobFormState): ScheduleKind {
  return state.scheduleType === 'date' ? state.dateType : state.scheduleType;
}

function kindChanges(kind: ScheduleKind): Partial<IJobFormState> {
  switch (kind) {
    case 'interval':
    case 'cron':
    case 'trigger':
    case 'manual':
      return { scheduleType: kind };
    default:
      return { scheduleType: 'date', dateType: kind };
  }
}

/**
 * The "When" section of the job form: the kind of schedule and its fields,
 * the time zone (for schedules with a clock), and the schedule in the
 * server's words with its next fire times.
 */
export function JobFormSchedule(props: {
  form: IFormContext;
  controller: SchedulerController;
  /** The job being edited, or null for a new job. */
  jobId: string | null;
  preview: IPreviewState;
}): JSX.Element {
  const { form, controller, jobId, preview } = props;
  const { state, trans, update } = form;
  const model = controller.model;

  const kind = kindOf(state);
  const zones = React.useMemo(() => timezoneNames(), []);
  const zoneOptions = zones.includes(state.timezone)
    ? zones
    : [state.timezone, ...zones];
  const otherJobs = model.jobs.filter(job => job.id !== jobId);

  // The date field of the `date` schedules: its label and help by kind.
  const dateLabels = {
    once: trans.__('Date and time'),
    daily: trans.__('Time of day'),
    weekly: trans.__('Weekday and time'),
    monthly: trans.__('Day and time'),
    every_x_days: ''
  };
  const dateHelps = {
    once: trans.__("In the job's time zone, on a 24-hour clock."),
    daily: trans.__('Runs every day at this time (the date itself is not used).'),
    weekly: trans.__('Runs every week on the weekday of this date, at this time.'),
    monthly: state.lastDayOfMonth
      ? trans.__('Runs on the last day of every month at this time, from this date on.')
      : trans.__('Runs every month on the day of this date, at this time.'),
    every_x_days: ''
  };
  // A monthly day that some months lack (29-31): those months are skipped.
  const monthDay = /^\d{4}-\d{2}-(\d{2})/.exec(state.runDate.trim());
  const skippedDay =
    kind === 'monthly' && !state.lastDayOfMonth && monthDay && Number(monthDay[1]) > 28
      ? Number(monthDay[1])
      : null;

  return (
    <fieldset className="jp-PipelineScheduler-section">
      <legend>{trans.__('When')}</legend>
      <Field form={form} field="scheduleType" label={trans.__('Schedule')}>
        <FormSelect
          form={form}
          field="scheduleType"
          value={kind}
          onValue={value => update(kindChanges(value as ScheduleKind), 'scheduleType')}
          testid="field-schedule"
          options={[
            ['once', trans.__('Once, at a date and time')],
            ['daily', trans.__('Every day')],
            ['weekly', trans.__('Every week')],
            ['monthly', trans.__('Every month')],
            ['every_x_days', trans.__('Every N days')],
            ['interval', trans.__('At an interval')],
            ['cron', trans.__('Cron expression')],
            ['trigger', trans.__('After other jobs')],
            ['manual', trans.__('Only when started (no schedule)')]
          ]}
        />
      </Field>

      {state.scheduleType === 'date' && state.dateType !== 'every_x_days' && (
        <Field form={form} field="runDate" label={dateLabels[state.dateType]} help={dateHelps[state.dateType]}>
          <DateTimeInput form={form} field="runDate" stateKey="runDate" testid="field-run-date" />
          {kind === 'monthly' && (
            <>
              <label className="jp-PipelineScheduler-checkbox jp-mod-option">
                <input
                  type="checkbox"
                  checked={state.lastDayOfMonth}
                  onChange={event =>
                    update({ lastDayOfMonth: event.target.checked }, 'runDate')
                  }
                  data-testid="field-last-day"
                />
                {trans.__('On the last day of each month')}
              </label>
              {skippedDay !== null && (
                <div
                  className="jp-PipelineScheduler-help jp-PipelineScheduler-warning"
                  data-testid="monthly-skip-hint"
                >
                  {trans.__('Months without day %1 are skipped.', skippedDay)}
                </div>
              )}
            </>
          )}
        </Field>
      )}

      {kind === 'every_x_days' && (
        <>
          <Field form={form} field="everyDays" label={trans.__('Every')}>
            <div className="jp-PipelineScheduler-row">
              <FormInput
                form={form}
                field="everyDays"
                type="number"
                step={1}
                testid="field-every-days"
              />
              <span>{trans.__('days')}</span>
            </div>
          </Field>
          <Field
            form={form}
            field="runDate"
            label={trans.__('Starting at')}
            help={trans.__('Optional: the first run, and the time of day of the next ones.')}
          >
            <DateTimeInput form={form} field="runDate" stateKey="runDate" testid="field-run-date" />
          </Field>
        </>
      )}

      {kind === 'interval' && (
        <>
          <Field form={form} field="interval" label={trans.__('Every')}>
            <div className="jp-PipelineScheduler-row">
              <FormInput
                form={form}
                field="interval"
                stateKey="intervalValue"
                type="number"
                step={1}
                testid="field-interval"
              />
              <ChoiceSelect
                value={state.intervalUnit}
                label={trans.__('Interval unit')}
                onValue={value => update({ intervalUnit: value as IntervalUnit }, 'interval')}
                testid="field-interval-unit"
                options={[
                  ['seconds', trans.__('seconds')],
                  ['minutes', trans.__('minutes')],
                  ['hours', trans.__('hours')],
                  ['days', trans.__('days')]
                ]}
              />
            </div>
          </Field>
          <Field
            form={form}
            field="intervalStart"
            label={trans.__('Starting at')}
            help={trans.__('Optional: empty starts counting now.')}
          >
            <DateTimeInput
              form={form}
              field="intervalStart"
              stateKey="intervalStart"
              testid="field-interval-start"
            />
          </Field>
        </>
      )}

      {kind === 'cron' && (
        <InputField
          form={form}
          field="cronExpression"
          label={trans.__('Cron expression')}
          help={trans.__(
            'minute hour day-of-month month day-of-week (0 and 7 are Sunday); 6 fields: seconds first.'
          )}
          mono
          placeholder="30 2 * * 1-5"
          testid="field-cron"
        />
      )}

      {kind === 'trigger' && <ConditionsEditor form={form} jobs={otherJobs} />}

      {fieldApplies('timezone', state) && (
        <Field form={form} field="timezone" label={trans.__('Time zone')}>
          <FormSelect
            form={form}
            field="timezone"
            value={state.timezone}
            onValue={timezone => update({ timezone }, 'timezone')}
            testid="field-timezone"
            options={zoneOptions.map(zone => [zone, zone] as const)}
          />
        </Field>
      )}

      <SchedulePreview kind={kind} preview={preview} names={model.jobNames} trans={trans} />
    </fieldset>
  );
}
