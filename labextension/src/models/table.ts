/**
 * The model of a trial component list: its selection, columns, layout, rows,
 * row selection and live updates, free of any widget.
 */

import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  fetchColumns,
  IComponentColumns,
  IComponentQuery,
  IComponentSelection,
  IMissingParents,
  ITrialComponent,
  SortOrder
} from '../api/components';
import { IChangeNotice, ILiveUpdates } from '../tokens';
import {
  buildColumns,
  CellFormatter,
  cellValue,
  COLUMN_GROUPS,
  ColumnGroupId,
  ICellText,
  IColumn,
  isMetricStatistic,
  MetricStatistic,
  sortKeyOf
} from './tablecolumns';
import { ComponentPages } from './tablepages';

/**
 * A sort of the table by one column.
 */
export interface ITableSort {
  /**
   * The column key, such as `metrics.test:accuracy`.
   */
  key: string;

  /**
   * The direction.
   */
  order: 'descending' | 'ascending';
}

/**
 * The arrangement a user made of a table, remembered per selection.
 */
export interface ITableLayout {
  /**
   * Groups whose columns are hidden.
   */
  hiddenGroups: ColumnGroupId[];

  /**
   * Keys of hidden columns.
   */
  hiddenColumns: string[];

  /**
   * Column keys in the order the user arranged; columns not listed keep
   * their default place within their group.
   */
  order: string[];

  /**
   * Column widths in CSS pixels, by key.
   */
  widths: Record<string, number>;

  /**
   * The statistic of each metric column, by metric name.
   */
  statistics: Record<string, MetricStatistic>;

  /**
   * The sort, or null for the server's default (newest first).
   */
  sort: ITableSort | null;

  /**
   * Whether only the columns whose values differ are shown.
   */
  onlyDiffering: boolean;
}

/**
 * The rows that "Only columns that differ" compares.
 *
 * - `selected`: the selected rows, when at least two are selected.
 * - `loaded`: every loaded row otherwise.
 */
export interface IComparison {
  /**
   * The kind of rows compared.
   */
  basis: 'selected' | 'loaded';

  /**
   * How many rows are compared.
   */
  rows: number;
}

/**
 * The state of a table's requests.
 */
export type TableStatus = 'loading' | 'ready' | 'error';

/**
 * Return a selection with sorted, unique names and every field set.
 */
export function normalizeSelection(
  selection: IComponentSelection
): Required<IComponentSelection> {
  // Command arguments come from JSON that callers write by hand, so a single
  // name given as a string counts as a list of one, and non-strings drop out.
  const sorted = (names: unknown): string[] => {
    const list =
      typeof names === 'string'
        ? [names]
        : Array.isArray(names)
          ? names.filter((name): name is string => typeof name === 'string')
          : [];
    return [...new Set(list)].sort();
  };
  return {
    experiments: sorted(selection.experiments),
    trials: sorted(selection.trials),
    unassigned: selection.unassigned === true
  };
}

/**
 * Return a key that is equal for equal selections, whatever their order.
 */
export function selectionKey(selection: IComponentSelection): string {
  const normal = normalizeSelection(selection);
  return JSON.stringify([normal.experiments, normal.trials, normal.unassigned]);
}

/**
 * Return the layout of a table before any change.
 */
export function defaultLayout(): ITableLayout {
  return {
    hiddenGroups: [],
    hiddenColumns: [],
    order: [],
    widths: {},
    statistics: {},
    sort: null,
    onlyDiffering: false
  };
}

/**
 * Return a layout read from stored JSON, dropping fields of the wrong type.
 *
 * @param value - What the state database returned, or undefined.
 */
