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
 * the points change (such as while a job runs).
 *
 * #### Notes
 * The container keeps the class `jp-DescribeComponent-metricChart` and the
 * attribute `data-metric`; `data-point-count` and `data-status` (`empty`,
 * `rendered` or `error`) describe the last render.
 */
export function MetricChart(props: IMetricChartProps): React.ReactElement {
  const { name, points, trans } = props;
  const ref = React.useRef<HTMLDivElement>(null);
  const labels = React.useMemo(() => chartLabels(trans), [trans]);

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
  }, [name, points, labels, trans]);

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
