import { nullTranslator } from '@jupyterlab/translation';

import {
  checkForm,
  compact,
  defaultName,
  emptyForm,
  fieldApplies,
  formFieldOf,
  formFromJob,
  IJobFormState,
  payloadFromForm,
  previewPayload,
  scheduleFromForm,
  shellJoin,
  shellQuote,
  splitInterval
} from '../src/payload';
import { IJob } from '../src/tokens';
import { unreadableJob } from './fixtures';

const trans = nullTranslator.load('test');

function form(changes: Partial<IJobFormState> = {}): IJobFormState {
  return {
    ...emptyForm({ timezone: 'Europe/Paris', path: 'etl/load.py', now: new Date(2030, 0, 1, 10, 15) }),
    ...changes
  };
}

function job(fields: Partial<IJob>): IJob {
  return {
    id: 'abc',
    name: 'nightly',
    pipeline_path: 'etl/load.py',
    trigger: '',
    schedule_type: 'date',
    timezone: 'Europe/Paris',
    next_run_time: null,
    paused: false,
    last_run: null,
    ...fields
  } as IJob;
}

describe('emptyForm', () => {
  it('prefills the name from the file, the zone and the next full hour', () => {
    const state = form();
    expect(state.name).toBe('load');
    expect(state.timezone).toBe('Europe/Paris');
    expect(state.runDate).toBe('2030-01-01 11:00');
    expect(state.timeout).toBe('');
  });

  it('prefills a default timeout', () => {
    expect(emptyForm({ timezone: 'UTC', timeout: 300 }).timeout).toBe('300');
    expect(emptyForm({ timezone: 'UTC', timeout: 0 }).timeout).toBe('');
  });

  it('derives names from every supported kind', () => {
    expect(defaultName('a/b/report.ipynb')).toBe('report');
    expect(defaultName('flow.ampln')).toBe('flow');
    expect(defaultName('')).toBe('');
  });
});

