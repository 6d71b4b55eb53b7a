/**
 * The model behind the Experiments sidebar: where the user is (Home, an
 * experiment, a trial or the unassigned trial components), the entries of
 * that level with their sort, filter and selection, and the live updates that
 * keep them current.
 */

import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IExperiment } from '../api';
import {
  countComponents,
  fetchComponentNames,
  fetchComponents,
  fetchExperiments,
  fetchTrials,
  IComponentSummary,
  ITrial
} from '../api/browser';
import { IChangeNotice, ILiveUpdates } from '../tokens';
import { BrowserEntry, BrowserLocation, LevelKind, levelOf } from './entries';
import { compareEntries, ISortState, SortColumn } from './sorting';

export * from './entries';
export * from './sorting';

/**
 * The state of the entries of a `BrowserModel`.
 *
 * - `loading`: a request for the level is running and none has succeeded yet.
 * - `ready`: `entries` contains the reply of the last request.
 * - `error`: the last request failed, and `error` contains the server's message.
 */
export type BrowserStatus = 'loading' | 'ready' | 'error';

/**
 * How long live-update notices are collected before the level is fetched
 * again, in milliseconds.
 */
export const LIVE_COALESCE_MS = 250;

/**
 * The delay between the last keystroke in the filter and the request to the
 * server, in milliseconds.
 */
export const FILTER_DEBOUNCE_MS = 250;

/**
 * The columns of each level, in display order.
 */
export const LEVEL_COLUMNS: Readonly<Record<LevelKind, readonly SortColumn[]>> =
  {
    home: ['name', 'description', 'trials', 'created', 'modified'],
    experiment: ['name', 'components', 'status', 'created', 'modified'],
    components: ['name', 'status', 'source', 'created']
  };

/**
 * The location, entries, sort, filter and selection of the Experiments sidebar.
 *
 * #### Notes
 * A refetch keeps the entry objects whose record did not change, the selection
 * of entries that still exist and the focus, so a view keyed by
 * `BrowserEntry.key` updates only the rows that changed. When several fetches
 * overlap, only the reply of the latest one is applied.
 */
export class BrowserModel implements IDisposable {
  /**
   * Construct a model at Home; call `refresh()` to fetch the first level.
   */
  constructor(options: BrowserModel.IOptions = {}) {
    this._serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
    this._live = options.live ?? null;
    if (this._live) {
      this._live.changed.connect(this._onNotices, this);
      this._live.reset.connect(this._onReset, this);
    }
  }

  /**
   * A signal emitted when anything the view shows changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The level being shown.
   */
  get location(): BrowserLocation {
    return this._location;
  }

  /**
   * The kind of list at the current location.
   */
  get level(): LevelKind {
    return levelOf(this._location);
  }

  /**
   * The columns of the current level, in display order.
   */
  get columns(): readonly SortColumn[] {
    return LEVEL_COLUMNS[this.level];
  }

  /**
   * The entries of the current level, filtered and sorted.
   */
  get entries(): readonly BrowserEntry[] {
    return this._entries;
  }

  /**
   * The state of the last request.
   */
  get status(): BrowserStatus {
    return this._status;
  }

  /**
   * Whether the entries shown may change soon: a request is in flight, or a
   * filter or live notices wait for their request.
   */
  get busy(): boolean {
    return (
      this._filterTimer !== undefined ||
      this._liveTimer !== undefined ||
      this._settledRequest !== this._latestRequest
    );
  }

  /**
   * The message of the last failed request, or null.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * The sort of the current level.
   */
  get sort(): ISortState {
    return this._sorts[this.level];
  }

  /**
   * The text that entry names must contain; empty for all entries.
   */
  get filter(): string {
    return this._filter;
  }

  /**
   * The keys of the selected entries.
   */
  get selectedKeys(): ReadonlySet<string> {
    return this._selected;
  }

  /**
   * The selected entries, in display order.
   */
  get selectedEntries(): BrowserEntry[] {
    return this._entries.filter(entry => this._selected.has(entry.key));
  }

