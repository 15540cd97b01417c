import { LabIcon } from '@jupyterlab/ui-components';

import resumeSvgStr from '../style/icons/resume.svg';
import schedulerSvgStr from '../style/icons/scheduler.svg';

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
