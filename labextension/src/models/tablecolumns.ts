/**
 * The columns of the trial component list: their groups, keys, server sort
 * keys, and the text each cell shows.
 */

import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

import {
  IComponentColumns,
  ITrialComponent,
  MetricValue
} from '../api/components';

/**
 * A summary statistic of a metric that a metric column can show.
 */
export type MetricStatistic =
  'min' | 'max' | 'avg' | 'std_dev' | 'last' | 'count';

/**
 * The statistics in menu order.
 */
export const METRIC_STATISTICS: readonly MetricStatistic[] = [
  'min',
  'max',
  'avg',
  'std_dev',
  'last',
  'count'
];

/**
 * The spelling of each statistic in server sort keys (`metrics.<name>.Max`)
 * and in menus.
 */
export const STATISTIC_NAMES: Readonly<Record<MetricStatistic, string>> = {
  min: 'Min',
  max: 'Max',
  avg: 'Avg',
  std_dev: 'StdDev',
  last: 'Last',
  count: 'Count'
};

/**
 * Whether a value is one of the metric statistics.
 */
export function isMetricStatistic(value: unknown): value is MetricStatistic {
  return (
    typeof value === 'string' &&
    (METRIC_STATISTICS as readonly string[]).includes(value)
  );
}

/**
 * A group of columns, shown as a merged header above its columns and as a
 * checkbox in the Table properties pane.
 */
export type ColumnGroupId =
  | 'trial'
  | 'component'
  | 'metrics'
  | 'parameters'
  | 'input_artifacts'
  | 'output_artifacts'
  | 'job_settings';

/**
 * The groups in display order.
 */
export const COLUMN_GROUPS: readonly ColumnGroupId[] = [
  'trial',
  'component',
  'metrics',
  'parameters',
  'input_artifacts',
  'output_artifacts',
  'job_settings'
];

/**
 * What a column shows, which decides how its cells are read and formatted.
 */
export type ColumnKind =
  | 'trials'
  | 'experiments'
  | 'display_name'
  | 'name'
  | 'status'
  | 'source'
  | 'created'
  | 'modified'
  | 'duration'
  | 'metric'
  | 'parameter'
  | 'input_artifact'
  | 'output_artifact'
  | 'job_setting';

/**
 * One column of the trial component list.
 */
export interface IColumn {
  /**
   * The unique key, such as `name`, `metrics.test:accuracy` or
   * `parameters.lr`; layouts store columns by it.
   */
  readonly key: string;

  /**
   * The group the column belongs to.
   */
  readonly group: ColumnGroupId;

  /**
   * The kind of value the column shows.
   */
  readonly kind: ColumnKind;

  /**
   * The header text: a translated title for the fixed columns, the metric,
   * parameter, artifact or job setting name for the others.
   */
  readonly label: string;

  /**
   * The metric, parameter, artifact or job setting name, or '' for fixed columns.
   */
  readonly name: string;
}

/**
 * The text of one cell and its tooltip.
 */
export interface ICellText {
  /**
   * The text in the cell; '' for a missing value.
   */
  readonly text: string;

  /**
   * The tooltip: the whole value, or why the cell is empty.
   */
  readonly title: string;
}

/**
 * Return the translated title of each column group.
 */
export function groupLabels(
  trans: TranslationBundle = nullTranslator.load('jupyter_experiments')
): Record<ColumnGroupId, string> {
  return {
    trial: trans.__('Trial'),
    component: trans.__('Trial component'),
    metrics: trans.__('Metrics'),
    parameters: trans.__('Parameters'),
    input_artifacts: trans.__('Input artifacts'),
    output_artifacts: trans.__('Output artifacts'),
    job_settings: trans.__('Job settings')
  };
}

/**
 * Build the columns of a selection in their default order.
 *
 * @param found - The names the columns endpoint returned.
 * @param jobSettingKeys - The job setting keys seen in loaded rows, which
 *   may include keys written after `found` was read.
 * @param trans - The translation bundle of the fixed column titles.
 */
