/**
 * The small chart of one metric's time series in the describe view.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { IMetricPoint } from '../../api/components';
import { buildMetricChart, IChartLabels } from '../../models/chartspec';
import { embedChart, IEmbeddedChart } from './embed';

/**
 * The height of a metric chart in CSS pixels.
 */
export const METRIC_CHART_HEIGHT = 140;

/**
 * The props of `MetricChart`.
 */
export interface IMetricChartProps {
  /**
   * The metric name.
   */
  name: string;

  /**
   * The metric's points, or undefined while they load.
   */
  points: IMetricPoint[] | undefined;

  /**
   * The translation bundle of axis and tooltip titles.
   */
  trans: TranslationBundle;
}

/**
 * A line chart of a metric's points against their steps, drawn again when
 * the points change (such as while a job runs) and when the JupyterLab
 * theme changes, to take the new theme's colors.
 *
 * #### Notes
 * The container keeps the class `jp-DescribeComponent-metricChart` and the
 * attribute `data-metric`; `data-point-count`, `data-status` (`empty`,
 * `rendered` or `error`) and `data-render-count` describe the last render.
 */
export function MetricChart(props: IMetricChartProps): React.ReactElement {
  const { name, points, trans } = props;
  const ref = React.useRef<HTMLDivElement>(null);
  const renders = React.useRef(0);
  const labels = React.useMemo(() => chartLabels(trans), [trans]);
  const theme = useThemeName();

  React.useEffect(() => {
    const node = ref.current;
    if (node === null || points === undefined) {
      return;
    }
    let cancelled = false;
    let embedded: IEmbeddedChart | null = null;
    const width = Math.max(node.clientWidth, 200);
    const build = buildMetricChart(
      name,
      points,
      { width, height: METRIC_CHART_HEIGHT },
      labels
    );
    node.dataset.pointCount = String(build.pointCount);
    if (build.spec === null) {
      node.dataset.status = 'empty';
      node.replaceChildren();
      return;
    }
    void embedChart(node, build.spec).then(
      result => {
        if (cancelled) {
          result.finalize();
        } else {
          embedded = result;
          node.dataset.status = 'rendered';
          node.dataset.renderCount = String(++renders.current);
        }
      },
      (error: unknown) => {
        if (!cancelled) {
          node.dataset.status = 'error';
          node.textContent = trans.__(
            'The chart could not be drawn: %1',
            error instanceof Error ? error.message : String(error)
          );
        }
      }
    );
    return () => {
      cancelled = true;
      embedded?.finalize();
    };
    // `theme` is a dependency only to draw again in the new theme's colors.
  }, [name, points, labels, trans, theme]);

  return (
    <div
      ref={ref}
      className="jp-DescribeComponent-metricChart"
      data-metric={name}
      style={{ minHeight: METRIC_CHART_HEIGHT }}
    />
  );
}

/**
 * Return the name of the current JupyterLab theme, and render again when it
 * changes.
 *
 * #### Notes
 * JupyterLab sets `data-jp-theme-name` on the body once the new theme's CSS
 * has loaded, so the chart reads the new colors. Observing the attribute
 * spares the describe view a dependency on the theme manager.
 */
function useThemeName(): string | undefined {
  const [theme, setTheme] = React.useState(
    () => document.body.dataset.jpThemeName
  );
  React.useEffect(() => {
    const observer = new MutationObserver(() =>
      setTheme(document.body.dataset.jpThemeName)
    );
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name']
    });
    return () => observer.disconnect();
  }, []);
  return theme;
}

/**
 * Return the translated axis, legend and tooltip titles of charts.
 */
export function chartLabels(trans: TranslationBundle): IChartLabels {
  return {
    component: trans.__('Trial component'),
    trial: trans.__('Trial'),
    metric: trans.__('Metric'),
    step: trans.__('Step'),
    wallTime: trans.__('Wall time'),
    relativeTime: trans.__('Relative time (s)'),
    value: trans.__('Value'),
    smoothed: trans.__('Smoothed'),
    count: trans.__('Count'),
    dimension: trans.__('Axis')
  };
}
