/**
 * The REST client of the jupyter-experiments server extension.
 *
 * Every request of the frontend goes through `requestAPI`, which takes the
 * application's server settings so that the base URL, the XSRF token and the
 * authentication headers come from JupyterLab.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The path of the REST API below the server's base URL.
 */
export const API_PATH = 'experiments/api';

/**
 * An experiment as the REST API returns it.
 *
 * #### Notes
 * Times are seconds since the Unix epoch (UTC), as the store records them.
 */
export interface IExperiment {
  /**
   * The unique name, which the SDK and the URLs use.
   */
  name: string;

  /**
   * The name shown to people; it may contain any printable text.
   */
  display_name: string;

  /**
   * A free-text description, or null when none was given.
   */
  description: string | null;

  /**
   * Tags as key-value pairs.
   */
  tags: Record<string, string>;

  /**
   * When the experiment was created, in seconds since the epoch.
   */
  created_at: number;

  /**
   * When the experiment or one of its trials last changed, in seconds since the epoch.
   */
  modified_at: number;

  /**
   * The number of trials in the experiment.
   */
  trial_count: number;
}

/**
 * One page of a list endpoint, such as `GET experiments/api/experiments`.
 */
export interface IPage<T> {
  /**
   * The records of this page.
   */
  items: T[];

  /**
   * The number of records of the whole list.
   */
  total: number;

  /**
   * The cursor that requests the next page, or null on the last page.
   */
  next_cursor: string | null;
}

/**
 * Send a request to the experiments REST API and parse its JSON reply.
 *
 * @param path - The path below `{baseUrl}experiments/api/`, with its query string.
 * @param init - The fetch options; the method defaults to GET.
 * @param serverSettings - The application's server settings
 *   (`app.serviceManager.serverSettings`).
 * @returns The parsed JSON body, or `undefined` when the reply has no body (204).
 *
 * #### Notes
 * A reply with an error status is turned into a `ServerConnection.ResponseError`
 * whose `message` is the server's own message. A server that cannot be reached
 * raises a `ServerConnection.NetworkError`.
 */
export async function requestAPI<T>(
  path: string,
  init: RequestInit = {},
  serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(serverSettings.baseUrl, API_PATH, path);

  // JupyterLab's default `cache: 'no-store'` makes makeRequest append a
  // timestamp as a bare query parameter, which the API rejects as unknown.
  // 'no-cache' still revalidates every reply with the server.
  const response = await ServerConnection.makeRequest(
    url,
    { cache: 'no-cache', ...init },
    serverSettings
  );
  const text = await response.text();
  if (!response.ok) {
    throw new ServerConnection.ResponseError(
      response,
      Private.errorMessage(url, response, text)
    );
  }

  if (text.length === 0) {
    return undefined as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ServerConnection.ResponseError(
      response,
      `Invalid JSON in the reply to ${url}: ${text.slice(0, 100)}`
    );
  }
}

/**
 * The largest page the server returns.
 */
export const MAX_PAGE_SIZE = 1000;

/**
 * List every experiment, following the pages the server returns.
 *
 * @param serverSettings - The application's server settings.
 * @returns The experiments, newest first.
 */
export async function listExperiments(
  serverSettings?: ServerConnection.ISettings
): Promise<IExperiment[]> {
  const experiments: IExperiment[] = [];
  let cursor: string | null = null;

  do {
    const query: Record<string, string | number> = { limit: MAX_PAGE_SIZE };
    if (cursor !== null) {
      query.cursor = cursor;
    }
    const page: IPage<IExperiment> = await requestAPI<IPage<IExperiment>>(
      `experiments${URLExt.objectToQueryString(query)}`,
      {},
      serverSettings
    );
    experiments.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor !== null);

  return experiments;
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * Return the message of an error reply: the server's own `message` when the
   * body is JSON with one, else a sentence naming the status and the likely fix.
   */
  export function errorMessage(
    url: string,
    response: Response,
    body: string
  ): string {
    try {
      const parsed: unknown = JSON.parse(body);
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        'message' in parsed &&
        typeof parsed.message === 'string' &&
        parsed.message
      ) {
        return parsed.message;
      }
    } catch {
      // Not JSON: Jupyter Server replies to unknown URLs with an HTML page.
    }

    if (response.status === 404) {
      return (
        `The experiments REST API was not found at ${url}. ` +
        'Check that the jupyter_experiments server extension is enabled ' +
        '(jupyter server extension list) and restart JupyterLab.'
      );
    }
    return `Invalid response: ${response.status} ${response.statusText}`;
  }
}
