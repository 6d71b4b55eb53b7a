/**
 * The chart spec builder: turns chart options, trial components and metric
 * series into a Vega-Lite spec with its data inlined, plus the notices the
 * chart panel shows about data it left out.
 *
 * #### Notes
 * Everything here is pure: no DOM, no request, no Vega import at run time,
 * so every option and every awkward value is unit tested on its own.
 */

import type { TopLevelSpec } from 'vega-lite';

import {
  IMetricPoint,
  ITrialComponent,
  MetricValue,
  ParameterValue
} from '../api/components';
import { isMetricStatistic, MetricStatistic } from './tablecolumns';

/**
 * The meaning of a chart row: a trial component's summary statistics, or a
 * point of a metric's time series.
 */
export type ChartDataType = 'summary' | 'series';

/**
 * The kind of chart.
 */
export type ChartType = 'line' | 'scatter' | 'bar' | 'histogram' | 'parallel';

/**
 * The horizontal axis of a time series: the step, the wall-clock time of
 * each point, or the seconds since the component's first point.
 */
export type TimeAxis = 'step' | 'wall_time' | 'relative_time';

/**
 * A parameter or a metric statistic of a trial component.
 */
export interface IFieldRef {
  /**
   * Whether the field is a parameter or a metric.
   */
  kind: 'parameter' | 'metric';

  /**
   * The parameter or metric name.
   */
  name: string;

  /**
   * The summary statistic of a metric; ignored for parameters.
   */
  statistic?: MetricStatistic;
}

/**
 * The coloring of the marks: none, by trial, by trial component or by a
 * parameter's value.
 */
export interface IChartColor {
  /**
   * The kind of coloring.
   */
  by: 'none' | 'trial' | 'component' | 'parameter';

  /**
   * The parameter name when `by` is `parameter`.
   */
  parameter?: string;
}

/**
 * Everything a user chooses in Chart properties.
 */
export interface IChartOptions {
  /**
   * Summary statistics (one point per component) or time series.
   */
  dataType: ChartDataType;

  /**
   * The kind of chart.
   */
  chartType: ChartType;

  /**
   * The horizontal field of summary charts.
   */
  x: IFieldRef | null;

  /**
   * The vertical fields of summary charts, usually metric statistics.
   */
  y: IFieldRef[];

  /**
   * The horizontal axis of time series.
   */
  timeAxis: TimeAxis;

  /**
   * The metrics drawn as time series.
   */
  metrics: string[];

  /**
   * The axes of a parallel coordinates chart, in order.
   */
  dimensions: IFieldRef[];

  /**
   * The coloring of the marks.
   */
  color: IChartColor;

  /**
   * Whether the horizontal axis is logarithmic.
   */
  logX: boolean;

  /**
   * Whether the vertical axis is logarithmic.
   */
  logY: boolean;

  /**
   * The weight of the exponential moving average of time series, 0 (none)
   * to 0.99.
   */
  smoothing: number;
}

/**
 * The axis titles, legend titles and tooltip names of a chart, translated
 * by the caller.
 */
export interface IChartLabels {
  component: string;
  trial: string;
  metric: string;
  step: string;
  wallTime: string;
  relativeTime: string;
  value: string;
  smoothed: string;
  count: string;
  dimension: string;
}

/**
 * The label of an infinite value, as tooltips show it.
 */
export type InfinityEdge = '+∞' | '−∞';

/**
 * One row of a chart's data, as `view.data('source_0')` and the CSV export
 * contain it.
 */
export interface IChartRow {
  /**
   * The trial component's name.
   */
  component: string;

  /**
   * The trial component's display name and trial, for legends and tooltips.
   */
  label: string;

  /**
   * The trials of the component, comma separated.
   */
  trial: string;

  /**
   * The field or metric the row belongs to, such as `test:loss_last`.
   */
  series: string;

  /**
   * The horizontal value: a number, a text for nominal fields, or null when
   * it is missing or left out (such as 0 on a log axis).
   */
  x: number | string | null;

  /**
   * The vertical value drawn; null for NaN, infinity and values left out,
   * which break lines instead of drawing at 0.
   */
  y: number | null;

  /**
   * The recorded value as text, `NaN`, `Infinity` and `-Infinity` included.
   */
  value: string;

  /**
   * The vertical value before smoothing (time series only).
   */
  raw?: number | null;

  /**
   * The step of a time series point.
   */
  step?: number;

  /**
   * The value that colors the row, when the chart is colored by a parameter.
   */
  color?: number | string;

  /**
   * The infinity of a time series point recorded as `Infinity` or
   * `-Infinity`, which the chart marks at the top or bottom edge of the
   * plot.
   */
  edge?: InfinityEdge;

  /**
   * A key unique per drawn line: the component and the series.
   */
  line: string;
}

/**
 * A trial component that a chart leaves out, and why.
 *
 * - `missing`: it has no such parameter or metric.
 * - `not-finite`: its statistic is NaN or infinite, so it has no position.
 */
export interface ILeftOut {
  component: string;
  label: string;
  field: string;
  reason: 'missing' | 'not-finite';
  value?: string;
}

/**
 * A fact about the data that the chart panel states under the chart.
 */
export type ChartNotice =
  | {
      kind: 'log-excluded';
      axis: 'x' | 'y';
      count: number;
    }
  | {
      kind: 'non-finite';
      nan: number;
      infinite: number;
      /**
       * Whether the infinite values are marked at the plot's edges, which
       * histograms do not do.
       */
      marked: boolean;
    }
  | {
      kind: 'incomplete';
      missing: 'x' | 'y' | 'metrics' | 'dimensions';
    }
  | {
      kind: 'no-data';
    };