export function buildColumns(
  found: IComponentColumns,
  jobSettingKeys: readonly string[],
  trans: TranslationBundle = nullTranslator.load('jupyter_experiments')
): IColumn[] {
  const fixed = (
    group: ColumnGroupId,
    kind: ColumnKind,
    label: string
  ): IColumn => ({ key: kind, group, kind, label, name: '' });
  const named = (
    group: ColumnGroupId,
    kind: ColumnKind,
    prefix: string,
    name: string
  ): IColumn => ({ key: `${prefix}.${name}`, group, kind, label: name, name });

  const columns: IColumn[] = [
    fixed('trial', 'trials', trans.__('Trial name')),
    fixed('trial', 'experiments', trans.__('Experiment name')),
    fixed('component', 'display_name', trans.__('Display name')),
    fixed('component', 'name', trans.__('Name')),
    fixed('component', 'status', trans.__('Status')),
    fixed('component', 'source', trans.__('Source')),
    fixed('component', 'created', trans.__('Created')),
    fixed('component', 'modified', trans.__('Last modified')),
    fixed('component', 'duration', trans.__('Duration'))
  ];
  for (const metric of found.metrics) {
    columns.push(named('metrics', 'metric', 'metrics', metric.name));
  }
  for (const parameter of found.parameters) {
    columns.push(
      named('parameters', 'parameter', 'parameters', parameter.name)
    );
  }
  for (const artifact of found.artifacts) {
    if (artifact.kind === 'input') {
      columns.push(
        named('input_artifacts', 'input_artifact', 'input', artifact.name)
      );
    } else {
      columns.push(
        named('output_artifacts', 'output_artifact', 'output', artifact.name)
      );
    }
  }
  const keys = new Set([
    ...(found.job_settings ?? []).map(setting => setting.name),
    ...jobSettingKeys
  ]);
  for (const key of [...keys].sort()) {
    columns.push(named('job_settings', 'job_setting', 'job', key));
  }
  return columns;
}

/**
 * Return the server's sort key of a column, or null when the server cannot
 * sort by it.
 *
 * @param column - The column.
 * @param statistic - The statistic a metric column shows.
 */
export function sortKeyOf(
  column: IColumn,
  statistic: MetricStatistic
): string | null {
  switch (column.kind) {
    case 'trials':
      return 'trial';
    case 'experiments':
      return 'experiment';
    case 'display_name':
      return 'DisplayName';
    case 'name':
      return 'Name';
    case 'status':
      return 'Status';
    case 'source':
      return 'Source.SourceType';
    case 'created':
      return 'CreationTime';
    case 'modified':
      return 'LastModifiedTime';
    case 'duration':
      return 'duration';
    case 'metric':
      return `metrics.${column.name}.${STATISTIC_NAMES[statistic]}`;
    case 'parameter':
      return `parameters.${column.name}`;
    case 'input_artifact':
      return `input_artifacts.${column.name}`;
    case 'output_artifact':
      return `output_artifacts.${column.name}`;
    case 'job_setting':
      return `job_settings.${column.name}`;
    default:
      return null;
  }
}

/**
 * Return the value a cell compares by: the raw value for "Only columns that
 * differ", `undefined` when the row has none.
 *
 * @param row - The trial component.
 * @param column - The column.
 * @param statistic - The statistic a metric column shows.
 * @param now - The current time in seconds, for the duration of running work.
 */
export function cellValue(
  row: ITrialComponent,
  column: IColumn,
  statistic: MetricStatistic,
  now: number
): unknown {
  switch (column.kind) {
    case 'trials':
      return row.trials?.join(', ');
    case 'experiments':
      return row.experiments?.join(', ');
    case 'display_name':
      return row.display_name;
    case 'name':
      return row.name;
    case 'status':
      return row.status ?? undefined;
    case 'source':
      return row.source_type ?? undefined;
    case 'created':
      return row.created_at;
    case 'modified':
      return row.modified_at;
    case 'duration':
      return durationOf(row, now);
    case 'metric': {
      const summary = row.metrics?.[column.name];
      return summary === undefined ? undefined : summary[statistic];
    }
    case 'parameter':
      return row.parameters?.[column.name];
    case 'input_artifact':
      return row.input_artifacts?.[column.name]?.value;
    case 'output_artifact':
      return row.output_artifacts?.[column.name]?.value;
    case 'job_setting':
      return row.job_settings?.[column.name];
  }
}

/**
 * Return the seconds a trial component's work took, or ran so far while it
 * is in progress; undefined without a start time.
 */