export function parseLayout(value: unknown): ITableLayout {
  const layout = defaultLayout();
  if (typeof value !== 'object' || value === null) {
    return layout;
  }
  const stored = value as Record<string, unknown>;
  const strings = (item: unknown): string[] =>
    Array.isArray(item) ? item.filter(x => typeof x === 'string') : [];

  layout.hiddenGroups = strings(stored.hiddenGroups).filter(group =>
    (COLUMN_GROUPS as readonly string[]).includes(group)
  ) as ColumnGroupId[];
  layout.hiddenColumns = strings(stored.hiddenColumns);
  layout.order = strings(stored.order);
  for (const [key, width] of Object.entries(Private.record(stored.widths))) {
    if (typeof width === 'number' && width > 0) {
      layout.widths[key] = width;
    }
  }
  for (const [name, statistic] of Object.entries(
    Private.record(stored.statistics)
  )) {
    if (isMetricStatistic(statistic)) {
      layout.statistics[name] = statistic;
    }
  }
  const sort = Private.record(stored.sort);
  if (
    typeof sort.key === 'string' &&
    (sort.order === 'descending' || sort.order === 'ascending')
  ) {
    layout.sort = { key: sort.key, order: sort.order };
  }
  layout.onlyDiffering = stored.onlyDiffering === true;
  return layout;
}

/**
 * The trial component list of one selection.
 *
 * #### Notes
 * Rows are identified by trial component name: the row selection survives
 * re-sorting and live refetches. `columnTexts()` returns the displayed values
 * of rows that the virtualised grid has not rendered.
 */
export class ComponentTableModel implements IDisposable {
  /**
   * Construct a model; call `load()` to fetch the columns and the first page.
   */
  constructor(options: ComponentTableModel.IOptions) {
    this._selection = normalizeSelection(options.selection);
    this._key = selectionKey(options.selection);
    this._serverSettings = options.serverSettings;
    this._trans = options.trans ?? nullTranslator.load('jupyter_experiments');
    this._formatter = new CellFormatter(this._trans);
    this._layout = options.layout ?? defaultLayout();
    this._pageSize = options.pageSize ?? ComponentPages.DEFAULT_PAGE_SIZE;
    this._defaultStatistic = options.defaultStatistic ?? 'last';
    this._fetchPage = options.fetchPage;
    this._fetchColumns = options.fetchColumns ?? fetchColumns;
    this._live = options.live ?? null;
    this._pages = this._createPages();
    if (this._live) {
      this._live.changed.connect(this._onLiveChanged, this);
      this._live.reset.connect(this._onLiveReset, this);
    }
  }

  /**
   * A signal emitted when the columns, their order, visibility, widths or
   * statistics change.
   */
  get columnsChanged(): ISignal<this, void> {
    return this._columnsChanged;
  }

  /**
   * A signal emitted with the range of rows whose values changed.
   */
  get rowsChanged(): ISignal<this, { start: number; end: number }> {
    return this._rowsChanged;
  }

  /**
   * A signal emitted when the number of rows changes.
   */
  get rowCountChanged(): ISignal<this, number> {
    return this._rowCountChanged;
  }

  /**
   * A signal emitted when the selected rows change.
   */
  get selectionChanged(): ISignal<this, void> {
    return this._selectionChanged;
  }

  /**
   * A signal emitted when the status, the error or the sort changes.
   */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /**
   * A signal emitted when the layout changes, to store it.
   */
  get layoutChanged(): ISignal<this, ITableLayout> {
    return this._layoutChanged;
  }

  /**
   * The trial components the table shows.
   */
  get selection(): Required<IComponentSelection> {
    return this._selection;
  }

  /**
   * A key equal for equal selections, used to store the layout.
   */
  get key(): string {
    return this._key;
  }

  /**
   * A copy of the current layout.
   */
  get layout(): ITableLayout {
    return JSON.parse(JSON.stringify(this._layout)) as ITableLayout;
  }

  /**
   * Every column of the selection, in display order, hidden ones included.
   */
  get columns(): readonly IColumn[] {
    return this._columns;
  }

  /**
   * The columns shown, in display order.
   */
  get visibleColumns(): readonly IColumn[] {
    return this._visible;
  }

  /**
   * The experiments and trials of the selection that do not exist, such as
   * deleted ones, as the last reply listed them.
   */
  get missing(): IMissingParents {
    return this._pages.missing;
  }

  /**
   * The number of rows, 0 until the first page arrived.
   */
  get rowCount(): number {
    return Math.max(0, this._pages.total);
  }

  /**
   * The state of the requests.
   */
  get status(): TableStatus {
    return this._status;
  }

  /**
   * The message of the last failed request, or null.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * The sort, or null for newest first.
   */
  get sort(): ITableSort | null {
    return this._layout.sort;
  }

