import { LabIcon } from '@jupyterlab/ui-components';

import schedulerSvgStr from '../style/icons/scheduler.svg';

/** The icon of the Pipeline Scheduler panel. */
export const schedulerIcon = new LabIcon({
  name: '@amphi/pipeline-scheduler:scheduler',
  svgstr: schedulerSvgStr
});
