/**
 * The REST requests of the Experiments sidebar: the lists of its three levels
 * (experiments, trials, trial components) and the deletions it offers.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IExperiment, IPage, MAX_PAGE_SIZE, requestAPI } from '../api';

/**
 * A trial as `GET experiments/api/experiments/{experiment}/trials` returns it.
 */
export interface ITrial {
  /**
   * The unique name of the trial.
   */
  name: string;

  /**
   * The name shown to people.
   */
  display_name: string;

  /**
   * The name of the experiment the trial belongs to.
   */
  experiment: string;

  /**
   * When the trial was created, in seconds since the epoch.
   */
  created_at: number;

  /**
   * When the trial last changed, in seconds since the epoch.
   */
  modified_at: number;

  /**
   * The number of trial components in the trial.
   */
  component_count: number;

  /**
   * The number of trial components per status, such as `{"Completed": 2}`;
   * components without a status count as `Unknown`.
   */
  status_counts: Record<string, number>;

  /**
   * Tags as key-value pairs.
   */
  tags: Record<string, string>;
}

/**
 * A trial component with the fields the sidebar requests from
 * `GET experiments/api/query/trial-components`.
 */
export interface IComponentSummary {
  /**
   * The unique name of the trial component.
   */
  name: string;

  /**
   * The name shown to people, or null when none was set.
   */
  display_name: string | null;

  /**
   * The primary status (`InProgress`, `Completed`, `Failed`, `Stopping`,
   * `Stopped`), or null when none was recorded.
   */
  status: string | null;

  /**
   * The message that explains the status, or null.
   */
  status_message: string | null;

  /**
   * When the trial component was created, in seconds since the epoch.
   */
  created_at: number;

  /**
   * When the trial component last changed, in seconds since the epoch.
   */
  modified_at: number;

  /**
   * The ARN or path of the job that produced the component, or null.
   */
  source_arn: string | null;

  /**
   * The kind of job that produced the component, or null.
   */
  source_type: string | null;

  /**
   * The names of the trials that contain the component.
   */
  trials: string[];

  /**
   * The names of the experiments of those trials.
   */
  experiments: string[];
}

/**
 * The trial components that a query of the sidebar covers: the union of the
 * components of `experiments`, of `trials` and, with `unassigned`, of those
 * in no trial.
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
   * Whether to include the trial components that belong to no trial.
   */
  unassigned?: boolean;
}

/**
 * The reply of `DELETE experiments/api/experiments/{experiment}?force=true`.
 */
export interface IDeleteExperimentResult {
  /**
   * The name of the deleted experiment.
   */
  experiment: string;

  /**
   * The names of the deleted trials.
   */
  trials: string[];

  /**
   * The names of the deleted trial components.
   */
  trial_components: string[];

  /**
   * The names of the trial components that were kept because a trial of
   * another experiment contains them.
   */
  kept_trial_components: string[];
}

/**
 * The reply of `DELETE experiments/api/experiments/{experiment}/trials/{trial}`.
 */
export interface IDeleteTrialResult {
  /**
   * The name of the deleted trial.
   */
  trial: string;

  /**
   * The names of the deleted trial components.
   */
  trial_components: string[];

  /**
   * The names of the trial components that were kept because another trial
   * contains them.
   */
  kept_trial_components: string[];
}

/**
 * The component fields the sidebar shows, as `columns` groups of the query API.
 */
const COMPONENT_COLUMNS = 'display_name,status,times,source,trials,experiments';

/**
 * List the experiments whose name or display name contains a text.
 *
 * @param nameContains - The text to look for, case-insensitively; empty for all.
 * @param serverSettings - The application's server settings.
 */
export function fetchExperiments(
  nameContains: string,
  serverSettings: ServerConnection.ISettings
): Promise<IExperiment[]> {
  return Private.fetchAll<IExperiment>(
    'experiments',
    Private.nameQuery(nameContains),
    serverSettings
  );
}

/**
 * List the trials of an experiment whose name or display name contains a text.
 *
 * @param experiment - The experiment name.
 * @param nameContains - The text to look for, case-insensitively; empty for all.
 * @param serverSettings - The application's server settings.
 */
export function fetchTrials(
  experiment: string,
  nameContains: string,
  serverSettings: ServerConnection.ISettings
): Promise<ITrial[]> {
  return Private.fetchAll<ITrial>(
    `experiments/${encodeURIComponent(experiment)}/trials`,
    Private.nameQuery(nameContains),
    serverSettings
  );
}

/**
 * List the trial components of a selection whose name or display name contains a text.
 *
 * @param selection - The experiments, trials or unassigned entry to cover.
 * @param nameContains - The text to look for, case-insensitively; empty for all.
 * @param serverSettings - The application's server settings.
 */
