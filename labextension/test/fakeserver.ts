/**
 * An in-memory stand-in for the experiments REST API, for unit tests of the
 * models, which have no Jupyter server to talk to.
 *
 * The models send their requests through `ServerConnection.makeRequest`, so
 * the fake plugs in as the `fetch`, `Request` and `Headers` of the server
 * settings. Each test routes requests to a handler that returns a status and
 * a JSON body.
 */

import { ServerConnection } from '@jupyterlab/services';

/**
 * A request as the fake server's handler sees it.
 */
export interface IFakeRequest {
  /**
   * The HTTP method, such as `GET`.
   */
  method: string;

  /**
   * The path below `experiments/api/`, without the query string.
   */
  path: string;

  /**
   * The query parameters.
   */
  query: URLSearchParams;

  /**
   * The parsed JSON body, or undefined when there is none.
   */
  body: unknown;
}

/**
 * A reply of the fake server: a status and a JSON body (none for 204).
 */
export interface IFakeReply {
  status: number;
  body?: unknown;
}

/**
 * The function that answers the requests of a test.
 */
export type FakeHandler = (request: IFakeRequest) => IFakeReply;

/**
 * The server settings of a fake server, and the requests it received.
 */
export interface IFakeServer {
  /**
   * Settings to pass as `serverSettings` to the models.
   */
  settings: ServerConnection.ISettings;

  /**
   * Every request received, oldest first.
   */
  requests: IFakeRequest[];
}

/**
 * The base URL of the fake server.
 */
export const FAKE_BASE_URL = 'http://127.0.0.1:8888/';

/**
 * Create a fake server whose replies come from `handler`.
 */
export function fakeServer(handler: FakeHandler): IFakeServer {
  const requests: IFakeRequest[] = [];
  const prefix = `${FAKE_BASE_URL}experiments/api/`;
  const fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const request = input as unknown as FakeRequest;
    const url = new URL(request.url);
    const received: IFakeRequest = {
      method: request.method,
      path: request.url.slice(prefix.length).split('?')[0],
      query: url.searchParams,
      body:
        typeof request.body === 'string' ? JSON.parse(request.body) : undefined
    };
    requests.push(received);
    const reply = handler(received);
    return new FakeResponse(reply) as unknown as Response;
  };
  // Built by hand: `ServerConnection.makeSettings` reads the global `fetch`,
  // which jsdom lacks.
  const settings = {
    baseUrl: FAKE_BASE_URL,
    appUrl: '',
    wsUrl: 'ws://127.0.0.1:8888/',
    init: { cache: 'no-store', credentials: 'same-origin' },
    token: '',
    appendToken: false,
    fetch,
    Request: FakeRequest,
    Headers: FakeHeaders
  } as unknown as ServerConnection.ISettings;
  return { settings, requests };
}

/**
 * Return a page of the list endpoints, with every item on it.
 */
export function page<T>(items: T[]): IFakeReply {
  return {
    status: 200,
    body: { items, total: items.length, next_cursor: null }
  };
}

/**
 * Return an error reply with the server's `message`.
 */
export function failure(status: number, message: string): IFakeReply {
  return { status, body: { message } };
}

/**
 * Wait until the promises queued so far, and those they queue, have run.
 */
export async function settle(): Promise<void> {
  for (let round = 0; round < 10; round++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}

/**
 * The headers of a fake request: only what `makeRequest` uses.
 */
class FakeHeaders {
  append(name: string, value: string): void {
    this._values.set(name.toLowerCase(), value);
  }

  get(name: string): string | null {
    return this._values.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this._values.has(name.toLowerCase());
  }

  set(name: string, value: string): void {
    this._values.set(name.toLowerCase(), value);
  }

  private _values = new Map<string, string>();
}

/**
 * A request as `makeRequest` builds it.
 */
class FakeRequest {
  constructor(url: string, init: RequestInit = {}) {
    this.url = url;
    this.method = init.method ?? 'GET';
    this.body = init.body;
  }

  readonly url: string;
  readonly method: string;
  readonly body: unknown;
  readonly headers = new FakeHeaders();
}

/**
 * A reply with the fields that `requestAPI` reads.
 */
class FakeResponse {
  constructor(reply: IFakeReply) {
    this.status = reply.status;
    this.ok = reply.status >= 200 && reply.status < 300;
    this.statusText = this.ok ? 'OK' : 'Error';
    this._text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  }

  async text(): Promise<string> {
    return this._text;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this._text);
  }

  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  private _text: string;
}
