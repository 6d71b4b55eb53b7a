/**
 * The rows of a trial component query, fetched page by page as a viewport
 * requests them, each page by its offset.
 */

import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  IComponentPage,
  IComponentQuery,
  IMissingParents,
  ITrialComponent,
  queryComponents
} from '../api/components';

/**
 * The rows of one query (selection and sort), cached by page.
 *
 * #### Notes
 * Each page is fetched with the query's `offset` field, so a jump to row
 * 9,000 of 10,000 costs one request, and the pages a viewport needs load in
 * parallel. Pages requested last are sent first, at most
 * `MAX_CONCURRENT_REQUESTS` at a time, because they are what the viewport
 * shows now.
 */
export class ComponentPages implements IDisposable {
  /**
   * Construct the cache of a query; call `start()` to fetch the first page.
   */
  constructor(options: ComponentPages.IOptions) {
    this._query = options.query;
    this._pageSize = options.pageSize ?? ComponentPages.DEFAULT_PAGE_SIZE;
    this._fetch = options.fetch ?? queryComponents;
    this._serverSettings = options.serverSettings;
    this._total = options.total ?? -1;
  }

  /**
   * A signal emitted when rows arrive, the total changes or a request fails.
   */
  get changed(): ISignal<this, ComponentPages.IChange> {
    return this._changed;
  }

  /**
   * The number of rows of the query, or -1 before the first reply.
   */
  get total(): number {
    return this._total;
  }

  /**
   * The experiments and trials of the query that do not exist, as the last
   * reply listed them.
   */
  get missing(): IMissingParents {
    return this._missing;
  }

  /**
   * The number of rows per page.
   */
  get pageSize(): number {
    return this._pageSize;
  }

  /**
   * Whether the cache has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Fetch the first page.
   *
   * @returns A promise that settles when it arrived or failed; it never
   *   rejects, because failures are emitted as `error` changes.
   */
  start(): Promise<void> {
    return this._loadPage(0);
  }

  /**
   * Return the row at `index`, or undefined while its page is loading.
   *
   * #### Notes
   * A missing page is requested; a `rows` change follows when it arrives.
   */
  row(index: number): ITrialComponent | undefined {
    const page = Math.floor(index / this._pageSize);
    const rows = this._pages.get(page);
    if (rows !== undefined) {
      return rows[index - page * this._pageSize];
    }
    this._want(page);
    return undefined;
  }

  /**
   * Request the missing pages of rows `start` to `end` (exclusive) with a
   * lower priority than pages requested after them by `row()`.
   */
  prefetch(start: number, end: number): void {
    const limit = this._total >= 0 ? Math.min(end, this._total) : end;
    const first = Math.floor(start / this._pageSize);
    const last = Math.floor((limit - 1) / this._pageSize);
    for (let page = first; page <= last; page++) {
      if (!this._pages.has(page)) {
        this._want(page);
      }
    }
  }

  /**
   * Return the row index of a loaded trial component, or undefined.
   */
  indexOf(name: string): number | undefined {
    return this._indexes.get(name);
  }

  /**
   * Return the loaded rows in row order.
   */
  loadedRows(): ITrialComponent[] {
    const pages = [...this._pages.keys()].sort((a, b) => a - b);
    return pages.flatMap(page => this._pages.get(page) ?? []);
  }

  /**
   * Return the rows from `start` to `end` (exclusive), loading missing pages.
   */
  async rows(start: number, end: number): Promise<ITrialComponent[]> {
    const first = Math.floor(start / this._pageSize);
    const last = Math.floor((Math.max(end, start + 1) - 1) / this._pageSize);
    const loads: Promise<void>[] = [];
    for (let page = first; page <= last; page++) {
      if (!this._pages.has(page)) {
        loads.push(this._inflight.get(page) ?? this._loadPage(page));
      }
    }
    await Promise.all(loads);

    const result: ITrialComponent[] = [];
    for (let index = start; index < end; index++) {
      const row = this.row(index);
      if (row !== undefined) {
        result.push(row);
      }
    }
    return result;
  }

  /**
   * Fetch again the loaded pages that contain any of `names`, or every loaded
   * page when `names` is null. The old rows stay until the new ones arrive.
   */
  async refetch(names: Iterable<string> | null): Promise<void> {
    const pages = new Set<number>();
    if (names === null) {
      for (const page of this._pages.keys()) {
        pages.add(page);
      }
      if (pages.size === 0) {
        pages.add(0);
      }
    } else {
      for (const name of names) {
        const index = this._indexes.get(name);
        if (index !== undefined) {
          pages.add(Math.floor(index / this._pageSize));
        }
      }
    }
    await Promise.all([...pages].map(page => this._loadPage(page)));
  }