  /**
   * Names of the selected rows.
   */
  get selectedNames(): ReadonlySet<string> {
    return this._selected;
  }

  /**
   * The rows that "Only columns that differ" compares.
   */
  get comparison(): IComparison {
    return {
      basis: this._selected.size >= 2 ? 'selected' : 'loaded',
      rows: this._comparedRows().length
    };
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Fetch the column names and the first page.
   *
   * @returns A promise that settles when both arrived or failed; it never
   *   rejects, because failures are stored in `error`.
   */
  async load(): Promise<void> {
    this._setStatus('loading', null);
    if (this._layout.sort === null) {
      await Promise.all([this._loadColumns(), this._pages.start()]);
    } else {
      // A stored sort names a column, whose server sort key needs the
      // column list first.
      await this._loadColumns();
      this._pages.dispose();
      this._pages = this._createPages();
      await this._pages.start();
    }
    if (this._status === 'loading') {
      this._setStatus('ready', null);
    }
  }

  /**
   * Fetch the columns and every loaded page again, keeping the row selection.
   */
  async refresh(): Promise<void> {
    this._setStatus('loading', null);
    await Promise.all([this._loadColumns(), this._pages.refetch(null)]);
    if (this._status === 'loading') {
      this._setStatus('ready', null);
    }
  }

  /**
   * Return the trial component at row `index`, or undefined while loading.
   */
  row(index: number): ITrialComponent | undefined {
    return this._pages.row(index);
  }

  /**
   * Fetch the pages of rows `start` to `end` (exclusive) that are not loaded,
   * after the rows requested by `row()` and `cell()`.
   */
  prefetch(start: number, end: number): void {
    this._pages.prefetch(start, end);
  }

  /**
   * Return the text and tooltip of a cell, or null while its row is loading.
   *
   * @param index - The row.
   * @param column - The column.
   * @param now - The current time in seconds, for durations of running work.
   */
  cell(
    index: number,
    column: IColumn,
    now: number = Date.now() / 1000
  ): ICellText | null {
    const row = this._pages.row(index);
    if (row === undefined) {
      return null;
    }
    return this._formatter.cell(row, column, this.statisticOf(column), now);
  }

  /**
   * Return the texts of a column for the loaded rows, in row order, from the
   * first row up to the first row not loaded.
   *
   * #### Notes
   * The grid renders only the rows in view, so tests read the other rows
   * through this. The first missing row's page is requested.
   */
  columnTexts(key: string): string[] {
    const column = this._columns.find(c => c.key === key);
    if (column === undefined) {
      return [];
    }
    const texts: string[] = [];
    for (let index = 0; index < this.rowCount; index++) {
      const cell = this.cell(index, column);
      if (cell === null) {
        break;
      }
      texts.push(cell.text);
    }
    return texts;
  }

  /**
   * Return the statistic a metric column shows.
   */
  statisticOf(column: IColumn): MetricStatistic {
    return this._layout.statistics[column.name] ?? this._defaultStatistic;
  }

  /**
   * Return whether the server can sort by a column.
   */
  isSortable(column: IColumn): boolean {
    return sortKeyOf(column, this.statisticOf(column)) !== null;
  }

  /**
   * Show another statistic in a metric column, and sort again when the table
   * is sorted by that column.
   */
  setStatistic(metric: string, statistic: MetricStatistic): void {
    const current = this._layout.statistics[metric] ?? this._defaultStatistic;
    if (current === statistic) {
      return;
    }
    this._layout.statistics[metric] = statistic;
    this._layoutDidChange(true);
    if (this._layout.sort?.key === `metrics.${metric}`) {
      this._restartRows();
    }
  }

  /**
   * Sort by a column: descending first, then toggling the direction.
   *
   * @returns Whether the sort changed; false for a column the server cannot sort by.
   */
  toggleSort(key: string): boolean {
    const column = this._columns.find(c => c.key === key);
    if (column === undefined || !this.isSortable(column)) {
      return false;
    }
    const current = this._layout.sort;
    const order =
      current?.key === key && current.order === 'descending'
        ? 'ascending'
        : 'descending';
    this._layout.sort = { key, order };
    this._layoutDidChange(true);
    this._restartRows();
    return true;
  }

  /**
   * Show or hide every column of a group.
   */
  setGroupVisible(group: ColumnGroupId, visible: boolean): void {
    const hidden = new Set(this._layout.hiddenGroups);
    if (visible) {
      hidden.delete(group);
    } else {
      hidden.add(group);
    }
    this._layout.hiddenGroups = COLUMN_GROUPS.filter(g => hidden.has(g));
    this._layoutDidChange(true);
  }

  /**
   * Return whether a group is shown.
   */
  isGroupVisible(group: ColumnGroupId): boolean {
    return !this._layout.hiddenGroups.includes(group);
  }

  /**
   * Show or hide one column.
   */
  setColumnVisible(key: string, visible: boolean): void {
    const hidden = new Set(this._layout.hiddenColumns);
    if (visible) {
      hidden.delete(key);
    } else {
      hidden.add(key);
    }
    this._layout.hiddenColumns = [...hidden].sort();
    this._layoutDidChange(true);
  }

  /**
   * Return whether a column is shown when its group is.
   */
  isColumnVisible(key: string): boolean {
    return !this._layout.hiddenColumns.includes(key);
  }

  /**
   * Move a column by `delta` places within its group.
   */
  moveColumn(key: string, delta: number): void {
    const index = this._columns.findIndex(c => c.key === key);
    if (index < 0) {
      return;
    }
    const group = this._columns[index].group;
    const target = index + delta;
    if (
      target < 0 ||
      target >= this._columns.length ||
      this._columns[target].group !== group
    ) {
      return;
    }
    const order = this._columns.map(c => c.key);
    order.splice(index, 1);
    order.splice(target, 0, key);
    this._layout.order = order;
    // The columns are sorted by the stored order when they are built.
    this._rebuildColumns();
    this._layoutChanged.emit(this.layout);
  }

  /**
   * Remember the width of a column, in CSS pixels.
   */
  setColumnWidth(key: string, width: number): void {
    const rounded = Math.round(width);
    if (this._layout.widths[key] === rounded) {
      return;
    }
    this._layout.widths[key] = rounded;
    // The grid already has the new width: no column change to paint.
    this._layoutChanged.emit(this.layout);
  }

  /**
   * Return the remembered width of a column, or undefined.
   */
  columnWidth(key: string): number | undefined {
    return this._layout.widths[key];
  }

  /**
   * Show only the columns whose values differ, or every column again.
   */
  setOnlyDiffering(value: boolean): void {
    if (this._layout.onlyDiffering === value) {
      return;
    }
    this._layout.onlyDiffering = value;
    this._layoutDidChange(true);
  }

  /**
   * Whether only the columns whose values differ are shown.
   */
  get onlyDiffering(): boolean {
    return this._layout.onlyDiffering;
  }

  /**
   * Return whether the row at `index` is selected.
   */
  isRowSelected(index: number): boolean {
    const row = this._pages.row(index);
    return row !== undefined && this._selected.has(row.name);
  }

  /**
   * Change the row selection as a click does.
   *
   * @param index - The clicked row.
   * @param mode - `replace` (click), `toggle` (Ctrl or Cmd-click) or `range`
   *   (Shift-click: from the last clicked row to this one).
   */
  async selectRow(
    index: number,
    mode: 'replace' | 'toggle' | 'range'
  ): Promise<void> {
    const row = this._pages.row(index);
    if (mode === 'range' && this._anchor !== null) {
      const start = Math.min(this._anchor, index);
      const end = Math.max(this._anchor, index) + 1;
      const rows = await this._pages.rows(start, end);
      this._selected = new Set(rows.map(r => r.name));
    } else if (row === undefined) {
      return;
    } else if (mode === 'toggle') {
      if (!this._selected.delete(row.name)) {
        this._selected.add(row.name);
      }
      this._anchor = index;
    } else {
      this._selected = new Set([row.name]);
      this._anchor = index;
    }
    this._selectionDidChange();
  }

  /**
   * Select no row.
   */
  clearSelection(): void {
    if (this._selected.size === 0) {
      return;
    }
    this._selected = new Set();
    this._anchor = null;
    this._selectionDidChange();
  }

  /**
   * Return the query of the CSV export: the selected rows, or every row when
   * none is selected, with the visible parameters, metrics and artifacts.
   */
  exportQuery(): Omit<IComponentQuery, 'limit' | 'cursor'> {
    const query: Omit<IComponentQuery, 'limit' | 'cursor'> = {
      ...this._selection,
      ...this._sortFields()
    };
    if (this._selected.size > 0) {
      query.search_expression = {
        Filters: [
          {
            Name: 'TrialComponentName',
            Operator: 'In',
            Value: [...this._selected].sort()
          }
        ]
      };
    }
    const visible = this._visible;
    const columns: string[] = ['name'];
    for (const column of visible) {
      if (column.kind === 'parameter') {
        columns.push(`parameters.${column.name}`);
      } else if (column.kind === 'metric') {
        columns.push(`metrics.${column.name}`);
      }
    }
    if (
      visible.some(
        c => c.kind === 'input_artifact' || c.kind === 'output_artifact'
      )
    ) {
      columns.push('artifacts');
    }
    query.columns = columns;
    return query;
  }

  /**
   * Dispose of the model and stop listening to live updates.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.clearTimeout(this._liveTimer);
    this._pages.dispose();
    Signal.clearData(this);
  }

  private _createPages(): ComponentPages {
    const pages = new ComponentPages({
      query: { ...this._selection, ...this._sortFields() },
      total: this._pages?.total,
      pageSize: this._pageSize,
      fetch: this._fetchPage,
      serverSettings: this._serverSettings
    });
    pages.changed.connect(this._onPagesChanged, this);
    return pages;
  }

  private _sortFields(): { sort_by?: string; sort_order?: SortOrder } {
    const sort = this._layout.sort;
    const column = sort
      ? this._columns.find(c => c.key === sort.key)
      : undefined;
    const sortBy =
      sort && column ? sortKeyOf(column, this.statisticOf(column)) : null;
    if (!sort || sortBy === null) {
      return {};
    }
    return {
      sort_by: sortBy,
      sort_order: sort.order === 'descending' ? 'Descending' : 'Ascending'
    };
  }

  private _restartRows(): void {
    this._pages.dispose();
    this._pages = this._createPages();
    this._stateChanged.emit();
    this._rowsChanged.emit({ start: 0, end: this.rowCount });
    void this._pages.start();
  }

  private async _loadColumns(): Promise<void> {
    let found: IComponentColumns;
    try {
      found = await this._fetchColumns(this._selection, this._serverSettings);
    } catch (error) {
      this._setStatus('error', Private.messageOf(error));
      return;
    }
    if (this._isDisposed) {
      return;
    }
    this._found = found;
    this._rebuildColumns();
  }

  private _rebuildColumns(): void {
    const columns = buildColumns(
      this._found,
      [...this._jobSettingKeys].sort(),
      this._trans
    );
    const order = new Map(this._layout.order.map((key, i) => [key, i]));
    const defaults = new Map(columns.map((column, i) => [column.key, i]));
    const rank = (column: IColumn): number =>
      order.get(column.key) ?? Number.MAX_SAFE_INTEGER;
    // Groups stay together, because their headers are merged cells.
    columns.sort(
      (a, b) =>
        COLUMN_GROUPS.indexOf(a.group) - COLUMN_GROUPS.indexOf(b.group) ||
        rank(a) - rank(b) ||
        (defaults.get(a.key) ?? 0) - (defaults.get(b.key) ?? 0)
    );
    this._columns = columns;
    this._updateVisible(true);
  }

  private _updateVisible(force: boolean): void {
    const hiddenGroups = new Set(this._layout.hiddenGroups);
    const hiddenColumns = new Set(this._layout.hiddenColumns);
    let visible = this._columns.filter(
      c => !hiddenGroups.has(c.group) && !hiddenColumns.has(c.key)
    );
    if (this._layout.onlyDiffering) {
      const rows = this._comparedRows();
      const now = Date.now() / 1000;
      visible = visible.filter(column => {
        const statistic = this.statisticOf(column);
        const valueOf = (row: ITrialComponent): string =>
          JSON.stringify(cellValue(row, column, statistic, now) ?? null);
        // Most columns differ within the first rows: stop at the first difference.
        const first = rows.length > 0 ? valueOf(rows[0]) : '';
        return rows.some(row => valueOf(row) !== first);
      });
    }
    const changed =
      visible.length !== this._visible.length ||
      visible.some((column, i) => column !== this._visible[i]);
    this._visible = visible;
    if (changed || force) {
      this._columnsChanged.emit();
    }
  }

  private _comparedRows(): ITrialComponent[] {
    const loaded = this._pages.loadedRows();
    if (this._selected.size >= 2) {
      return loaded.filter(row => this._selected.has(row.name));
    }
    return loaded;
  }

  private _layoutDidChange(columns: boolean): void {
    if (columns) {
      this._updateVisible(true);
    }
    this._layoutChanged.emit(this.layout);
  }

  private _selectionDidChange(): void {
    this._selectionChanged.emit();
    if (this._layout.onlyDiffering) {
      this._updateVisible(false);
    }
  }

  private _onPagesChanged(
    sender: ComponentPages,
    change: ComponentPages.IChange
  ): void {
    if (sender !== this._pages) {
      return;
    }
    switch (change.type) {
      case 'total':
        this._rowCountChanged.emit(change.total);
        break;
      case 'error':
        this._setStatus('error', change.message);
        break;
      case 'rows':
        if (this._status === 'error') {
          this._setStatus('ready', null);
        }
        this._noteNewKeys(change.start, change.end);
        this._rowsChanged.emit({ start: change.start, end: change.end });
        if (this._layout.onlyDiffering) {
          this._updateVisible(false);
        }
        break;
    }
  }

  /**
   * Add job setting columns for keys seen in new rows, and fetch the column
   * names again when a row has a metric, parameter or artifact not known yet.
   * Job setting keys come from the columns endpoint too; a key first seen in
   * a loaded row (written since) adds its column here.
   */
  private _noteNewKeys(start: number, end: number): void {
    let newJobKeys = false;
    let newNames = false;
    const known = (names: { name: string }[], name: string): boolean =>
      names.some(item => item.name === name);
    for (let index = start; index < end; index++) {
      const row = this._pages.row(index);
      if (row === undefined) {
        continue;
      }
      for (const key of Object.keys(row.job_settings ?? {})) {
        if (!this._jobSettingKeys.has(key)) {
          this._jobSettingKeys.add(key);
          newJobKeys ||= !known(this._found.job_settings ?? [], key);
        }
      }
      if (this._columns.length > 0 && !newNames) {
        newNames =
          Object.keys(row.metrics ?? {}).some(
            name => !known(this._found.metrics, name)
          ) ||
          Object.keys(row.parameters ?? {}).some(
            name => !known(this._found.parameters, name)
          );
      }
    }
    if (newNames) {
      void this._loadColumns();
    } else if (newJobKeys) {
      this._rebuildColumns();
    }
  }

  private _onLiveChanged(
    _sender: ILiveUpdates,
    notices: IChangeNotice[]
  ): void {
    for (const notice of notices) {
      if (this._isStructural(notice)) {
        this._liveStructural = true;
      } else if (
        notice.resource_type === 'trial_component' &&
        this._pages.indexOf(notice.name) !== undefined
      ) {
        this._liveNames.add(notice.name);
      }
    }
    if (this._liveStructural || this._liveNames.size > 0) {
      // Notices come in bursts while jobs log metrics: one refetch per burst.
      window.clearTimeout(this._liveTimer);
      this._liveTimer = window.setTimeout(
        () => this._applyLiveChanges(),
        ComponentTableModel.LIVE_DEBOUNCE_MS
      );
    }
  }

  private _onLiveReset(): void {
    this._liveStructural = true;
    this._applyLiveChanges();
  }

  /**
   * Whether a notice may add or remove rows of this selection.
   */
  private _isStructural(notice: IChangeNotice): boolean {
    const selection = this._selection;
    if (notice.resource_type === 'trial_component') {
      switch (notice.action) {
        case 'associated':
        case 'disassociated':
          // Component notices carry the trial but not its experiment.
          return (
            selection.unassigned ||
            selection.experiments.length > 0 ||
            (notice.trial !== null && selection.trials.includes(notice.trial))
          );
        case 'created':
          return selection.unassigned;
        case 'deleted':
          return this._pages.indexOf(notice.name) !== undefined;
        default:
          return false;
      }
    }
    if (notice.resource_type === 'trial' && notice.action === 'deleted') {
      return (
        selection.trials.includes(notice.name) ||
        (notice.experiment !== null &&
          selection.experiments.includes(notice.experiment))
      );
    }
    if (notice.resource_type === 'experiment' && notice.action === 'deleted') {
      // The reply then names the experiment as missing.
      return selection.experiments.includes(notice.name);
    }
    return false;
  }

  private _applyLiveChanges(): void {
    if (this._isDisposed) {
      return;
    }
    const structural = this._liveStructural;
    const names = [...this._liveNames];
    this._liveStructural = false;
    this._liveNames.clear();
    if (structural) {
      void this._loadColumns();
      void this._pages.refetch(null);
    } else {
      void this._pages.refetch(names);
    }
  }

  private _setStatus(status: TableStatus, error: string | null): void {
    this._status = status;
    this._error = error;
    this._stateChanged.emit();
  }

  private _anchor: number | null = null;
  private _columns: IColumn[] = [];
  private _columnsChanged = new Signal<this, void>(this);
  private _defaultStatistic: MetricStatistic;
  private _error: string | null = null;
  private _fetchColumns: ComponentTableModel.FetchColumns;
  private _fetchPage: ComponentPages.FetchPage | undefined;
  private _formatter: CellFormatter;
  private _found: IComponentColumns = {
    parameters: [],
    metrics: [],
    artifacts: []
  };
  private _isDisposed = false;
  private _jobSettingKeys = new Set<string>();
  private _key: string;
  private _layout: ITableLayout;
  private _layoutChanged = new Signal<this, ITableLayout>(this);
  private _live: ILiveUpdates | null;
  private _liveNames = new Set<string>();
  private _liveStructural = false;
  private _liveTimer = 0;
  private _pages: ComponentPages;
  private _pageSize: number;
  private _rowCountChanged = new Signal<this, number>(this);
  private _rowsChanged = new Signal<this, { start: number; end: number }>(this);
  private _selected = new Set<string>();
  private _selection: Required<IComponentSelection>;
  private _selectionChanged = new Signal<this, void>(this);
  private _serverSettings: ServerConnection.ISettings | undefined;
  private _stateChanged = new Signal<this, void>(this);
  private _status: TableStatus = 'loading';
  private _trans: TranslationBundle;
  private _visible: IColumn[] = [];
}

/**
 * The namespace for `ComponentTableModel` statics.
 */
export namespace ComponentTableModel {
  /**
   * Milliseconds to gather live notices before refetching.
   */
  export const LIVE_DEBOUNCE_MS = 300;