describe('payloadFromForm: one payload per trigger type', () => {
  it('date once: run_date without offset, read in the job zone', () => {
    const payload = payloadFromForm(
      form({ scheduleType: 'date', dateType: 'once', runDate: '2030-01-02T09:30' }),
      { mode: 'create' }
    );
    expect(payload).toEqual({
      name: 'load',
      pipeline_path: 'etl/load.py',
      schedule_type: 'date',
      date_type: 'once',
      run_date: '2030-01-02T09:30:00',
      logical_operator: 'AND',
      timezone: 'Europe/Paris',
      env: {},
      overlap_policy: 'skip',
      catch_up: 'run_once'
    });
  });

  it.each(['daily', 'weekly', 'monthly'] as const)('date %s keeps the date type', dateType => {
    const payload = payloadFromForm(
      form({ scheduleType: 'date', dateType, runDate: '2030-01-02T09:30:15' }),
      { mode: 'create' }
    );
    expect(payload.schedule_type).toBe('date');
    expect(payload.date_type).toBe(dateType);
    expect(payload.run_date).toBe('2030-01-02T09:30:15');
    expect(payload.interval_days).toBeUndefined();
  });

  it('every_x_days sends interval_days and an optional start', () => {
    const withStart = payloadFromForm(
      form({ scheduleType: 'date', dateType: 'every_x_days', everyDays: '3', runDate: '2030-01-02T06:00' }),
      { mode: 'create' }
    );
    expect(withStart).toMatchObject({
      schedule_type: 'date',
      date_type: 'every_x_days',
      interval_days: 3,
      run_date: '2030-01-02T06:00:00'
    });
    const withoutStart = payloadFromForm(
      form({ scheduleType: 'date', dateType: 'every_x_days', everyDays: '2', runDate: '' }),
      { mode: 'create' }
    );
    expect(withoutStart.run_date).toBeUndefined();
    expect(withoutStart.interval_days).toBe(2);
  });

  it.each([
    ['seconds', 'interval_seconds'],
    ['minutes', 'interval_minutes'],
    ['hours', 'interval_hours'],
    ['days', 'interval_days']
  ] as const)('interval in %s sends %s', (unit, key) => {
    const payload = payloadFromForm(
      form({ scheduleType: 'interval', intervalValue: '45', intervalUnit: unit }),
      { mode: 'create' }
    );
    expect(payload.schedule_type).toBe('interval');
    expect(payload[key]).toBe(45);
    expect(payload.run_date).toBeUndefined();
    const others = ['interval_seconds', 'interval_minutes', 'interval_hours', 'interval_days'].filter(
      name => name !== key
    );
    for (const other of others) {
      expect((payload as Record<string, unknown>)[other]).toBeUndefined();
    }
  });

  it('interval with a start date', () => {
    const payload = payloadFromForm(
      form({ scheduleType: 'interval', intervalValue: '2', intervalUnit: 'hours', intervalStart: '2030-05-01T00:00' }),
      { mode: 'create' }
    );
    expect(payload.run_date).toBe('2030-05-01T00:00:00');
  });

  it('cron normalises spaces', () => {
    const payload = payloadFromForm(
      form({ scheduleType: 'cron', cronExpression: '  30  2 * *   1-5 ' }),
      { mode: 'create' }
    );
    expect(payload).toMatchObject({ schedule_type: 'cron', cron_expression: '30 2 * * 1-5' });
    expect(payload.run_date).toBeUndefined();
  });

  it('trigger sends the conditions and the operator, without empty rows', () => {
    const payload = payloadFromForm(
      form({
        scheduleType: 'trigger',
        conditions: [
          { jobId: 'a', on: 'success' },
          { jobId: '', on: 'success' },
          { jobId: 'b', on: 'failure' }
        ],
        logicalOperator: 'OR'
      }),
      { mode: 'create' }
    );
    expect(payload).toMatchObject({
      schedule_type: 'trigger',
      logical_operator: 'OR',
      trigger_conditions: [
        { job_id: 'a', on: 'success' },
        { job_id: 'b', on: 'failure' }
      ]
    });
  });

  it('sends the run options', () => {
    const payload = payloadFromForm(
      form({
        arguments: ' --date "two words" ',
        env: [
          { name: 'STAGE', value: 'prod' },
          { name: ' ', value: '' }
        ],
        cwd: 'etl',
        timeout: '90.5',
        overlapPolicy: 'parallel',
        maxParallel: '3',
        catchUp: 'skip'
      }),
      { mode: 'create' }
    );
    expect(payload).toMatchObject({
      arguments: '--date "two words"',
      env: { STAGE: 'prod' },
      cwd: 'etl',
      timeout: 90.5,
      overlap_policy: 'parallel',
      max_parallel: 3,
      catch_up: 'skip'
    });
  });

  it('update (PUT) sends null for what the user emptied and the unused schedule fields', () => {
    const payload = payloadFromForm(
      form({ scheduleType: 'cron', cronExpression: '0 * * * *', timeout: '', cwd: '', name: 'x' }),
      { mode: 'update' }
    );
    expect(payload.timeout).toBeNull();
    expect(payload.cwd).toBeNull();
    expect(payload.run_date).toBeNull();
    expect(payload.interval_days).toBeNull();
    expect(payload.trigger_conditions).toBeNull();
    expect(payload.python_code).toBeNull();
    expect(payload.max_parallel).toBe(1);
    expect(payload.cron_expression).toBe('0 * * * *');
  });

  it('sends python_code only for .ampln targets', () => {
    const pipeline = payloadFromForm(form({ path: 'flows/daily.ampln' }), {
      mode: 'create',
      pythonCode: 'print(1)'
    });
    expect(pipeline.python_code).toBe('print(1)');
    expect(pipeline.pipeline_path).toBe('flows/daily.ampln');
    const script = payloadFromForm(form({ path: 'x.py' }), { mode: 'create', pythonCode: 'print(1)' });
    expect(script.python_code).toBeUndefined();
  });

  it('leaves malformed numbers for the server to refuse on their field', () => {
    const payload = payloadFromForm(form({ scheduleType: 'interval', intervalValue: 'abc' }), {
      mode: 'create'
    });
    expect(payload.interval_hours).toBe('abc');
  });
});