export function durationOf(
  row: ITrialComponent,
  now: number
): number | undefined {
  if (row.start_time === null || row.start_time === undefined) {
    return undefined;
  }
  if (row.end_time !== null && row.end_time !== undefined) {
    return Math.max(0, row.end_time - row.start_time);
  }
  if (row.status === 'InProgress' || row.status === 'Stopping') {
    return Math.max(0, now - row.start_time);
  }
  return undefined;
}

/**
 * Turns cell values into text, with the translated tooltips of empty cells.
 */
export class CellFormatter {
  /**
   * Construct a formatter that writes its messages with `trans`.
   */
  constructor(
    trans: TranslationBundle = nullTranslator.load('jupyter_experiments')
  ) {
    this._trans = trans;
  }

  /**
   * Return the text and tooltip of one cell.
   *
   * @param row - The trial component.
   * @param column - The column.
   * @param statistic - The statistic a metric column shows.
   * @param now - The current time in seconds.
   */
  cell(
    row: ITrialComponent,
    column: IColumn,
    statistic: MetricStatistic,
    now: number
  ): ICellText {
    const trans = this._trans;
    const value = cellValue(row, column, statistic, now);

    if (column.kind === 'metric') {
      if (value === undefined) {
        return {
          text: '',
          title: trans.__('No metric %1 on this trial component', column.name)
        };
      }
      if (value === null) {
        return {
          text: '',
          title: trans.__(
            'NaN: metric %1 has no %2 value',
            column.name,
            STATISTIC_NAMES[statistic]
          )
        };
      }
      const text = formatMetric(value as MetricValue);
      return {
        text,
        title: `${column.name} (${STATISTIC_NAMES[statistic]}): ${String(value)}`
      };
    }
    if (value === undefined || value === null || value === '') {
      return { text: '', title: trans.__('No value') };
    }

    switch (column.kind) {
      case 'created':
      case 'modified': {
        const text = formatTime(value as number);
        return { text, title: text };
      }
      case 'duration': {
        const text = formatDuration(value as number);
        return { text, title: text };
      }
      case 'status': {
        const message = row.status_message;
        return {
          text: String(value),
          title: message ? `${String(value)}: ${message}` : String(value)
        };
      }
      case 'source': {
        const arn = row.source_arn;
        return {
          text: String(value),
          title: arn ? `${String(value)}: ${arn}` : String(value)
        };
      }
      case 'input_artifact':
      case 'output_artifact': {
        const artifacts =
          column.kind === 'input_artifact'
            ? row.input_artifacts
            : row.output_artifacts;
        const mediaType = artifacts?.[column.name]?.media_type;
        return {
          text: String(value),
          title: mediaType ? `${String(value)} (${mediaType})` : String(value)
        };
      }
      default: {
        const text =
          typeof value === 'object' ? JSON.stringify(value) : String(value);
        return { text, title: text };
      }
    }
  }

  private _trans: TranslationBundle;
}

/**
 * Return a metric value as text: integers as they are, other numbers with
 * six significant digits, and the infinities spelled out.
 */
export function formatMetric(value: MetricValue): string {
  if (value === null) {
    return '';
  }
  if (typeof value === 'string') {
    return value;
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e9 || magnitude < 1e-4)) {
    return value.toExponential(4);
  }
  return String(Number(value.toPrecision(6)));
}

/**
 * Return a time in seconds since the epoch as local date and time text.
 */
export function formatTime(seconds: number): string {
  // One formatter for all cells: creating one per call is the slow part.
  Private.timeFormat ??= new Intl.DateTimeFormat(undefined, {
    dateStyle: 'short',
    timeStyle: 'medium'
  });
  return Private.timeFormat.format(new Date(seconds * 1000));
}

/**
 * Return a duration in seconds as text such as `42.5 s`, `3 min 05 s` or
 * `2 h 03 min`.
 */
export function formatDuration(seconds: number): string {
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const whole = Math.round(seconds);
  if (whole < 3600) {
    const minutes = Math.floor(whole / 60);
    return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  }
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  return `${hours} h ${String(minutes).padStart(2, '0')} min`;
}

/**
 * State private to this module.
 */
namespace Private {
  /**
   * The formatter of times, created on first use.
   */
  export let timeFormat: Intl.DateTimeFormat | undefined;
}
