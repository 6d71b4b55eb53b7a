/**
 * Rendering of Vega-Lite specs into DOM nodes with `vega-embed`, loaded on
 * first use so that JupyterLab starts without the Vega bundle.
 */

import type { TopLevelSpec } from 'vega-lite';
import type { View } from 'vega';

/**
 * A rendered chart.
 */
export interface IEmbeddedChart {
  /**
   * The Vega view: `view.data('source_0')` contains the chart's rows.
   */
  readonly view: View;

  /**
   * Remove the chart's listeners and timers; call before rendering again.
   */
  finalize(): void;
}

/**
 * Render a Vega-Lite spec into `node` with the canvas renderer, in the
 * colors of the current JupyterLab theme.
 *
 * @param node - The element that receives the chart; its children are replaced.
 * @param spec - The spec with its data inlined.
 * @returns The rendered chart, once Vega has drawn it.
 */
export async function embedChart(
  node: HTMLElement,
  spec: TopLevelSpec
): Promise<IEmbeddedChart> {
  const { default: embed } = await import('vega-embed');
  const result = await embed(node, spec, {
    mode: 'vega-lite',
    renderer: 'canvas',
    actions: false,
    config: themeConfig(),
    // Vega's warnings (such as about empty domains) would reach the console
    // of every user; errors still reject.
    logLevel: 0
  });
  return { view: result.view, finalize: () => result.finalize() };
}

/**
 * Return a Vega config in the colors and font of the current theme, read
 * from JupyterLab's CSS variables.
 */
export function themeConfig(): Record<string, unknown> {
  const style = getComputedStyle(document.body);
  const read = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback;
  const text = read('--jp-ui-font-color1', '#212121');
  const muted = read('--jp-ui-font-color2', '#616161');
  const grid = read('--jp-border-color2', '#e0e0e0');
  const font = read('--jp-ui-font-family', 'sans-serif');
  const axis = {
    labelColor: muted,
    titleColor: text,
    domainColor: grid,
    tickColor: grid,
    gridColor: grid,
    labelFont: font,
    titleFont: font
  };
  return {
    background: null,
    font,
    axis,
    legend: {
      labelColor: muted,
      titleColor: text,
      labelFont: font,
      titleFont: font
    },
    title: { color: text, font },
    view: { stroke: grid }
  };
}
