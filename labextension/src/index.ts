/**
 * The JupyterLab plugins of jupyter-experiments.
 *
 * Plugins only wire the library parts (`api`, `models`, `widgets`) into the
 * application; each group of plugins lives in `plugins/`.
 */

import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { browserPlugin, livePlugin } from './plugins/browser';
import { chartPlugin } from './plugins/chart';
import { tablePlugin } from './plugins/table';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  livePlugin,
  browserPlugin,
  tablePlugin,
  chartPlugin
];

export default plugins;