  /**
   * The key of the entry that has the keyboard focus, or null.
   */
  get focusedKey(): string | null {
    return this._focused;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Show another level; its entries are fetched.
   *
   * @param location - The level to show.
   * @param focusKey - The key of the entry to focus and select once the level
   *   is loaded, such as the experiment the user came up from.
   */
  async cd(location: BrowserLocation, focusKey?: string): Promise<void> {
    this._location = location;
    this._entries = [];
    this._records = [];
    this._related = new Set();
    this._selected = new Set();
    this._focused = null;
    this._anchor = null;
    this._filter = '';
    this._clearFilterTimer();
    this._status = 'loading';
    this._error = null;
    // Whichever reply loads the level selects the entry: a live refresh may
    // overtake this one.
    this._focusOnLoad = focusKey ?? null;
    this._emit();

    await this.refresh();
  }

  /**
   * Show the level above the current one; do nothing at Home.
   */
  async up(): Promise<void> {
    const location = this._location;
    switch (location.kind) {
      case 'home':
        return;
      case 'unassigned':
        return this.cd({ kind: 'home' }, 'unassigned');
      case 'experiment':
        return this.cd({ kind: 'home' }, `experiment:${location.experiment}`);
      case 'trial':
        return this.cd(
          {
            kind: 'experiment',
            experiment: location.experiment,
            experimentLabel: location.experimentLabel
          },
          `trial:${location.trial}`
        );
    }
  }

  /**
   * Show the level of an entry.
   *
   * @returns Whether the entry has a level: false for a trial component.
   */
  open(entry: BrowserEntry): boolean {
    switch (entry.kind) {
      case 'experiment':
        void this.cd({
          kind: 'experiment',
          experiment: entry.name,
          experimentLabel: entry.label
        });
        return true;
      case 'trial': {
        const location = this._location;
        void this.cd({
          kind: 'trial',
          experiment: entry.record.experiment,
          experimentLabel:
            location.kind === 'experiment'
              ? location.experimentLabel
              : undefined,
          trial: entry.name,
          trialLabel: entry.label
        });
        return true;
      }
      case 'unassigned':
        void this.cd({ kind: 'unassigned' });
        return true;
      case 'component':
        return false;
    }
  }

  /**
   * Sort the current level by a column: by a new column ascending, by the
   * current column in the other direction.
   */
  sortBy(column: SortColumn): void {
    const current = this.sort;
    const direction =
      current.column === column && current.direction === 'ascending'
        ? 'descending'
        : 'ascending';
    this._sorts = { ...this._sorts, [this.level]: { column, direction } };
    this._entries = this._sorted(this._records);
    this._emit();
  }

  /**
   * Show only the entries whose name or display name contains a text.
   *
   * #### Notes
   * The server filters; the request is sent `FILTER_DEBOUNCE_MS` after the
   * last call, and the entries shown until then stay.
   */
  setFilter(text: string): void {
    if (text === this._filter) {
      return;
    }
    this._filter = text;
    this._clearFilterTimer();
    this._filterTimer = setTimeout(() => {
      this._filterTimer = undefined;
      void this.refresh();
    }, FILTER_DEBOUNCE_MS);
    this._emit();
  }

  /**
   * Fetch the entries of the current level again.
   *
   * @returns A promise that settles when the reply has been applied; it never
   *   rejects, because failures are stored in `error`.
   */
  async refresh(): Promise<void> {
    const request = ++this._latestRequest;
    const location = this._location;
    const filter = this._filter;
    if (this._status === 'error') {
      this._status = 'loading';
    }
    // Tell the view that it is busy.
    this._emit();

    let fetched: Private.IFetched;
    try {
      fetched = await Private.fetchLevel(
        location,
        filter,
        this._serverSettings
      );
    } catch (error) {
      if (request === this._latestRequest && !this._isDisposed) {
        this._settledRequest = request;
        this._status = 'error';
        this._error = Private.messageOf(error);
        this._emit();
      }
      return;
    }

    if (request !== this._latestRequest || this._isDisposed) {
      return;
    }
    this._settledRequest = request;
    this._related = fetched.related;
    this._apply(fetched.entries);
  }

  /**
   * Select one entry, as a click does, or change the selection with it.
   *
   * @param key - The key of the entry.
   * @param mode - `replace` selects only this entry, `toggle` adds or removes
   *   it (Ctrl or Cmd-click), `range` selects the entries from the last
   *   clicked one to this one (Shift-click).
   */
  select(key: string, mode: BrowserModel.SelectMode = 'replace'): void {
    if (!this._byKey(key)) {
      return;
    }

    if (mode === 'toggle') {
      const selected = new Set(this._selected);
      if (selected.has(key)) {
        selected.delete(key);
      } else {
        selected.add(key);
      }
      this._selected = selected;
      this._anchor = key;
    } else if (mode === 'range' && this._anchor && this._byKey(this._anchor)) {
      this._selected = new Set(this._keysBetween(this._anchor, key));
    } else {
      this._selected = new Set([key]);
      this._anchor = key;
    }
    this._focused = key;
    this._emit();
  }

  /**
   * Move the focus to another entry and select it, as the arrow keys do.
   *
   * @param target - A step (-1 up, +1 down) or `first` or `last`.
   * @param extend - Whether to extend the selection from the anchor to the
   *   new entry (Shift+arrow) instead of replacing it.
   */
  moveFocus(target: number | 'first' | 'last', extend = false): void {
    if (this._entries.length === 0) {
      return;
    }
    const current = this._focused ? this._indexOf(this._focused) : -1;
    let index: number;
    if (target === 'first') {
      index = 0;
    } else if (target === 'last') {
      index = this._entries.length - 1;
    } else if (current === -1) {
      index = target > 0 ? 0 : this._entries.length - 1;
    } else {
      index = current + target;
    }
    index = Math.max(0, Math.min(this._entries.length - 1, index));

    const key = this._entries[index].key;
    this.select(key, extend ? 'range' : 'replace');
  }

  /**
   * Select every entry of the level.
   */
  selectAll(): void {
    this._selected = new Set(this._entries.map(entry => entry.key));
    this._emit();
  }

  /**
   * Dispose of the model and disconnect its listeners.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._clearFilterTimer();
    clearTimeout(this._liveTimer);
    if (this._live) {
      this._live.changed.disconnect(this._onNotices, this);
      this._live.reset.disconnect(this._onReset, this);
    }
    Signal.clearData(this);
  }

  private _onNotices(_: ILiveUpdates, notices: IChangeNotice[]): void {
    this._pendingNotices.push(...notices);
    if (this._liveTimer === undefined) {
      this._liveTimer = setTimeout(
        () => this._applyNotices(),
        LIVE_COALESCE_MS
      );
      // Tell the view that it is busy.
      this._emit();
    }
  }

  private _onReset(): void {
    void this.refresh();
  }

  private _applyNotices(): void {
    this._liveTimer = undefined;
    const notices = this._pendingNotices;
    this._pendingNotices = [];
    if (this._isDisposed) {
      return;
    }

    const location = this._location;
    const removed = Private.removedLevel(location, notices);
    if (removed === 'experiment') {
      void this.cd({ kind: 'home' });
      return;
    }
    if (removed === 'trial') {
      void this.up();
      return;
    }
    const shown = new Set(this._records.map(entry => entry.name));
    if (
      notices.some(n => Private.concerns(location, n, shown, this._related))
    ) {
      void this.refresh();
    } else {
      // No longer busy.
      this._emit();
    }
  }

  private _apply(fetched: BrowserEntry[]): void {
    // Entries whose record did not change keep their object, so memoised
    // rows of the view do not render again.
    const previous = new Map(this._records.map(entry => [entry.key, entry]));
    this._records = fetched.map(entry => {
      const old = previous.get(entry.key);
      return old && Private.sameEntry(old, entry) ? old : entry;
    });

    const oldIndex = this._focused ? this._indexOf(this._focused) : -1;
    this._entries = this._sorted(this._records);
    const keys = new Set(this._entries.map(entry => entry.key));
    this._selected = new Set([...this._selected].filter(key => keys.has(key)));
    if (this._anchor && !keys.has(this._anchor)) {
      this._anchor = null;
    }
    if (this._focused && !keys.has(this._focused)) {
      // Keep the focus at the same place in the list.
      const index = Math.min(oldIndex, this._entries.length - 1);
      this._focused = index >= 0 ? this._entries[index].key : null;
    }
    const focusKey = this._focusOnLoad;
    this._focusOnLoad = null;
    if (focusKey !== null && keys.has(focusKey)) {
      this._selected = new Set([focusKey]);
      this._anchor = focusKey;
      this._focused = focusKey;
    }

    this._status = 'ready';
    this._error = null;
    this._emit();
  }

  private _sorted(records: readonly BrowserEntry[]): BrowserEntry[] {
    const sort = this.sort;
    // The unassigned entry stays on top at Home whatever the sort.
    const pinned = records.filter(entry => entry.kind === 'unassigned');
    const sorted = records
      .filter(entry => entry.kind !== 'unassigned')
      .sort((a, b) => compareEntries(a, b, sort));
    return [...pinned, ...sorted];
  }

  private _keysBetween(from: string, to: string): string[] {
    const start = this._indexOf(from);
    const end = this._indexOf(to);
    const [low, high] = start <= end ? [start, end] : [end, start];
    return this._entries.slice(low, high + 1).map(entry => entry.key);
  }

  private _indexOf(key: string): number {
    return this._entries.findIndex(entry => entry.key === key);
  }

  private _byKey(key: string): BrowserEntry | undefined {
    return this._entries.find(entry => entry.key === key);
  }

  private _clearFilterTimer(): void {
    clearTimeout(this._filterTimer);
    this._filterTimer = undefined;
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _anchor: string | null = null;
  private _changed = new Signal<this, void>(this);
  private _entries: BrowserEntry[] = [];
  private _error: string | null = null;
  private _filter = '';
  private _filterTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _focused: string | null = null;
  private _focusOnLoad: string | null = null;
  private _isDisposed = false;
  private _latestRequest = 0;
  private _live: ILiveUpdates | null;
  private _liveTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _location: BrowserLocation = { kind: 'home' };
  private _pendingNotices: IChangeNotice[] = [];
  private _records: BrowserEntry[] = [];
  private _settledRequest = 0;
  private _related = new Set<string>();
  private _selected = new Set<string>();
  private _serverSettings: ServerConnection.ISettings;
  private _sorts: Record<LevelKind, ISortState> = {
    home: { column: 'created', direction: 'descending' },
    experiment: { column: 'created', direction: 'descending' },
    components: { column: 'created', direction: 'descending' }
  };
  private _status: BrowserStatus = 'loading';
}

/**
 * The namespace for `BrowserModel` statics.
 */
export namespace BrowserModel {
  /**
   * The change `select` makes to the selection.
   */
  export type SelectMode = 'replace' | 'toggle' | 'range';

  /**
   * The options to create a `BrowserModel`.
   */
  export interface IOptions {
    /**
     * The application's server settings; defaults to `ServerConnection.makeSettings()`.
     */
    serverSettings?: ServerConnection.ISettings;

    /**
     * The live-update connection that keeps the entries current; without it,
     * the entries change only on `refresh()`.
     */
    live?: ILiveUpdates | null;
  }
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * The entries of a level, and the names of trial components whose changes
   * concern it without being shown in it.
   */
  export interface IFetched {
    entries: BrowserEntry[];
    related: Set<string>;
  }

  /**
   * Fetch the entries of a level.
   *
   * NOTE: every page of the level is fetched and rendered (no virtual
   * scrolling), so a level of many thousands of entries loads slowly.
   */
  export async function fetchLevel(
    location: BrowserLocation,
    filter: string,
    settings: ServerConnection.ISettings
  ): Promise<IFetched> {
    switch (location.kind) {
      case 'home': {
        const [experiments, unassigned] = await Promise.all([
          fetchExperiments(filter, settings),
          // The unassigned entry has no name to filter by, so it is hidden
          // while a filter is set.
          filter.trim()
            ? Promise.resolve(null)
            : countComponents({ unassigned: true }, settings)
        ]);
        const entries: BrowserEntry[] = experiments.map(experimentEntry);
        if (unassigned !== null) {
          entries.push({
            kind: 'unassigned',
            key: 'unassigned',
            name: '',
            label: '',
            count: unassigned
          });
        }
        return { entries, related: new Set() };
      }
      case 'experiment': {
        // The status of a trial changes with its components, whose notices
        // do not name the trial: the names tell which notices concern it.
        const [trials, names] = await Promise.all([
          fetchTrials(location.experiment, filter, settings),
          fetchComponentNames({ experiments: [location.experiment] }, settings)
        ]);
        return { entries: trials.map(trialEntry), related: new Set(names) };
      }
      case 'trial': {
        const components = await fetchComponents(
          { trials: [location.trial] },
          filter,
          settings
        );
        return { entries: components.map(componentEntry), related: new Set() };
      }
      case 'unassigned': {
        const components = await fetchComponents(
          { unassigned: true },
          filter,
          settings
        );
        return { entries: components.map(componentEntry), related: new Set() };
      }
    }
  }

  /**
   * Return the entry of an experiment record.
   */
  export function experimentEntry(record: IExperiment): BrowserEntry {
    return {
      kind: 'experiment',
      key: `experiment:${record.name}`,
      name: record.name,
      label: record.display_name || record.name,
      record
    };
  }

  /**
   * Return the entry of a trial record.
   */
  export function trialEntry(record: ITrial): BrowserEntry {
    return {
      kind: 'trial',
      key: `trial:${record.name}`,
      name: record.name,
      label: record.display_name || record.name,
      record
    };
  }

  /**
   * Return the entry of a trial component record.
   */
  export function componentEntry(record: IComponentSummary): BrowserEntry {
    return {
      kind: 'component',
      key: `component:${record.name}`,
      name: record.name,
      label: record.display_name || record.name,
      record
    };
  }

  /**
   * Return whether two entries of the same key show the same data.
   */
  export function sameEntry(a: BrowserEntry, b: BrowserEntry): boolean {
    if (a.kind === 'unassigned' && b.kind === 'unassigned') {
      return a.count === b.count;
    }
    if (a.kind === 'unassigned' || b.kind === 'unassigned') {
      return false;
    }
    return JSON.stringify(a.record) === JSON.stringify(b.record);
  }

  /**
   * Return which record of the location a notice deleted: its experiment,
   * its trial, or none (null).
   */
  export function removedLevel(
    location: BrowserLocation,
    notices: IChangeNotice[]
  ): 'experiment' | 'trial' | null {
    if (location.kind !== 'experiment' && location.kind !== 'trial') {
      return null;
    }
    const deleted = notices.filter(notice => notice.action === 'deleted');
    if (
      deleted.some(
        notice =>
          notice.resource_type === 'experiment' &&
          notice.name === location.experiment
      )
    ) {
      return 'experiment';
    }
    if (
      location.kind === 'trial' &&
      deleted.some(
        notice =>
          notice.resource_type === 'trial' && notice.name === location.trial
      )
    ) {
      return 'trial';
    }
    return null;
  }

  /**
   * Return whether a notice changes what the level at `location` shows.
   *
   * @param shown - The names of the entries of the level.
   * @param related - The names of trial components whose changes concern the
   *   level without being shown in it.
   */
  export function concerns(
    location: BrowserLocation,
    notice: IChangeNotice,
    shown: ReadonlySet<string>,
    related: ReadonlySet<string>
  ): boolean {
    const { action, resource_type: type } = notice;
    // Metric points change neither names, counts, statuses nor times shown.
    if (action === 'metrics') {
      return false;
    }

    switch (location.kind) {
      case 'home':
        // Experiments, their trial counts and times, and the unassigned count.
        return (
          type === 'experiment' ||
          (type === 'trial' && action !== 'updated') ||
          (type === 'trial_component' && action !== 'updated')
        );
      case 'experiment':
        if (type === 'trial') {
          return notice.experiment === location.experiment;
        }
        if (type !== 'trial_component') {
          return false;
        }
        if (notice.trial !== null) {
          return shown.has(notice.trial);
        }
        return related.has(notice.name);
      case 'trial':
        if (type === 'trial') {
          return notice.name === location.trial;
        }
        return (
          type === 'trial_component' &&
          (notice.trial === location.trial || shown.has(notice.name))
        );
      case 'unassigned':
        return (
          type === 'trial_component' &&
          (action === 'created' ||
            action === 'associated' ||
            action === 'disassociated' ||
            shown.has(notice.name))
        );
    }
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