describe('last day of the month (monthly schedules)', () => {
  const monthly = (changes: Partial<IJobFormState> = {}) =>
    form({ scheduleType: 'date', dateType: 'monthly', runDate: '2030-01-31T09:00', ...changes });

  it('is off in a new form', () => {
    expect(form().lastDayOfMonth).toBe(false);
  });

  it('is sent for monthly schedules, checked or not', () => {
    expect(payloadFromForm(monthly({ lastDayOfMonth: true }), { mode: 'create' })).toMatchObject({
      schedule_type: 'date',
      date_type: 'monthly',
      run_date: '2030-01-31T09:00:00',
      last_day_of_month: true
    });
    expect(payloadFromForm(monthly(), { mode: 'create' }).last_day_of_month).toBe(false);
    expect(payloadFromForm(monthly(), { mode: 'update' }).last_day_of_month).toBe(false);
  });

  it('is not sent for other schedules (null clears it on PUT)', () => {
    const daily = form({ scheduleType: 'date', dateType: 'daily', lastDayOfMonth: true });
    expect('last_day_of_month' in payloadFromForm(daily, { mode: 'create' })).toBe(false);
    expect(payloadFromForm(daily, { mode: 'update' }).last_day_of_month).toBeNull();
    const cron = form({ scheduleType: 'cron', cronExpression: '0 9 * * *', lastDayOfMonth: true });
    expect(payloadFromForm(cron, { mode: 'update' }).last_day_of_month).toBeNull();
  });

  it('goes to the preview like the other schedule fields', () => {
    expect(previewPayload(monthly({ lastDayOfMonth: true }))).toMatchObject({
      date_type: 'monthly',
      last_day_of_month: true,
      count: 5
    });
  });

  it('round-trips through a job', () => {
    const sent = payloadFromForm(monthly({ lastDayOfMonth: true }), { mode: 'create' });
    const state = formFromJob(job({ ...sent, id: 'abc', name: 'nightly' } as Partial<IJob>));
    expect(state.scheduleType).toBe('date');
    expect(state.dateType).toBe('monthly');
    expect(state.lastDayOfMonth).toBe(true);
    expect(state.runDate).toBe('2030-01-31 09:00');
    expect(payloadFromForm(state, { mode: 'update' })).toMatchObject({
      date_type: 'monthly',
      run_date: '2030-01-31T09:00:00',
      last_day_of_month: true
    });
    expect(
      formFromJob(job({ schedule_type: 'date', date_type: 'monthly', run_date: '2030-01-31T09:00:00' }))
        .lastDayOfMonth
    ).toBe(false);
  });

  it('server errors on it land on the date field', () => {
    expect(formFieldOf('last_day_of_month')).toBe('runDate');
  });
});

