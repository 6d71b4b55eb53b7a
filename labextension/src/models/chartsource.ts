/**
 * The chart source of a trial component list: the rows selected in the
 * table, or the rows a chart was opened for when none is selected or the
 * chart follows no table.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { ITrialComponent } from '../api/components';
import { IChartSource } from './chart';
import { ComponentTableModel } from './table';

/**
 * A chart source that follows a table's selection and live row updates.
 *
 * #### Notes
 * It reuses the table's signals, so a chart opens no connection of its own:
 * the table refetches rows on live notices, and the chart reads them. When
 * the table is closed, the source keeps the rows it saw last.
 */
export class TableChartSource implements IChartSource {
  /**
   * Construct the source of `table`, falling back to `initial` names.
   *
   * @param table - The table to follow, or null to show the `initial`
   *   names until `attach()` gives it a table, such as a chart restored
   *   before its table.
   * @param initial - The names the chart was opened for.
   */
  constructor(table: ComponentTableModel | null, initial: readonly string[]) {
    this._initial = [...initial];
    if (table !== null) {
      this._follow(table);
    }
  }

  /**
   * A signal emitted when the table's selection or rows change.
   */
  get changed(): ISignal<IChartSource, void> {
    return this._changed;
  }

  /**
   * The names the chart was opened for.
   */
  get initialNames(): readonly string[] {
    return this._initial;
  }

  /**
   * The table followed, or null.
   */
  get table(): ComponentTableModel | null {
    return this._table;
  }

  /**
   * Return the selected rows' names in table order, or the names the chart
   * was opened for when no row is selected.
   */
  names(): string[] {
    const table = this._table;
    const selected =
      table === null || table.isDisposed
        ? new Set<string>()
        : table.selectedNames;
    if (selected.size === 0) {
      return [...this._initial];
    }
    const ordered = this._order.filter(name => selected.has(name));
    // Selected rows outside the loaded pages come last.
    const rest = [...selected].filter(name => !this._rows.has(name)).sort();
    return [...ordered, ...rest];
  }

  /**
   * Return a loaded row of the table.
   */
  row(name: string): ITrialComponent | undefined {
    return this._rows.get(name);
  }

  /**
   * Follow `table` in place of the table followed so far, if any.
   */
  attach(table: ComponentTableModel): void {
    if (table === this._table) {
      return;
    }
    if (this._table !== null) {
      this._table.selectionChanged.disconnect(this._onTableChanged, this);
      this._table.rowsChanged.disconnect(this._onTableChanged, this);
      this._table.rowCountChanged.disconnect(this._onTableChanged, this);
    }
    this._follow(table);
    this._changed.emit();
  }

  /**
   * Stop following the table.
   */
  dispose(): void {
    Signal.disconnectReceiver(this);
    Signal.clearData(this);
  }

  private _follow(table: ComponentTableModel): void {
    this._table = table;
    this._scan();
    table.selectionChanged.connect(this._onTableChanged, this);
    table.rowsChanged.connect(this._onTableChanged, this);
    table.rowCountChanged.connect(this._onTableChanged, this);
  }

  private _onTableChanged(): void {
    this._scan();
    this._changed.emit();
  }

  private _scan(): void {
    const table = this._table;
    if (table === null || table.isDisposed) {
      return;
    }
    const rows = new Map<string, ITrialComponent>();
    const order: string[] = [];
    for (let index = 0; index < table.rowCount; index++) {
      const row = table.row(index);
      if (row !== undefined) {
        rows.set(row.name, row);
        order.push(row.name);
      }
    }
    // Rows of pages the table dropped stay known until they come back.
    for (const [name, row] of this._rows) {
      if (!rows.has(name)) {
        rows.set(name, row);
      }
    }
    this._rows = rows;
    this._order = order;
  }

  private _changed = new Signal<IChartSource, void>(this);
  private _initial: string[];
  private _order: string[] = [];
  private _rows = new Map<string, ITrialComponent>();
  private _table: ComponentTableModel | null = null;
}
