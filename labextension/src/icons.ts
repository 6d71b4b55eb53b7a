/**
 * Icons of the jupyter-experiments extension.
 */

import { LabIcon } from '@jupyterlab/ui-components';

// A laboratory flask with two bubbles. The `jp-icon3` class lets the theme
// colour the shapes, so the icon follows light and dark themes like core icons.
const EXPERIMENTS_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M9 2h6v2h-1v4.6l5.6 9.7A2.4 2.4 0 0 1 17.5 22h-11a2.4 2.4 0 0 1-2.1-3.7L10 8.6V4H9V2zm3 7.1-2.3 4h4.6L12 9.1z"/>
    <circle cx="19.5" cy="5" r="1.5"/>
    <circle cx="4.5" cy="9" r="1.5"/>
  </g>
</svg>`;

/**
 * The icon of the Experiments sidebar and of experiment entries.
 */
export const experimentsIcon = new LabIcon({
  name: 'jupyter-experiments:experiments',
  svgstr: EXPERIMENTS_SVG
});