export function fetchComponents(
  selection: IComponentSelection,
  nameContains: string,
  serverSettings: ServerConnection.ISettings
): Promise<IComponentSummary[]> {
  return Private.fetchAll<IComponentSummary>(
    'query/trial-components',
    {
      ...Private.selectionQuery(selection),
      ...Private.nameQuery(nameContains),
      columns: COMPONENT_COLUMNS
    },
    serverSettings
  );
}

/**
 * List only the names of the trial components of a selection.
 *
 * @param selection - The experiments, trials or unassigned entry to cover.
 * @param serverSettings - The application's server settings.
 */
export async function fetchComponentNames(
  selection: IComponentSelection,
  serverSettings: ServerConnection.ISettings
): Promise<string[]> {
  // A `columns` list with only `name` returns records with the name alone.
  const records = await Private.fetchAll<{ name: string }>(
    'query/trial-components',
    { ...Private.selectionQuery(selection), columns: 'name' },
    serverSettings
  );
  return records.map(record => record.name);
}

/**
 * Count the trial components of a selection.
 *
 * @param selection - The experiments, trials or unassigned entry to cover.
 * @param serverSettings - The application's server settings.
 */
export async function countComponents(
  selection: IComponentSelection,
  serverSettings: ServerConnection.ISettings
): Promise<number> {
  const query = {
    ...Private.selectionQuery(selection),
    columns: 'name',
    limit: 1
  };
  const page = await requestAPI<IPage<{ name: string }>>(
    `query/trial-components${URLExt.objectToQueryString(query)}`,
    {},
    serverSettings
  );
  return page.total;
}

/**
 * Delete an experiment with its trials and the trial components that no trial
 * of another experiment contains.
 *
 * @param name - The experiment name.
 * @param serverSettings - The application's server settings.
 * @returns What the server deleted and kept.
 */
export function deleteExperiment(
  name: string,
  serverSettings: ServerConnection.ISettings
): Promise<IDeleteExperimentResult> {
  return requestAPI<IDeleteExperimentResult>(
    `experiments/${encodeURIComponent(name)}?force=true`,
    { method: 'DELETE' },
    serverSettings
  );
}

/**
 * Delete a trial with the trial components that no other trial contains.
 *
 * @param experiment - The name of the trial's experiment.
 * @param name - The trial name.
 * @param serverSettings - The application's server settings.
 * @returns What the server deleted and kept.
 */
export function deleteTrial(
  experiment: string,
  name: string,
  serverSettings: ServerConnection.ISettings
): Promise<IDeleteTrialResult> {
  const path =
    `experiments/${encodeURIComponent(experiment)}` +
    `/trials/${encodeURIComponent(name)}?delete_components=true`;
  return requestAPI<IDeleteTrialResult>(
    path,
    { method: 'DELETE' },
    serverSettings
  );
}

/**
 * Delete a trial component, removing it from its trials first.
 *
 * @param name - The trial component name.
 * @param serverSettings - The application's server settings.
 */
export async function deleteComponent(
  name: string,
  serverSettings: ServerConnection.ISettings
): Promise<void> {
  await requestAPI<void>(
    `trial-components/${encodeURIComponent(name)}?force=true`,
    { method: 'DELETE' },
    serverSettings
  );
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * A query string as an object: one value per parameter.
   */
  export type Query = Record<string, string | number>;

  /**
   * Return the `name_contains` parameter, or nothing for an empty text.
   */
  export function nameQuery(nameContains: string): Query {
    const text = nameContains.trim();
    return text ? { name_contains: text } : {};
  }

  /**
   * Return the selection parameters of the trial component query.
   */
  export function selectionQuery(selection: IComponentSelection): Query {
    const query: Query = {};
    // Names contain no commas, so the API reads a comma-separated list.
    if (selection.experiments?.length) {
      query.experiments = selection.experiments.join(',');
    }
    if (selection.trials?.length) {
      query.trials = selection.trials.join(',');
    }
    if (selection.unassigned) {
      query.unassigned = 'true';
    }
    return query;
  }

  /**
   * Request every page of a list endpoint and return the items in order.
   */
  export async function fetchAll<T>(
    path: string,
    query: Query,
    serverSettings: ServerConnection.ISettings
  ): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;

    do {
      const pageQuery: Query = { ...query, limit: MAX_PAGE_SIZE };
      if (cursor !== null) {
        pageQuery.cursor = cursor;
      }
      const page: IPage<T> = await requestAPI<IPage<T>>(
        `${path}${URLExt.objectToQueryString(pageQuery)}`,
        {},
        serverSettings
      );
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor !== null);

    return items;
  }
}