  /**
   * Dispose of the cache; replies that arrive later are dropped.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _want(page: number): void {
    if (this._inflight.has(page) || this._failed.has(page)) {
      return;
    }
    if (this._total >= 0 && page * this._pageSize >= this._total) {
      return;
    }
    // Re-inserting moves the page to the end, where the pump takes from.
    this._wanted.delete(page);
    this._wanted.add(page);
    while (this._wanted.size > ComponentPages.MAX_WANTED_PAGES) {
      const oldest = this._wanted.values().next().value as number;
      this._wanted.delete(oldest);
    }
    if (!this._pumpScheduled) {
      this._pumpScheduled = true;
      void Promise.resolve().then(() => {
        this._pumpScheduled = false;
        this._pump();
      });
    }
  }

  private _pump(): void {
    while (
      !this._isDisposed &&
      this._inflight.size < ComponentPages.MAX_CONCURRENT_REQUESTS
    ) {
      // Until the first reply gives the total, only the first page is sent:
      // a small table would reject any other page with an offset error.
      const ready = [...this._wanted].filter(page =>
        this._total >= 0 ? page * this._pageSize < this._total : page === 0
      );
      if (ready.length === 0) {
        // A failed first page waits for its retry like any other page, or
        // each repaint of its error would send it again.
        if (
          this._total < 0 &&
          this._wanted.size > 0 &&
          !this._pages.has(0) &&
          !this._failed.has(0)
        ) {
          void this._loadPage(0);
        }
        return;
      }
      const newest = ready[ready.length - 1];
      this._wanted.delete(newest);
      if (!this._pages.has(newest)) {
        void this._loadPage(newest);
      }
    }
  }

  private _loadPage(page: number): Promise<void> {
    const running = this._inflight.get(page);
    if (running !== undefined) {
      return running;
    }
    const load = this._fetchPage(page).finally(() => {
      this._inflight.delete(page);
      this._pump();
    });
    this._inflight.set(page, load);
    return load;
  }

  private async _fetchPage(page: number): Promise<void> {
    const offset = page * this._pageSize;
    let reply: IComponentPage;
    try {
      reply = await this._fetch(
        { ...this._query, limit: this._pageSize, offset },
        this._serverSettings
      );
    } catch (error) {
      if (this._isDisposed) {
        return;
      }
      if (page > 0 && Private.isOffsetError(error)) {
        // The query shrank below this page since the total was read: the
        // first page, always in range, brings the new total, and rows past
        // it are dropped.
        void this._loadPage(0);
        return;
      }
      this._fail(page, error);
      return;
    }
    if (this._isDisposed) {
      return;
    }

    this._failed.delete(page);
    const previous = this._pages.get(page);
    for (const row of previous ?? []) {
      this._indexes.delete(row.name);
    }
    this._pages.set(page, reply.items);
    reply.items.forEach((row, i) => this._indexes.set(row.name, offset + i));
    if (reply.missing) {
      this._missing = reply.missing;
    }

    this._setTotal(reply.total);
    this._changed.emit({
      type: 'rows',
      start: offset,
      end: offset + Math.max(reply.items.length, previous?.length ?? 0)
    });
  }

  private _setTotal(total: number): void {
    if (total === this._total) {
      return;
    }
    this._total = total;
    // Rows past a shrunken end are dropped so that they are not shown again.
    for (const [page, rows] of this._pages) {
      if (page * this._pageSize >= total) {
        rows.forEach(row => this._indexes.delete(row.name));
        this._pages.delete(page);
      }
    }
    this._changed.emit({ type: 'total', total });
  }

  private _fail(page: number, error: unknown): void {
    if (this._isDisposed) {
      return;
    }
    this._failed.add(page);
    // A failed page is retried on the next request for it after a pause, not
    // on every repaint.
    window.setTimeout(
      () => this._failed.delete(page),
      ComponentPages.RETRY_DELAY_MS
    );
    this._changed.emit({ type: 'error', message: Private.messageOf(error) });
  }

  private _changed = new Signal<this, ComponentPages.IChange>(this);
  private _failed = new Set<number>();
  private _fetch: ComponentPages.FetchPage;
  private _missing: IMissingParents = { experiments: [], trials: [] };
  private _indexes = new Map<string, number>();
  private _inflight = new Map<number, Promise<void>>();
  private _isDisposed = false;
  private _pages = new Map<number, ITrialComponent[]>();
  private _pageSize: number;
  private _pumpScheduled = false;
  private _query: IComponentQuery;
  private _serverSettings: ServerConnection.ISettings | undefined;
  private _total: number;
  private _wanted = new Set<number>();
}

/**
 * The namespace for `ComponentPages` statics.
 */
export namespace ComponentPages {
  /**
   * Rows per page unless the options set another number.
   */
  export const DEFAULT_PAGE_SIZE = 100;

  /**
   * Requests sent at the same time.
   */
  export const MAX_CONCURRENT_REQUESTS = 2;

  /**
   * Pages waiting for a request; older wishes are dropped, because the
   * viewport scrolled past them.
   */
  export const MAX_WANTED_PAGES = 6;

  /**
   * Milliseconds before a failed page is requested again.
   */
  export const RETRY_DELAY_MS = 5000;

  /**
   * A function that fetches one page of a query.
   */
  export type FetchPage = (
    query: IComponentQuery,
    serverSettings?: ServerConnection.ISettings
  ) => Promise<IComponentPage>;

  /**
   * A change of the cache.
   *
   * - `rows`: rows from `start` to `end` (exclusive) arrived or were replaced.
   * - `total`: the number of rows of the query is now `total`.
   * - `error`: a request failed with `message`.
   */
  export type IChange =
    | { type: 'rows'; start: number; end: number }
    | { type: 'total'; total: number }
    | { type: 'error'; message: string };

  /**
   * The options to create a `ComponentPages`.
   */
  export interface IOptions {
    /**
     * The selection, sort and columns of the query; `limit` and `offset`
     * are set by the cache.
     */
    query: IComponentQuery;

    /**
     * The number of rows to report until the first reply, such as the
     * total of the same selection under another sort.
     */
    total?: number;

    /**
     * Rows per page, at most 1000.
     */
    pageSize?: number;

    /**
     * The function that fetches a page; defaults to `queryComponents`.
     */
    fetch?: FetchPage;

    /**
     * The application's server settings.
     */
    serverSettings?: ServerConnection.ISettings;
  }
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * Whether a request failed because its offset is beyond the query's total.
   */
  export function isOffsetError(error: unknown): boolean {
    return error instanceof Error && error.message.startsWith('Invalid offset');
  }

  /**
   * Return a message to show for a failed request.
   */
  export function messageOf(error: unknown): string {
    if (error instanceof Error && error.message) {
      return error.message;
    }
    return String(error);
  }
}