describe('formFromJob of a broken job', () => {
  // A job whose stored definition cannot be read: little more than its identity.
  const unreadable = unreadableJob('b1', { timezone: 'Europe/Paris' });

  it('opens with what it has and the defaults of a new job for the rest', () => {
    const state = formFromJob(unreadable);
    expect(state.name).toBe('corrupt');
    expect(state.path).toBe('');
    expect(state.timezone).toBe('Europe/Paris');
    expect(state.scheduleType).toBe('date');
    expect(state.dateType).toBe('once');
    expect(state.runDate).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:00$/);
    expect(state.env).toEqual([]);
    expect(state.arguments).toBe('');
    expect(state.timeout).toBe('');
    expect(state.catchUp).toBe('run_once');
    // The form asks for the missing file before saving; the PUT then sends every field.
    expect(checkForm(state, trans).path).toBeTruthy();
    const payload = payloadFromForm({ ...state, path: 'etl/load.py' }, { mode: 'update' });
    expect(payload).toMatchObject({ name: 'corrupt', pipeline_path: 'etl/load.py', schedule_type: 'date' });
  });

  it('survives fields of the wrong type', () => {
    const odd = {
      ...unreadable,
      name: undefined,
      timezone: undefined,
      schedule_type: 'hourly',
      date_type: 42,
      env: 'A=1',
      arguments: null,
      trigger_conditions: 'x',
      overlap_policy: 'sometimes',
      max_parallel: null
    } as unknown as IJob;
    const state = formFromJob(odd);
    expect(state.name).toBe('');
    expect(state.timezone).toBe('UTC');
    expect(state.scheduleType).toBe('date');
    expect(state.dateType).toBe('once');
    expect(state.env).toEqual([]);
    expect(state.overlapPolicy).toBe('skip');
    expect(state.maxParallel).toBe('2');
    expect(formFromJob({ ...odd, schedule_type: 'trigger' } as IJob).conditions).toEqual([]);
    expect(formFromJob({ ...odd, schedule_type: 'cron' } as IJob).cronExpression).toBe('');
  });

  it('keeps the fields of a job broken by an invalid cron, to fix it', () => {
    const state = formFromJob(
      job({
        schedule_type: 'cron',
        cron_expression: '61 * * * *',
        broken: "cannot be scheduled: cron_expression: invalid cron expression '61 * * * *'"
      })
    );
    expect(state.cronExpression).toBe('61 * * * *');
    expect(state.path).toBe('etl/load.py');
  });
});

describe('previewPayload', () => {
  it('is the schedule with a count, and nothing for trigger jobs', () => {
    expect(previewPayload(form({ scheduleType: 'cron', cronExpression: '0 9 * * *' }))).toEqual({
      schedule_type: 'cron',
      date_type: 'once',
      cron_expression: '0 9 * * *',
      logical_operator: 'AND',
      timezone: 'Europe/Paris',
      count: 5
    });
    expect(previewPayload(form({ scheduleType: 'trigger' }))).toBeNull();
  });
});

describe('formFromJob', () => {
  it('reads an interval back in its largest exact unit', () => {
    const state = formFromJob(
      job({ schedule_type: 'interval', interval_seconds: 5400, run_date: '2030-01-01T08:00:00+00:00' })
    );
    expect(state.intervalValue).toBe('90');
    expect(state.intervalUnit).toBe('minutes');
    expect(state.intervalStart).toBe('2030-01-01 09:00'); // in Europe/Paris
  });

  it('shows an offset run_date as its wall time in the job zone', () => {
    const state = formFromJob(
      job({ schedule_type: 'date', date_type: 'daily', run_date: '2030-06-01T06:30:00Z' })
    );
    expect(state.dateType).toBe('daily');
    expect(state.runDate).toBe('2030-06-01 08:30');
  });

  it('keeps a naive run_date as written', () => {
    expect(
      formFromJob(job({ schedule_type: 'date', run_date: '2030-06-01T06:30:00' })).runDate
    ).toBe('2030-06-01 06:30');
  });

  it('round-trips cron, trigger and options; duplicates get a new name', () => {
    const original = job({
      schedule_type: 'trigger',
      trigger_conditions: [{ job_id: 'up', on: 'failure' }],
      logical_operator: 'OR',
      arguments: ['--name', 'two words', "it's"],
      env: { A: '1' },
      timeout: 60,
      overlap_policy: 'queue',
      catch_up: 'skip'
    });
    const state = formFromJob(original, { duplicate: true, copySuffix: ' (copy)' });
    expect(state.name).toBe('nightly (copy)');
    expect(state.conditions).toEqual([{ jobId: 'up', on: 'failure' }]);
    expect(state.logicalOperator).toBe('OR');
    expect(state.arguments).toBe(`--name 'two words' 'it'"'"'s'`);
    expect(state.env).toEqual([{ name: 'A', value: '1' }]);
    expect(state.timeout).toBe('60');
    expect(state.overlapPolicy).toBe('queue');
    const payload = payloadFromForm(state, { mode: 'create' });
    expect(payload.trigger_conditions).toEqual([{ job_id: 'up', on: 'failure' }]);

    expect(formFromJob(job({ schedule_type: 'cron', cron_expression: '5 4 * * sun' })).cronExpression).toBe(
      '5 4 * * sun'
    );
    expect(
      formFromJob(job({ schedule_type: 'cron', hour: '3', day_of_week: 'sun' })).cronExpression
    ).toBe('0 3 * * sun');
  });
});

