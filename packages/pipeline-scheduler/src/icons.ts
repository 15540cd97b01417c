import { LabIcon } from '@jupyterlab/ui-components';

import calendarSvgStr from '../style/icons/calendar.svg';
import pinSvgStr from '../style/icons/pin.svg';
import pipelineSvgStr from '../style/icons/pipeline.svg';
import resumeSvgStr from '../style/icons/resume.svg';
import schedulerSvgStr from '../style/icons/scheduler.svg';
import wrapSvgStr from '../style/icons/wrap.svg';

/** The icon of the Pipeline Scheduler panel. */
export const schedulerIcon = new LabIcon({
  name: '@amphi/pipeline-scheduler:scheduler',
  svgstr: schedulerSvgStr
});

/** "Resume" a paused job (a play sign in a circle). */
export const resumeIcon = new LabIcon({
  name: '@amphi/pipeline-scheduler:resume',
  svgstr: resumeSvgStr
});

/** An Amphi pipeline (`.ampln`): boxes joined by links. */
export const pipelineIcon = new LabIcon({
  name: '@amphi/pipeline-scheduler:pipeline',
  svgstr: pipelineSvgStr
});

/** Keep a run tab on its run (a push pin). */
export const pinIcon = new LabIcon({
  name: '@amphi/pipeline-scheduler:pin',
  svgstr: pinSvgStr
});

/** Open the date picker. */
export const calendarIcon = new LabIcon({
  name: '@amphi/pipeline-scheduler:calendar',
  svgstr: calendarSvgStr
});

/** Wrap long lines of a log. */
export const wrapIcon = new LabIcon({
  name: '@amphi/pipeline-scheduler:wrap',
  svgstr: wrapSvgStr
});
