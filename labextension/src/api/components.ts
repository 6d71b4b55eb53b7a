/**
 * REST requests about trial components: the paged query, the column names,
 * the CSV export, one component, its metric series and its job log.
 *
 * #### Notes
 * Queries go as POST with a JSON body, which the server reads with the
 * `read` permission, so that long lists of names never hit URL length limits.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_PATH, IPage, requestAPI } from '../api';

/**
 * The trial components a table shows: the union of the components of the
 * experiments, of the trials and, with `unassigned`, of no trial.
 */
export interface IComponentSelection {
  /**
   * Experiment names.
   */
  experiments?: string[];

  /**
   * Trial names.
   */
  trials?: string[];

  /**
   * Whether the trial components in no trial are included.
   */
  unassigned?: boolean;
}

/**
 * A metric value as the REST API sends it: a number, `null` for NaN, or the
 * strings `"Infinity"` and `"-Infinity"`.
 */
export type MetricValue = number | null | 'Infinity' | '-Infinity';

/**
 * The summary statistics of one metric of a trial component.
 */
export interface IMetricSummary {
  /**
   * The minimum of the points that are not NaN.
   */
  min: MetricValue;

  /**
   * The maximum of the points that are not NaN.
   */
  max: MetricValue;

  /**
   * The mean of the points that are not NaN.
   */
  avg: MetricValue;

  /**
   * The standard deviation of the points that are not NaN.
   */
  std_dev: MetricValue;

  /**
   * The value of the point with the highest step.
   */
  last: MetricValue;

  /**
   * The value of the point with the lowest step.
   */
  first?: MetricValue;

  /**
   * The number of points that are not NaN.
   */
  count: number;

  /**
   * The number of NaN points.
   */
  nan_count?: number;

  /**
   * The step of the last point.
   */
  last_step?: number | null;

  /**
   * When the last point was logged, in seconds since the epoch.
   */
  last_timestamp?: number | null;
}

/**
 * An input or output artifact.
 */
export interface IArtifact {
  /**
   * The artifact's location or value: a URI, a path or any text.
   */
  value: string;

  /**
   * The media type, or null when none was recorded.
   */
  media_type: string | null;
}

/**
 * A parameter value; the store keeps its type.
 */
export type ParameterValue = number | string | boolean | null;

/**
 * A trial component as the REST API returns it.
 *
 * #### Notes
 * A query that requests some column groups only returns those fields, so
 * every field but `name` may be missing. Times are seconds since the epoch.
 */
export interface ITrialComponent {
  /**
   * The unique name.
   */
  name: string;

  /**
   * The name shown to people.
   */
  display_name?: string;

  /**
   * The trials the component belongs to.
   */
  trials?: string[];

  /**
   * The experiments of those trials.
   */
  experiments?: string[];

  /**
   * Each parameter's type (`boolean`, `integer`, `float` or `string`); only
   * in the reply for one component, since JSON cannot tell the float
   * infinity from the string `"Infinity"`.
   */
  parameter_types?: Record<string, string>;

  /**
   * Each trial with its experiment; only in the reply for one component.
   */
  trial_mappings?: { trial: string; experiment: string }[];

  /**
   * `InProgress`, `Completed`, `Failed`, `Stopping`, `Stopped` or null.
   */
  status?: string | null;

  /**
   * A message about the status, such as why a job failed.
   */
  status_message?: string | null;

  /**
   * When the component was created.
   */
  created_at?: number;

  /**
   * When the component last changed.
   */
  modified_at?: number;

  /**
   * When the work started, or null.
   */
  start_time?: number | null;

  /**
   * When the work ended, or null.
   */
  end_time?: number | null;

  /**
   * The identifier of what produced the component, such as `training-job/<job>`.
   */
  source_arn?: string | null;

  /**
   * The kind of source, such as `local-training-job`.
   */
  source_type?: string | null;

  /**
   * Parameters by name.
   */
  parameters?: Record<string, ParameterValue>;