describe('shell quoting and intervals', () => {
  it('quotes like a POSIX shell', () => {
    expect(shellQuote('plain-arg_1.txt')).toBe('plain-arg_1.txt');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellJoin(['a', 'b c'])).toBe("a 'b c'");
  });

  it('splits intervals', () => {
    expect(splitInterval(86400 * 2)).toEqual({ value: '2', unit: 'days' });
    expect(splitInterval(7200)).toEqual({ value: '2', unit: 'hours' });
    expect(splitInterval(61)).toEqual({ value: '61', unit: 'seconds' });
    expect(splitInterval(0)).toEqual({ value: '1', unit: 'seconds' });
  });
});

describe('formFieldOf: server errors land on their field', () => {
  it.each([
    ['cron_expression', 'cronExpression'],
    ['minute', 'cronExpression'],
    ['pipeline_path', 'path'],
    ['python_code', 'path'],
    ['trigger_conditions.0.job_id', 'conditions'],
    ['interval_seconds', 'interval'],
    ['timezone', 'timezone'],
    ['env', 'env'],
    ['max_parallel', 'maxParallel'],
    ['id', 'name'],
    ['bogus', 'general']
  ])('%s → %s', (field, expected) => {
    expect(formFieldOf(field)).toBe(expected);
  });

  it('depends on the schedule for run_date and interval_days', () => {
    expect(formFieldOf('run_date', { scheduleType: 'interval', dateType: 'once' })).toBe('intervalStart');
    expect(formFieldOf('run_date', { scheduleType: 'date', dateType: 'once' })).toBe('runDate');
    expect(formFieldOf('interval_days', { scheduleType: 'date', dateType: 'every_x_days' })).toBe('everyDays');
    expect(formFieldOf('interval_days', { scheduleType: 'interval', dateType: 'once' })).toBe('interval');
    expect(formFieldOf(null)).toBe('general');
  });
});

describe('checkForm', () => {
  it('accepts a complete form', () => {
    expect(checkForm(form(), trans)).toEqual({});
  });

  it('names the fields that need attention', () => {
    expect(Object.keys(checkForm(form({ path: ' ' }), trans))).toEqual(['path']);
    expect(checkForm(form({ scheduleType: 'interval', intervalValue: '0' }), trans).interval).toBeTruthy();
    expect(checkForm(form({ scheduleType: 'cron', cronExpression: '' }), trans).cronExpression).toBeTruthy();
    expect(checkForm(form({ scheduleType: 'trigger', conditions: [] }), trans).conditions).toBeTruthy();
    expect(checkForm(form({ dateType: 'every_x_days', everyDays: '1.5' }), trans).everyDays).toBeTruthy();
    expect(checkForm(form({ runDate: '' }), trans).runDate).toBeTruthy();
    expect(checkForm(form({ timeout: '-3' }), trans).timeout).toBeTruthy();
    expect(checkForm(form({ overlapPolicy: 'parallel', maxParallel: '0' }), trans).maxParallel).toBeTruthy();
    expect(checkForm(form({ env: [{ name: '1BAD', value: 'x' }] }), trans).env).toContain('1BAD');
    expect(
      checkForm(
        form({
          env: [
            { name: 'A', value: '1' },
            { name: 'A', value: '2' }
          ]
        }),
        trans
      ).env
    ).toContain('twice');
  });
});