/**
 * The result of `buildChart`.
 */
export interface IChartBuild {
  /**
   * The Vega-Lite spec, with `rows` inlined as its data; null when the
   * options are incomplete or nothing is left to draw.
   */
  spec: TopLevelSpec | null;

  /**
   * The chart's data, in drawing order.
   */
  rows: IChartRow[];

  /**
   * The number of rows drawn at a position (a finite, complete vertical value).
   */
  pointCount: number;

  /**
   * Trial components left out, with the reason.
   */
  leftOut: ILeftOut[];

  /**
   * Facts to state under the chart.
   */
  notices: ChartNotice[];
}

/**
 * The size of the plot area in CSS pixels.
 */
export interface IChartSize {
  width: number;
  height: number;
}

/**
 * The metric points of each trial component, by component name then metric
 * name.
 */
export type ComponentSeries = Readonly<
  Record<string, Readonly<Record<string, readonly IMetricPoint[]>>>
>;

/**
 * The largest smoothing weight; 1 would freeze the average at the first point.
 */
export const MAX_SMOOTHING = 0.99;

/**
 * Series of at most this many points per line show a marker on each point.
 */
export const POINT_MARKER_LIMIT = 60;

/**
 * Charts narrower than this many CSS pixels show their legend below the plot.
 */
export const NARROW_CHART_WIDTH = 480;

/**
 * English labels, for tests and callers without a translator.
 */
export const DEFAULT_LABELS: IChartLabels = {
  component: 'Trial component',
  trial: 'Trial',
  metric: 'Metric',
  step: 'Step',
  wallTime: 'Wall time',
  relativeTime: 'Relative time (s)',
  value: 'Value',
  smoothed: 'Smoothed',
  count: 'Count',
  dimension: 'Dimension'
};

/**
 * Return the options of a new chart: summary statistics of the first metric
 * against the first numeric parameter, as a line chart.
 *
 * @param components - The trial components charted.
 * @param statistic - The statistic of the metric axis.
 */
export function defaultOptions(
  components: readonly ITrialComponent[],
  statistic: MetricStatistic = 'last'
): IChartOptions {
  const fields = availableFields(components);
  // The parameter that distinguishes the components best: a sweep's
  // hyperparameter rather than a setting that every trial shares.
  const distinct = (name: string): number =>
    new Set(
      components
        .map(c => c.parameters?.[name])
        .filter(value => typeof value === 'number')
    ).size;
  const numeric = fields.parameters
    .filter(name => distinct(name) > 0)
    .reduce<string | undefined>(
      (best, name) =>
        best === undefined || distinct(name) > distinct(best) ? name : best,
      undefined
    );
  const parameter = numeric ?? fields.parameters[0];
  const metric = fields.metrics[0];
  const x: IFieldRef | null =
    parameter !== undefined ? { kind: 'parameter', name: parameter } : null;
  const y: IFieldRef[] =
    metric !== undefined ? [{ kind: 'metric', name: metric, statistic }] : [];
  return {
    dataType: 'summary',
    chartType: 'line',
    x,
    y,
    timeAxis: 'step',
    metrics: metric !== undefined ? [metric] : [],
    dimensions: [...(x ? [x] : []), ...y],
    color: { by: 'none' },
    logX: false,
    logY: false,
    smoothing: 0
  };
}

/**
 * Return the sorted parameter and metric names of some trial components.
 */
export function availableFields(components: readonly ITrialComponent[]): {
  parameters: string[];
  metrics: string[];
} {
  const parameters = new Set<string>();
  const metrics = new Set<string>();
  for (const component of components) {
    Object.keys(component.parameters ?? {}).forEach(n => parameters.add(n));
    Object.keys(component.metrics ?? {}).forEach(n => metrics.add(n));
  }
  const sorted = (names: Set<string>): string[] =>
    [...names].sort((a, b) => a.localeCompare(b));
  return { parameters: sorted(parameters), metrics: sorted(metrics) };
}

/**
 * Return the label of a field: the parameter name, or `<metric>_<statistic>`
 * such as `test:loss_last`.
 */
export function fieldLabel(field: IFieldRef): string {
  return field.kind === 'parameter'
    ? field.name
    : `${field.name}_${field.statistic ?? 'last'}`;
}

/**
 * Return the key of a field as the table's columns spell it:
 * `parameters.<name>` or `metrics.<name>.<statistic>`.
 */
export function fieldKey(field: IFieldRef): string {
  return field.kind === 'parameter'
    ? `parameters.${field.name}`
    : `metrics.${field.name}.${field.statistic ?? 'last'}`;
}

/**
 * Return the field of a key made by `fieldKey`, or null for any other text.
 */
export function parseFieldKey(key: string): IFieldRef | null {
  if (key.startsWith('parameters.')) {
    const name = key.slice('parameters.'.length);
    return name ? { kind: 'parameter', name } : null;
  }
  if (key.startsWith('metrics.')) {
    // Metric names may contain dots; the statistic is after the last one.
    const rest = key.slice('metrics.'.length);
    const dot = rest.lastIndexOf('.');
    const statistic = rest.slice(dot + 1);
    if (dot > 0 && isMetricStatistic(statistic)) {
      return { kind: 'metric', name: rest.slice(0, dot), statistic };
    }
  }
  return null;
}

/**
 * Return the label of a trial component in legends and tooltips: its
 * display name with its trial, such as `Training (cnn-5)`.
 */
