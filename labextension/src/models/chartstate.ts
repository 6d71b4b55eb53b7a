/**
 * The saved state of a chart tab, which the layout restorer stores in the
 * workspace and passes back to the restore command after a page reload.
 *
 * #### Notes
 * The state database returns whatever an older or newer version of the
 * extension saved, so the parsers here check every field: an option of the
 * wrong type falls back to its default rather than breaking the chart.
 */

import { IComponentSelection } from '../api/components';
import {
  ChartDataType,
  ChartType,
  IChartColor,
  IChartOptions,
  IFieldRef,
  MAX_SMOOTHING,
  TimeAxis
} from './chartspec';
import { isMetricStatistic } from './tablecolumns';

/**
 * The state a chart tab needs to open again after a reload.
 */
export interface IChartState {
  /**
   * The chart's name in the layout restorer, the same across reloads.
   */
  id: string;

  /**
   * The chart's number, the N of its title "Chart N: …".
   */
  number: number;

  /**
   * The tab's title.
   */
  label: string;

  /**
   * The tab's tooltip.
   */
  caption: string;

  /**
   * The trial components the chart was opened for. A restored chart shows
   * them until rows are selected in its table.
   */
  names: string[];

  /**
   * The selection of the trial component list the chart follows, or null
   * when it follows none.
   */
  table: Required<IComponentSelection> | null;

  /**
   * The chart properties.
   */
  options: IChartOptions;
}

/**
 * The options of a chart whose saved options are missing or invalid: a
 * summary line chart with no axes chosen.
 */
export const FALLBACK_OPTIONS: IChartOptions = {
  dataType: 'summary',
  chartType: 'line',
  x: null,
  y: [],
  timeAxis: 'step',
  metrics: [],
  dimensions: [],
  color: { by: 'none' },
  logX: false,
  logY: false,
  smoothing: 0
};

/**
 * Return the state read from saved JSON, or null when it lacks the chart's
 * id or the names of its trial components.
 */
export function parseChartState(value: unknown): IChartState | null {
  if (!Private.isObject(value)) {
    return null;
  }
  const id = value.id;
  const names = Private.strings(value.names);
  if (typeof id !== 'string' || id === '' || names === null) {
    return null;
  }
  const label = typeof value.label === 'string' ? value.label : '';
  const number =
    typeof value.number === 'number' && Number.isInteger(value.number)
      ? value.number
      : 0;
  return {
    id,
    number,
    label,
    caption: typeof value.caption === 'string' ? value.caption : label,
    names,
    table: parseSelection(value.table),
    options: parseChartOptions(value.options)
  };
}

/**
 * Return chart options read from saved JSON, each invalid or missing field
 * replaced by its value in `FALLBACK_OPTIONS`.
 */
export function parseChartOptions(value: unknown): IChartOptions {
  const saved = Private.isObject(value) ? value : {};
  const fallback = FALLBACK_OPTIONS;
  const oneOf = <T extends string>(
    field: unknown,
    allowed: readonly T[],
    otherwise: T
  ): T => (allowed.includes(field as T) ? (field as T) : otherwise);
  const flag = (field: unknown, otherwise: boolean): boolean =>
    typeof field === 'boolean' ? field : otherwise;
  const smoothing =
    typeof saved.smoothing === 'number' && Number.isFinite(saved.smoothing)
      ? Math.min(Math.max(saved.smoothing, 0), MAX_SMOOTHING)
      : fallback.smoothing;

  return {
    dataType: oneOf<ChartDataType>(
      saved.dataType,
      ['summary', 'series'],
      fallback.dataType
    ),
    chartType: oneOf<ChartType>(
      saved.chartType,
      ['line', 'scatter', 'bar', 'histogram', 'parallel'],
      fallback.chartType
    ),
    x: parseField(saved.x),
    y: Private.fields(saved.y),
    timeAxis: oneOf<TimeAxis>(
      saved.timeAxis,
      ['step', 'wall_time', 'relative_time'],
      fallback.timeAxis
    ),
    metrics: Private.strings(saved.metrics) ?? [...fallback.metrics],
    dimensions: Private.fields(saved.dimensions),
    color: parseColor(saved.color),
    logX: flag(saved.logX, fallback.logX),
    logY: flag(saved.logY, fallback.logY),
    smoothing
  };
}

/**
 * Return a parameter or metric field read from saved JSON, or null.
 */
export function parseField(value: unknown): IFieldRef | null {
  if (!Private.isObject(value) || typeof value.name !== 'string') {
    return null;
  }
  if (value.kind === 'parameter') {
    return { kind: 'parameter', name: value.name };
  }
  if (value.kind === 'metric') {
    return {
      kind: 'metric',
      name: value.name,
      statistic: isMetricStatistic(value.statistic) ? value.statistic : 'last'
    };
  }
  return null;
}

/**
 * Return a trial component list's selection read from saved JSON, or null.
 */
export function parseSelection(
  value: unknown
): Required<IComponentSelection> | null {
  if (!Private.isObject(value)) {
    return null;
  }
  return {
    experiments: Private.strings(value.experiments) ?? [],
    trials: Private.strings(value.trials) ?? [],
    unassigned: value.unassigned === true
  };
}

/**
 * Return the coloring read from saved JSON, or no coloring when it is
 * invalid.
 */
function parseColor(value: unknown): IChartColor {
  if (!Private.isObject(value)) {
    return { ...FALLBACK_OPTIONS.color };
  }
  switch (value.by) {
    case 'trial':
    case 'component':
      return { by: value.by };
    case 'parameter':
      return typeof value.parameter === 'string'
        ? { by: 'parameter', parameter: value.parameter }
        : { ...FALLBACK_OPTIONS.color };
    default:
      return { ...FALLBACK_OPTIONS.color };
  }
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * Return whether a value is a JSON object.
   */
  export function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  }

  /**
   * Return the strings of an array, or null when the value is no array.
   */
  export function strings(value: unknown): string[] | null {
    if (!Array.isArray(value)) {
      return null;
    }
    return value.filter((item): item is string => typeof item === 'string');
  }

  /**
   * Return the valid fields of an array, or none when the value is no
   * array.
   */
  export function fields(value: unknown): IFieldRef[] {
    if (!Array.isArray(value)) {
      return [];
    }
    return value
      .map(parseField)
      .filter((field): field is IFieldRef => field !== null);
  }
}