describe('compact and scheduleFromForm', () => {
  it('drops empty values', () => {
    expect(compact({ a: null, b: '', c: 0, d: false, e: undefined, f: 'x' })).toEqual({
      c: 0,
      d: false,
      f: 'x'
    });
  });

  it('blank time zone means the server default', () => {
    expect(scheduleFromForm(form({ timezone: ' ' })).timezone).toBeNull();
  });
});

describe('schedules without a clock, and the fields that apply', () => {
  it('round-trips an on-demand (manual) job instead of turning it into a date', () => {
    const state = formFromJob(job({ schedule_type: 'manual', trigger: 'On demand' }));
    expect(state.scheduleType).toBe('manual');
    const payload = payloadFromForm(state, { mode: 'update' });
    expect(payload.schedule_type).toBe('manual');
    expect(payload.run_date).toBeNull();
    expect(payload.cron_expression).toBeNull();
  });

  it('asks the server for the words of triggers and on-demand jobs too', () => {
    expect(previewPayload(form({ scheduleType: 'manual' }))).toMatchObject({ schedule_type: 'manual', count: 5 });
    // No job to wait for yet: nothing to ask.
    expect(previewPayload(form({ scheduleType: 'trigger', conditions: [] }))).toBeNull();
    expect(
      previewPayload(form({ scheduleType: 'trigger', conditions: [{ jobId: 'j1', on: 'failure' }] }))
    ).toMatchObject({ trigger_conditions: [{ job_id: 'j1', on: 'failure' }] });
  });

  it('hides arguments for notebooks and runner configs, zone and missed runs without a clock', () => {
    expect(fieldApplies('arguments', form({ path: 'a.py' }))).toBe(true);
    expect(fieldApplies('arguments', form({ path: 'flow.ampln' }))).toBe(true);
    expect(fieldApplies('arguments', form({ path: 'report.IPYNB' }))).toBe(false);
    expect(fieldApplies('arguments', form({ path: 'jobs/backup.toml' }))).toBe(false);
    for (const scheduleType of ['trigger', 'manual'] as const) {
      expect(fieldApplies('catchUp', form({ scheduleType }))).toBe(false);
      expect(fieldApplies('timezone', form({ scheduleType }))).toBe(false);
    }
    expect(fieldApplies('catchUp', form({ scheduleType: 'cron' }))).toBe(true);
  });

  it('does not send arguments a notebook cannot take', () => {
    const state = form({ path: 'report.ipynb', arguments: '--left-over' });
    expect(payloadFromForm(state, { mode: 'update' }).arguments).toBe('');
    expect(payloadFromForm({ ...state, path: 'a.py' }, { mode: 'update' }).arguments).toBe('--left-over');
  });

  it('says when a typed date is not a date, in words', () => {
    expect(checkForm(form({ runDate: '2030-01-02 09:30' }), trans).runDate).toBeUndefined();
    expect(checkForm(form({ runDate: '2030-01-02T09:30:15' }), trans).runDate).toBeUndefined();
    expect(checkForm(form({ runDate: 'tomorrow' }), trans).runDate).toContain('YYYY-MM-DD HH:MM');
    expect(checkForm(form({ runDate: '2030-02-30 09:00' }), trans).runDate).toBe('This date or time does not exist');
    expect(
      checkForm(form({ scheduleType: 'interval', intervalStart: '2030-01-01 25:00' }), trans).intervalStart
    ).toBe('This date or time does not exist');
  });
});