export function componentLabel(component: ITrialComponent): string {
  const display = component.display_name || component.name;
  const trials = (component.trials ?? []).join(', ');
  return trials ? `${display} (${trials})` : display;
}

/**
 * Build the spec and data of a chart.
 *
 * @param options - The chart properties.
 * @param components - The trial components charted, in any order.
 * @param series - Their metric points; only time series and their
 *   histograms read it.
 * @param size - The plot size in CSS pixels.
 * @param labels - Translated axis and tooltip titles.
 */
export function buildChart(
  options: IChartOptions,
  components: readonly ITrialComponent[],
  series: ComponentSeries,
  size: IChartSize,
  labels: IChartLabels = DEFAULT_LABELS
): IChartBuild {
  if (options.chartType === 'parallel') {
    return Private.buildParallel(options, components, size, labels);
  }
  if (options.dataType === 'series') {
    return Private.buildSeries(options, components, series, size, labels);
  }
  return Private.buildSummary(options, components, size, labels);
}

/**
 * Build the small chart of one metric's time series in the describe view.
 *
 * @param metric - The metric name.
 * @param points - Its points, in any order.
 * @param size - The plot size in CSS pixels.
 * @param labels - Translated axis and tooltip titles.
 */
export function buildMetricChart(
  metric: string,
  points: readonly IMetricPoint[],
  size: IChartSize,
  labels: IChartLabels = DEFAULT_LABELS
): IChartBuild {
  const component: ITrialComponent = { name: metric, display_name: metric };
  const options: IChartOptions = {
    dataType: 'series',
    chartType: 'line',
    x: null,
    y: [],
    timeAxis: 'step',
    metrics: [metric],
    dimensions: [],
    color: { by: 'none' },
    logX: false,
    logY: false,
    smoothing: 0
  };
  const build = Private.buildSeries(
    options,
    [component],
    { [metric]: { [metric]: points } },
    size,
    labels,
    true
  );
  if (build.spec) {
    // A small chart has no room for zoom, legends or a title.
    const spec = build.spec as unknown as Record<string, unknown>;
    delete spec.params;
  }
  return build;
}

/**
 * Return a chart's rows as CSV text with a header line.
 *
 * #### Notes
 * Text cells that start with `=`, `+`, `-`, `@`, a tab or a carriage return
 * get a leading `'`, as the server's CSV export does, so that spreadsheets
 * do not run them as formulas. Numbers are written as they are.
 */