  /**
   * Metric summaries by metric name.
   */
  metrics?: Record<string, IMetricSummary>;

  /**
   * Input artifacts by name.
   */
  input_artifacts?: Record<string, IArtifact>;

  /**
   * Output artifacts by name.
   */
  output_artifacts?: Record<string, IArtifact>;

  /**
   * Job settings by key; values are any JSON.
   */
  job_settings?: Record<string, unknown>;

  /**
   * Tags as key-value pairs.
   */
  tags?: Record<string, string>;
}

/**
 * The parameter, metric and artifact names of a selection, from
 * `POST experiments/api/query/columns`.
 */
export interface IComponentColumns {
  /**
   * Parameter names with the type of their values: `number`, `string`,
   * `boolean`, or `mixed` when components disagree.
   */
  parameters: { name: string; type: string }[];

  /**
   * Metric names.
   */
  metrics: { name: string }[];

  /**
   * Artifact names with their kind, `input` or `output`.
   */
  artifacts: { name: string; kind: string }[];

  /**
   * Job setting keys with the JSON type of their values (`number`, `string`,
   * `boolean`, `array`, `object`, `null`), or `mixed` when components
   * disagree. Absent from servers older than this field.
   */
  job_settings?: { name: string; type: string }[];
}

/**
 * A sort order of the REST API.
 */
export type SortOrder = 'Ascending' | 'Descending';

/**
 * A query of trial components.
 */
export interface IComponentQuery extends IComponentSelection {
  /**
   * A SageMaker-style search expression that narrows the selection.
   */
  search_expression?: Record<string, unknown>;

  /**
   * The sort key, such as `CreationTime`, `metrics.<name>.Max` or
   * `parameters.<name>`; the server's default is newest first.
   */
  sort_by?: string;

  /**
   * The sort direction.
   */
  sort_order?: SortOrder;

  /**
   * The page size, 1 to 1000.
   */
  limit?: number;

  /**
   * The `next_cursor` of the previous page, or absent for the first page.
   */
  cursor?: string;

  /**
   * The index of the page's first row, 0 to the query's total, in place of
   * `cursor`: it fetches any page directly.
   */
  offset?: number;

  /**
   * The column groups or single keys to return; all when absent.
   */
  columns?: string[];
}

/**
 * A point of a metric series.
 */
export interface IMetricPoint {
  /**
   * The step, such as the epoch.
   */
  step: number;

  /**
   * When the point was logged, in seconds since the epoch.
   */
  timestamp: number;

  /**
   * The value.
   */
  value: MetricValue;
}

/**
 * The reply of `GET trial-components/{name}/metrics`.
 */
export interface IMetricSeriesReply {
  /**
   * The trial component's name.
   */
  trial_component: string;

  /**
   * The points of each metric asked for, ordered by step.
   */
  series: Record<string, IMetricPoint[]>;
}

/**
 * The reply of `GET trial-components/{name}/log`.
 */
export interface ILogTail {
  /**
   * The trial component's name.
   */
  trial_component: string;

  /**
   * The last lines of the log, oldest first.
   */
  lines: string[];

  /**
   * Whether the log has lines before the first one returned.
   */
  truncated: boolean;

  /**
   * The size of the log file in bytes.
   */
  size: number;
}

/**
 * The experiments and trials that a query names but that do not exist, such
 * as deleted ones.
 */
export interface IMissingParents {
  experiments: string[];
  trials: string[];
}

/**
 * One page of the trial component query.
 */
export interface IComponentPage extends IPage<ITrialComponent> {
  /**
   * The experiments and trials of the selection that do not exist; absent
   * from servers older than this field.
   */
  missing?: IMissingParents;
}

/**
 * The maximum number of metric series in one request, as the server enforces.
 */
export const MAX_SERIES_PER_REQUEST = 50;

/**
 * Request one page of trial components.
 *
 * @param query - The selection, sort, page and columns.
 * @param serverSettings - The application's server settings.
 * @returns The page with the total count of the query.
 */