  /**
   * A function that fetches the column names of a selection.
   */
  export type FetchColumns = (
    selection: IComponentSelection,
    serverSettings?: ServerConnection.ISettings
  ) => Promise<IComponentColumns>;

  /**
   * The options to create a `ComponentTableModel`.
   */
  export interface IOptions {
    /**
     * The trial components to show.
     */
    selection: IComponentSelection;

    /**
     * The application's server settings.
     */
    serverSettings?: ServerConnection.ISettings;

    /**
     * The translation bundle of column titles and tooltips.
     */
    trans?: TranslationBundle;

    /**
     * The stored layout, or none for the default one.
     */
    layout?: ITableLayout;

    /**
     * Rows per request.
     */
    pageSize?: number;

    /**
     * The statistic of metric columns the layout does not name.
     */
    defaultStatistic?: MetricStatistic;

    /**
     * The live-update connection, or null to show the rows as fetched.
     */
    live?: ILiveUpdates | null;

    /**
     * The function that fetches a page of rows; defaults to `queryComponents`.
     */
    fetchPage?: ComponentPages.FetchPage;

    /**
     * The function that fetches the column names; defaults to `fetchColumns`.
     */
    fetchColumns?: FetchColumns;
  }
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * Return `value` if it is a plain object, else an empty one.
   */
  export function record(value: unknown): Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
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