export function chartCsv(rows: readonly IChartRow[]): string {
  const columns: (keyof IChartRow)[] = [
    'component',
    'label',
    'trial',
    'series',
    'x',
    'y',
    'value'
  ];
  if (rows.some(row => row.step !== undefined)) {
    columns.push('step', 'raw');
  }
  const lines = [columns.join(',')];
  for (const row of rows) {
    lines.push(columns.map(column => Private.csvCell(row[column])).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/**
 * Return a self-contained spec for a `.vl.json` file: with the schema of
 * Vega-Lite 5, which JupyterLab's renderer reads, and a fixed size.
 */
export function standaloneSpec(spec: TopLevelSpec): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(spec as unknown as Record<string, unknown>)
  };
}

/**
 * Compute the exponential moving average of `values`, skipping nulls: each
 * value becomes `weight * previous average + (1 - weight) * value`, starting
 * at the first value.
 *
 * @param values - The values in step order; null for a gap.
 * @param weight - 0 (no smoothing) to `MAX_SMOOTHING`.
 * @returns One value per input: null where the input is null.
 */
export function smooth(
  values: readonly (number | null)[],
  weight: number
): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), MAX_SMOOTHING);
  let average: number | null = null;
  return values.map(value => {
    if (value === null) {
      return null;
    }
    average = average === null ? value : average * w + (1 - w) * value;
    return average;
  });
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * A value read from a component: a finite number, a text, a non-finite
   * number spelled out, or missing.
   */
  type FieldValue =
    | { kind: 'number'; value: number }
    | { kind: 'text'; value: string }
    | { kind: 'not-finite'; value: string }
    | { kind: 'missing' };

  /**
   * Return the value of a field of a component.
   */
  export function readField(
    component: ITrialComponent,
    field: IFieldRef
  ): FieldValue {
    if (field.kind === 'parameter') {
      const parameters = component.parameters ?? {};
      if (!(field.name in parameters)) {
        return { kind: 'missing' };
      }
      return parameterValue(parameters[field.name]);
    }
    const summary = component.metrics?.[field.name];
    if (summary === undefined) {
      return { kind: 'missing' };
    }
    const statistic = field.statistic ?? 'last';
    const value = summary[statistic] as MetricValue | undefined;
    if (value === undefined) {
      return { kind: 'missing' };
    }
    return metricValue(value);
  }

  function parameterValue(value: ParameterValue): FieldValue {
    if (value === null) {
      return { kind: 'missing' };
    }
    if (typeof value === 'number') {
      return Number.isFinite(value)
        ? { kind: 'number', value }
        : { kind: 'not-finite', value: String(value) };
    }
    return { kind: 'text', value: String(value) };
  }

  /**
   * Return a metric value as the REST API encodes it (docs/rest-api.md):
   * null is NaN, and the infinities are the strings `Infinity` and
   * `-Infinity`.
   */
  export function metricValue(value: MetricValue): FieldValue {
    if (value === null) {
      return { kind: 'not-finite', value: 'NaN' };
    }
    if (typeof value === 'string') {
      return { kind: 'not-finite', value };
    }
    return Number.isFinite(value)
      ? { kind: 'number', value }
      : { kind: 'not-finite', value: String(value) };
  }

  /**
   * Return the color value of a component, or undefined without coloring.
   */
  function colorValue(
    component: ITrialComponent,
    color: IChartColor
  ): number | string | undefined {
    switch (color.by) {
      case 'trial':
        return (component.trials ?? []).join(', ');
      case 'component':
        return componentLabel(component);
      case 'parameter': {
        const value = component.parameters?.[color.parameter ?? ''];
        if (value === undefined || value === null) {
          return '';
        }
        return typeof value === 'number' ? value : String(value);
      }
      default:
        return undefined;
    }
  }

  /**
   * Return the Vega-Lite field that colors the marks, or undefined.
   */
  function colorField(color: IChartColor): string | undefined {
    switch (color.by) {
      case 'trial':
        return 'trial';
      case 'component':
        return 'label';
      case 'parameter':
        return 'color';
      default:
        return undefined;
    }
  }

  /**
   * Return the color encoding of the options, or null when nothing colors
   * the marks.
   */
  function colorEncoding(
    options: IChartOptions,
    rows: readonly IChartRow[],
    labels: IChartLabels
  ): Record<string, unknown> | null {
    const field = colorField(options.color);
    if (field === undefined) {
      return null;
    }
    const numeric =
      field === 'color' &&
      rows.length > 0 &&
      rows.every(row => typeof row.color === 'number');
    const title =
      options.color.by === 'trial'
        ? labels.trial
        : options.color.by === 'component'
          ? labels.component
          : (options.color.parameter ?? '');
    return {
      field,
      type: numeric ? 'quantitative' : 'nominal',
      title,
      ...(numeric ? { scale: { scheme: 'viridis' } } : {})
    };
  }

  /**
   * Return the scale of a quantitative axis: logarithmic, or linear without
   * zero so that small differences show. The padding keeps the markers at
   * the ends of the domain inside the plot.
   *
   * When every value drawn on the axis is the same, such as in a chart of
   * one trial component, the domain has no width and its ticks no step. An
   * explicit domain around the value gives the axis readable ticks.
   */
  function scaleOf(
    log: boolean,
    values: readonly unknown[]
  ): Record<string, unknown> {
    const scale = log
      ? { type: 'log', padding: AXIS_PADDING_PX }
      : { zero: false, padding: AXIS_PADDING_PX };
    const domain = flatDomain(log, values);
    return domain ? { ...scale, domain } : scale;
  }

  /**
   * Return the scale of a quantitative axis and, when every value on it is
   * a whole number (steps, counts, integer parameters), an axis without
   * fractional ticks such as 7.5.
   */
  function positionOf(
    log: boolean,
    values: readonly unknown[]
  ): Record<string, unknown> {
    const scale = scaleOf(log, values);
    return allIntegers(values)
      ? { scale, axis: { tickMinStep: 1 } }
      : { scale };
  }

  /**
   * Return whether the finite numbers among `values` are all whole, and
   * there is at least one.
   */
  function allIntegers(values: readonly unknown[]): boolean {
    let seen = false;
    for (const value of values) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        continue;
      }
      if (!Number.isInteger(value)) {
        return false;
      }
      seen = true;
    }
    return seen;
  }

  /**
   * Return a domain around the one value that `values` hold, or null when
   * they hold none or several (non-numbers and non-finite numbers aside).
   */
  function flatDomain(
    log: boolean,
    values: readonly unknown[]
  ): [number, number] | null {
    let only: number | null = null;
    for (const value of values) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        continue;
      }
      if (log && value <= 0) {
        continue;
      }
      if (only === null) {
        only = value;
      } else if (value !== only) {
        return null;
      }
    }
    if (only === null) {
      return null;
    }
    if (log) {
      return [only / 2, only * 2];
    }
    // A whole number, such as a step or an integer parameter, gets its
    // neighbours, so that the axis ticks whole numbers.
    const half = Number.isInteger(only) ? 1 : Math.abs(only) / 10;
    return [only - half, only + half];
  }

  /**
   * Pixels between the ends of an axis domain and the plot's edges.
   */
  const AXIS_PADDING_PX = 8;

  /**
   * Return the tooltip fields of a chart's marks.
   */
  function tooltipOf(
    labels: IChartLabels,
    xTitle: string,
    xType: string,
    extra: Record<string, unknown>[] = []
  ): Record<string, unknown>[] {
    return [
      { field: 'label', type: 'nominal', title: labels.component },
      { field: 'trial', type: 'nominal', title: labels.trial },
      { field: 'series', type: 'nominal', title: labels.metric },
      {
        field: 'x',
        type: xType,
        title: xTitle,
        ...(xType === 'temporal' ? { format: '%Y-%m-%d %H:%M:%S' } : {})
      },
      { field: 'value', type: 'nominal', title: labels.value },
      ...extra
    ];
  }

  /**
   * The zoom and pan of quantitative axes: drag to pan, wheel to zoom,
   * double click to reset.
   */
  const ZOOM_PARAMS = [
    { name: 'zoom', select: { type: 'interval' }, bind: 'scales' }
  ];

  /**
   * Return the top of every spec: its data, size and look.
   */
  function base(
    rows: readonly IChartRow[],
    size: IChartSize
  ): Record<string, unknown> {
    return {
      data: { values: rows },
      // The size is the whole chart's, axes and legend included.
      width: Math.max(50, Math.round(size.width)),
      height: Math.max(50, Math.round(size.height)),
      autosize: { type: 'fit', contains: 'padding' },
      background: null,
      // A narrow chart keeps its plot wide by putting the legend below it, one
      // entry per line, since a row of long component labels would be cut off.
      config: {
        legend:
          size.width < NARROW_CHART_WIDTH
            ? {
                orient: 'bottom',
                direction: 'vertical',
                labelLimit: Math.max(100, Math.round(size.width) - 40)
              }
            : { orient: 'right', labelLimit: 240 }
      }
    };
  }

  /**
   * Drop the points left out of a log axis: set the value to null and count
   * them.
   */
  function applyLog(
    rows: IChartRow[],
    axis: 'x' | 'y',
    notices: ChartNotice[]
  ): void {
    let count = 0;
    for (const row of rows) {
      const value = row[axis];
      if (typeof value === 'number' && value <= 0) {
        row[axis] = null;
        if (axis === 'y' && row.raw !== undefined) {
          row.raw = null;
        }
        count++;
      }
    }
    if (count > 0) {
      notices.push({ kind: 'log-excluded', axis, count });
    }
  }

  /**
   * Return whether any drawn line has a point without a drawn neighbour,
   * which a line alone would not show.
   */
  function hasIsolatedPoint(rows: readonly IChartRow[]): boolean {
    for (let i = 0; i < rows.length; i++) {
      if (rows[i].y === null || rows[i].x === null) {
        continue;
      }
      const drawn = (j: number): boolean =>
        j >= 0 &&
        j < rows.length &&
        rows[j].line === rows[i].line &&
        rows[j].y !== null &&
        rows[j].x !== null;
      if (!drawn(i - 1) && !drawn(i + 1)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Return the longest line of the rows, in points.
   */
  function longestLine(rows: readonly IChartRow[]): number {
    const counts = new Map<string, number>();
    for (const row of rows) {
      counts.set(row.line, (counts.get(row.line) ?? 0) + 1);
    }
    return Math.max(0, ...counts.values());
  }

  /**
   * Return the number of rows with a drawn position.
   */
  function drawn(rows: readonly IChartRow[]): number {
    return rows.filter(row => row.y !== null && row.x !== null).length;
  }

  /**
   * Compare two horizontal values: numbers first in numeric order, then
   * texts with numeric collation, then missing values.
   */
  function compareX(a: IChartRow['x'], b: IChartRow['x']): number {
    if (a === null && b === null) {
      return 0;
    }
    if (a === null) {
      return 1;
    }
    if (b === null) {
      return -1;
    }
    if (typeof a === 'number' && typeof b === 'number') {
      return a - b;
    }
    if (typeof a === 'number') {
      return -1;
    }
    if (typeof b === 'number') {
      return 1;
    }
    return a.localeCompare(b, undefined, { numeric: true });
  }

  /**
   * Build a summary chart: one row per component and vertical field.
   */
  export function buildSummary(
    options: IChartOptions,
    components: readonly ITrialComponent[],
    size: IChartSize,
    labels: IChartLabels
  ): IChartBuild {
    const histogram = options.chartType === 'histogram';
    const notices: ChartNotice[] = [];
    if (options.y.length === 0) {
      notices.push({ kind: 'incomplete', missing: 'y' });
    }
    if (options.x === null && !histogram) {
      notices.push({ kind: 'incomplete', missing: 'x' });
    }
    if (notices.length > 0) {
      return { spec: null, rows: [], pointCount: 0, leftOut: [], notices };
    }

    const rows: IChartRow[] = [];
    const leftOut: ILeftOut[] = [];
    for (const component of components) {
      const label = componentLabel(component);
      let x: IChartRow['x'] = null;
      if (!histogram && options.x) {
        const read = readField(component, options.x);
        if (read.kind === 'missing' || read.kind === 'not-finite') {
          leftOut.push({
            component: component.name,
            label,
            field: fieldLabel(options.x),
            reason: read.kind,
            ...(read.kind === 'not-finite' ? { value: read.value } : {})
          });
          continue;
        }
        x = read.value;
      }
      for (const field of options.y) {
        const read = readField(component, field);
        const series = fieldLabel(field);
        if (read.kind === 'missing' || read.kind === 'not-finite') {
          leftOut.push({
            component: component.name,
            label,
            field: series,
            reason: read.kind,
            ...(read.kind === 'not-finite' ? { value: read.value } : {})
          });
          continue;
        }
        if (read.kind === 'text') {
          // A text parameter has no vertical position.
          leftOut.push({
            component: component.name,
            label,
            field: series,
            reason: 'not-finite',
            value: read.value
          });
          continue;
        }
        const row: IChartRow = {
          component: component.name,
          label,
          trial: (component.trials ?? []).join(', '),
          series,
          x,
          y: read.value,
          value: String(read.value),
          line: series
        };
        const color = colorValue(component, options.color);
        if (color !== undefined) {
          row.color = color;
        }
        rows.push(row);
      }
    }

    rows.sort(
      (a, b) =>
        a.series.localeCompare(b.series) ||
        compareX(a.x, b.x) ||
        a.label.localeCompare(b.label, undefined, { numeric: true })
    );
    const xNumeric = rows.every(row => typeof row.x === 'number');
    if (options.logX && xNumeric && !histogram) {
      applyLog(rows, 'x', notices);
    }
    if (options.logY && !histogram) {
      applyLog(rows, 'y', notices);
    }
    const pointCount = histogram
      ? rows.filter(row => row.y !== null).length
      : drawn(rows);
    if (pointCount === 0) {
      notices.push({ kind: 'no-data' });
      return { spec: null, rows, pointCount, leftOut, notices };
    }

    const xTitle = options.x ? fieldLabel(options.x) : '';
    const yTitle = options.y.map(fieldLabel).join(', ');
    const xType = xNumeric ? 'quantitative' : 'nominal';
    const several = options.y.length > 1;
    const color = colorEncoding(options, rows, labels) ?? {
      field: 'series',
      type: 'nominal',
      title: labels.metric,
      ...(several ? {} : { legend: null })
    };
    const seriesChannel = colorField(options.color) && several;
    const tooltip = tooltipOf(labels, xTitle, xType);

    let layer: Record<string, unknown>;
    switch (options.chartType) {
      case 'histogram':
        layer = {
          mark: { type: 'bar', tooltip: true },
          encoding: {
            x: {
              field: 'y',
              type: 'quantitative',
              bin: { maxbins: 20 },
              title: yTitle
            },
            y: {
              aggregate: 'count',
              type: 'quantitative',
              title: labels.count
            },
            color
          }
        };
        break;
      case 'bar':
        layer = {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'x', type: 'ordinal', title: xTitle, sort: null },
            y: {
              field: 'y',
              type: 'quantitative',
              title: yTitle,
              scale: options.logY ? { type: 'log' } : {}
            },
            ...(several ? { xOffset: { field: 'series' } } : {}),
            color,
            tooltip
          }
        };
        break;
      default: {
        const line = options.chartType === 'line';
        layer = {
          mark: line
            ? { type: 'line', point: { filled: true, size: 40 } }
            : { type: 'point', filled: true, size: 60 },
          encoding: {
            x: {
              field: 'x',
              type: xType,
              title: xTitle,
              ...(xType === 'quantitative'
                ? {
                    ...positionOf(
                      options.logX,
                      rows.map(row => row.x)
                    )
                  }
                : { sort: null })
            },
            y: {
              field: 'y',
              type: 'quantitative',
              title: yTitle,
              ...positionOf(
                options.logY,
                rows.map(row => row.y)
              )
            },
            color,
            ...(seriesChannel
              ? line
                ? { strokeDash: { field: 'series', title: labels.metric } }
                : { shape: { field: 'series', title: labels.metric } }
              : {}),
            ...(line ? { detail: { field: 'line' } } : {}),
            tooltip
          },
          ...(xType === 'quantitative' ? { params: ZOOM_PARAMS } : {})
        };
      }
    }
    const spec = { ...base(rows, size), ...layer } as unknown as TopLevelSpec;
    return { spec, rows, pointCount, leftOut, notices };
  }

  /**
   * Build a time series chart: one line per component and metric, each
   * ordered by step.
   */
  export function buildSeries(
    options: IChartOptions,
    components: readonly ITrialComponent[],
    series: ComponentSeries,
    size: IChartSize,
    labels: IChartLabels,
    small = false
  ): IChartBuild {
    const notices: ChartNotice[] = [];
    if (options.metrics.length === 0) {
      notices.push({ kind: 'incomplete', missing: 'metrics' });
      return { spec: null, rows: [], pointCount: 0, leftOut: [], notices };
    }

    const rows: IChartRow[] = [];
    const leftOut: ILeftOut[] = [];
    let nan = 0;
    let infinite = 0;
    for (const component of components) {
      const label = componentLabel(component);
      const trial = (component.trials ?? []).join(', ');
      const color = colorValue(component, options.color);
      const points = series[component.name] ?? {};
      const start = firstTimestamp(points);
      for (const metric of options.metrics) {
        const list = points[metric];
        if (list === undefined || list.length === 0) {
          leftOut.push({
            component: component.name,
            label,
            field: metric,
            reason: 'missing'
          });
          continue;
        }
        // The server orders by step; points merged from several fetches
        // or logged with decreasing steps are ordered here again.
        const ordered = list
          .map((point, index) => ({ point, index }))
          .sort((a, b) => a.point.step - b.point.step || a.index - b.index)
          .map(entry => entry.point);
        const edges: (InfinityEdge | undefined)[] = [];
        const values = ordered.map(point => {
          const read = metricValue(point.value);
          if (read.kind === 'number') {
            edges.push(undefined);
            return read.value;
          }
          if (read.kind === 'not-finite' && read.value !== 'NaN') {
            infinite++;
            edges.push(read.value.startsWith('-') ? '−∞' : '+∞');
          } else {
            nan++;
            edges.push(undefined);
          }
          return null;
        });
        const line = `${component.name}\u0000${metric}`;
        ordered.forEach((point, index) => {
          const row: IChartRow = {
            component: component.name,
            label,
            trial,
            series: metric,
            x: timeValue(point, options.timeAxis, start),
            y: values[index],
            raw: values[index],
            value: valueText(point.value),
            step: point.step,
            line
          };
          if (color !== undefined) {
            row.color = color;
          }
          const edge = edges[index];
          if (edge !== undefined) {
            row.edge = edge;
          }
          rows.push(row);
        });
      }
    }
    const histogram = options.chartType === 'histogram';
    if (nan + infinite > 0) {
      notices.push({ kind: 'non-finite', nan, infinite, marked: !histogram });
    }
    if (options.logX && options.timeAxis !== 'wall_time' && !histogram) {
      applyLog(rows, 'x', notices);
    }
    if (options.logY && !histogram) {
      applyLog(rows, 'y', notices);
    }
    const smoothing = histogram ? 0 : options.smoothing;
    if (smoothing > 0) {
      smoothLines(rows, smoothing);
    }
    const pointCount = drawn(rows);
    if (pointCount === 0) {
      notices.push({ kind: 'no-data' });
      return { spec: null, rows, pointCount, leftOut, notices };
    }

    const xTitle =
      options.timeAxis === 'step'
        ? labels.step
        : options.timeAxis === 'wall_time'
          ? labels.wallTime
          : labels.relativeTime;
    const xType =
      options.timeAxis === 'wall_time' ? 'temporal' : 'quantitative';
    const yTitle = options.metrics.join(', ');
    const several = options.metrics.length > 1;
    const color = colorEncoding(options, rows, labels) ?? {
      field: several ? 'series' : 'label',
      type: 'nominal',
      title: several ? labels.metric : labels.component,
      ...(small ? { legend: null } : {})
    };
    const tooltip = tooltipOf(labels, xTitle, xType, [
      { field: 'step', type: 'quantitative', title: labels.step },
      ...(smoothing > 0
        ? [
            {
              field: 'y',
              type: 'quantitative',
              title: labels.smoothed,
              format: '.6~g'
            }
          ]
        : [])
    ]);

    if (histogram) {
      const spec = {
        ...base(rows, size),
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: {
            field: 'y',
            type: 'quantitative',
            bin: { maxbins: 30 },
            title: yTitle
          },
          y: { aggregate: 'count', type: 'quantitative', title: labels.count },
          color
        }
      } as unknown as TopLevelSpec;
      return { spec, rows, pointCount, leftOut, notices };
    }

    const markers =
      hasIsolatedPoint(rows) || longestLine(rows) <= POINT_MARKER_LIMIT;
    const x = {
      field: 'x',
      type: xType,
      title: xTitle,
      ...(xType === 'quantitative'
        ? {
            ...positionOf(
              options.logX,
              rows.map(row => row.x)
            )
          }
        : {})
    };
    const y = {
      field: 'y',
      type: 'quantitative',
      title: yTitle,
      ...positionOf(
        options.logY,
        rows.map(row => row.y)
      )
    };
    const common = {
      color,
      detail: { field: 'line' },
      order: { field: 'step' },
      ...(several && colorField(options.color) !== undefined
        ? { strokeDash: { field: 'series', title: labels.metric } }
        : {})
    };
    const kind = options.chartType === 'scatter' ? 'point' : options.chartType;
    const mainMark =
      kind === 'line'
        ? {
            type: 'line',
            ...(markers
              ? { point: { filled: true, size: small ? 16 : 30 } }
              : {})
          }
        : kind === 'bar'
          ? { type: 'bar' }
          : { type: 'point', filled: true };
    const main = {
      mark: mainMark,
      encoding: { x, y, ...common, tooltip },
      ...(small ? {} : { params: ZOOM_PARAMS })
    };
    const layers: Record<string, unknown>[] = [];
    if (smoothing > 0 && kind === 'line') {
      // The recorded values stay visible, faint, under the smoothed line.
      layers.push({
        mark: { type: 'line', opacity: 0.25 },
        encoding: { x, y: { ...y, field: 'raw' }, ...common }
      });
    }
    if (infinite > 0) {
      layers.push(...edgeLayers(x, common.color, labels, xTitle, xType, small));
    }
    let spec: Record<string, unknown>;
    if (layers.length > 0) {
      spec = { ...base(rows, size), layer: [...layers, main] };
    } else {
      spec = { ...base(rows, size), ...main };
    }
    return {
      spec: spec as unknown as TopLevelSpec,
      rows,
      pointCount,
      leftOut,
      notices
    };
  }

  /**
   * The area of the marks of infinite values, in square pixels.
   */
  const EDGE_MARK_SIZE = 80;
  const EDGE_MARK_SIZE_SMALL = 40;

  /**
   * Return the layers that mark infinite values: a triangle pointing up at
   * the top edge of the plot for +∞ and one pointing down at the bottom
   * edge for −∞, at the point's horizontal position and in its line's
   * color.
   *
   * #### Notes
   * The marks take a pixel position rather than a value of the vertical
   * scale, so they stay at the edges whatever the scale's domain, log
   * scales and zoom included.
   */
  function edgeLayers(
    x: Record<string, unknown>,
    color: Record<string, unknown>,
    labels: IChartLabels,
    xTitle: string,
    xType: string,
    small: boolean
  ): Record<string, unknown>[] {
    const tooltip = [
      { field: 'label', type: 'nominal', title: labels.component },
      { field: 'series', type: 'nominal', title: labels.metric },
      {
        field: 'x',
        type: xType,
        title: xTitle,
        ...(xType === 'temporal' ? { format: '%Y-%m-%d %H:%M:%S' } : {})
      },
      { field: 'step', type: 'quantitative', title: labels.step },
      { field: 'edge', type: 'nominal', title: labels.value }
    ];
    const size = small ? EDGE_MARK_SIZE_SMALL : EDGE_MARK_SIZE;
    // Half a triangle's height, so that the whole triangle is inside the plot.
    const inset = Math.round(Math.sqrt(size) / 2);
    return [
      { edge: '+∞', shape: 'triangle-up', y: 0, yOffset: inset },
      { edge: '−∞', shape: 'triangle-down', y: 'height', yOffset: -inset }
    ].map(({ edge, shape, y, yOffset }) => ({
      transform: [{ filter: { field: 'edge', equal: edge } }],
      mark: { type: 'point', shape, filled: true, size, opacity: 1, yOffset },
      encoding: { x, y: { value: y }, color, tooltip }
    }));
  }

  /**
   * Replace the vertical values of each line by their moving average.
   */
  function smoothLines(rows: IChartRow[], weight: number): void {
    const byLine = new Map<string, IChartRow[]>();
    for (const row of rows) {
      const list = byLine.get(row.line) ?? [];
      list.push(row);
      byLine.set(row.line, list);
    }
    for (const list of byLine.values()) {
      const smoothed = smooth(
        list.map(row => row.y),
        weight
      );
      list.forEach((row, index) => {
        row.y = smoothed[index];
      });
    }
  }

  /**
   * Return the horizontal value of a time series point.
   */
  function timeValue(
    point: IMetricPoint,
    axis: TimeAxis,
    start: number
  ): number {
    switch (axis) {
      case 'wall_time':
        return point.timestamp * 1000;
      case 'relative_time':
        return point.timestamp - start;
      default:
        return point.step;
    }
  }

  /**
   * Return the earliest timestamp of a component's points, the zero of
   * relative time.
   */
  function firstTimestamp(
    points: Readonly<Record<string, readonly IMetricPoint[]>>
  ): number {
    // A loop, because spreading 100,000s of points into Math.min exceeds the
    // engine's limit on arguments.
    let first = Infinity;
    for (const list of Object.values(points)) {
      for (const point of list) {
        first = Math.min(first, point.timestamp);
      }
    }
    return first;
  }

  /**
   * Return a metric value as text, with NaN spelled out.
   */
  function valueText(value: MetricValue): string {
    return value === null ? 'NaN' : String(value);
  }

  /**
   * Build a parallel coordinates chart: one line per component across the
   * dimensions, each dimension scaled to 0-1 between its minimum and maximum.
   */
  export function buildParallel(
    options: IChartOptions,
    components: readonly ITrialComponent[],
    size: IChartSize,
    labels: IChartLabels
  ): IChartBuild {
    const notices: ChartNotice[] = [];
    const dimensions = options.dimensions;
    if (dimensions.length < 2) {
      notices.push({ kind: 'incomplete', missing: 'dimensions' });
      return { spec: null, rows: [], pointCount: 0, leftOut: [], notices };
    }

    // A component is drawn only when every dimension has a number: a line
    // with a hole would suggest a value it does not have.
    const leftOut: ILeftOut[] = [];
    const complete: { component: ITrialComponent; values: number[] }[] = [];
    for (const component of components) {
      const values: number[] = [];
      for (const field of dimensions) {
        const read = readField(component, field);
        if (read.kind !== 'number') {
          leftOut.push({
            component: component.name,
            label: componentLabel(component),
            field: fieldLabel(field),
            reason: read.kind === 'missing' ? 'missing' : 'not-finite',
            ...(read.kind === 'missing' ? {} : { value: read.value })
          });
          break;
        }
        values.push(read.value);
      }
      if (values.length === dimensions.length) {
        complete.push({ component, values });
      }
    }

    const ranges = dimensions.map((_, index) => {
      const values = complete.map(entry => entry.values[index]);
      return { min: Math.min(...values), max: Math.max(...values) };
    });
    const rows: IChartRow[] = [];
    complete.sort((a, b) =>
      componentLabel(a.component).localeCompare(
        componentLabel(b.component),
        undefined,
        { numeric: true }
      )
    );
    for (const { component, values } of complete) {
      const color = colorValue(component, options.color);
      dimensions.forEach((field, index) => {
        const { min, max } = ranges[index];
        // A dimension where every component has the same value sits mid-height.
        const y = max > min ? (values[index] - min) / (max - min) : 0.5;
        const row: IChartRow = {
          component: component.name,
          label: componentLabel(component),
          trial: (component.trials ?? []).join(', '),
          series: fieldLabel(field),
          x: fieldLabel(field),
          y,
          value: String(values[index]),
          line: component.name
        };
        if (color !== undefined) {
          row.color = color;
        }
        rows.push(row);
      });
    }
    if (rows.length === 0) {
      notices.push({ kind: 'no-data' });
      return { spec: null, rows, pointCount: 0, leftOut, notices };
    }

    const color = colorEncoding(options, rows, labels) ?? {
      field: 'label',
      type: 'nominal',
      title: labels.component
    };
    const x = {
      field: 'x',
      type: 'nominal',
      title: labels.dimension,
      sort: dimensions.map(fieldLabel),
      axis: { labelAngle: 0, domain: false, grid: true, ticks: false }
    };
    const y = {
      field: 'y',
      type: 'quantitative',
      axis: null,
      scale: { domain: [0, 1] }
    };
    const tooltip = [
      { field: 'label', type: 'nominal', title: labels.component },
      { field: 'trial', type: 'nominal', title: labels.trial },
      { field: 'series', type: 'nominal', title: labels.dimension },
      { field: 'value', type: 'nominal', title: labels.value }
    ];
    const spec = {
      ...base(rows, size),
      layer: [
        {
          mark: { type: 'line' },
          encoding: { x, y, color, detail: { field: 'line' } }
        },
        {
          mark: { type: 'point', filled: true, size: 40 },
          encoding: { x, y, color, tooltip }
        }
      ]
    } as unknown as TopLevelSpec;
    return { spec, rows, pointCount: rows.length, leftOut, notices };
  }

  /**
   * Return one CSV cell.
   */
  export function csvCell(value: unknown): string {
    if (value === undefined || value === null) {
      return '';
    }
    if (typeof value === 'number') {
      return String(value);
    }
    let text = String(value);
    if (/^[=+\-@\t\r]/.test(text)) {
      text = `'${text}`;
    }
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }
}