export function queryComponents(
  query: IComponentQuery,
  serverSettings?: ServerConnection.ISettings
): Promise<IComponentPage> {
  return requestAPI<IComponentPage>(
    'query/trial-components',
    { method: 'POST', body: JSON.stringify(query) },
    serverSettings
  );
}

/**
 * Request the parameter, metric and artifact names of a selection, without rows.
 *
 * @param selection - The trial components to look at.
 * @param serverSettings - The application's server settings.
 */
export function fetchColumns(
  selection: IComponentSelection,
  serverSettings?: ServerConnection.ISettings
): Promise<IComponentColumns> {
  return requestAPI<IComponentColumns>(
    'query/columns',
    { method: 'POST', body: JSON.stringify(selection) },
    serverSettings
  );
}

/**
 * Request one trial component with every field.
 *
 * @param name - The trial component's name.
 * @param serverSettings - The application's server settings.
 */
export function getComponent(
  name: string,
  serverSettings?: ServerConnection.ISettings
): Promise<ITrialComponent> {
  return requestAPI<ITrialComponent>(
    `trial-components/${encodeURIComponent(name)}`,
    {},
    serverSettings
  );
}

/**
 * Request the points of some metrics of a trial component.
 *
 * @param name - The trial component's name.
 * @param metrics - The metric names; at most `MAX_SERIES_PER_REQUEST`.
 * @param maxPoints - Downsample each series to about this many points; 0 for all.
 * @param serverSettings - The application's server settings.
 */
export function getMetricSeries(
  name: string,
  metrics: readonly string[],
  maxPoints: number,
  serverSettings?: ServerConnection.ISettings
): Promise<IMetricSeriesReply> {
  // Metric names may contain commas, so each name is its own parameter.
  const query = metrics
    .map(metric => `name=${encodeURIComponent(metric)}`)
    .concat(`max_points=${maxPoints}`)
    .join('&');
  return requestAPI<IMetricSeriesReply>(
    `trial-components/${encodeURIComponent(name)}/metrics?${query}`,
    {},
    serverSettings
  );
}

/**
 * Request the last lines of a trial component's job log.
 *
 * @param name - The trial component's name.
 * @param lines - How many lines, 1 to 10,000.
 * @param serverSettings - The application's server settings.
 * @returns The lines; the request fails with status 404 when the component
 *   has no output artifact `log`.
 */
export function getLogTail(
  name: string,
  lines: number,
  serverSettings?: ServerConnection.ISettings
): Promise<ILogTail> {
  return requestAPI<ILogTail>(
    `trial-components/${encodeURIComponent(name)}/log${URLExt.objectToQueryString({ lines })}`,
    {},
    serverSettings
  );
}

/**
 * Request trial components as CSV text, in the layout of `ExperimentAnalytics`.
 *
 * @param query - The selection, sort and columns; `limit` and `cursor` are not taken.
 * @param serverSettings - The application's server settings.
 * @returns The CSV text.
 */
export async function exportComponentsCsv(
  query: Omit<IComponentQuery, 'limit' | 'cursor'>,
  serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<string> {
  const url = URLExt.join(serverSettings.baseUrl, API_PATH, 'query/csv');
  const response = await ServerConnection.makeRequest(
    url,
    { method: 'POST', body: JSON.stringify(query), cache: 'no-cache' },
    serverSettings
  );
  const text = await response.text();
  if (!response.ok) {
    throw new ServerConnection.ResponseError(
      response,
      Private.errorMessage(response, text)
    );
  }
  return text;
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * Return the server's `message` of an error reply, or the status line.
   */
  export function errorMessage(response: Response, body: string): string {
    try {
      const parsed: unknown = JSON.parse(body);
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        'message' in parsed &&
        typeof parsed.message === 'string'
      ) {
        return parsed.message;
      }
    } catch {
      // Not JSON: fall back to the status line.
    }
    return `CSV export failed: ${response.status} ${response.statusText}`;
  }
}
