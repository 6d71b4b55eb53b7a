/**
 * The canvas grid of the trial component list, built on `@lumino/datagrid`.
 *
 * #### Notes
 * This module imports `@lumino/datagrid` statically; the table widget loads
 * it with `await import('./grid')`, so JupyterLab fetches the data grid only
 * when a table opens.
 */

import {
  BasicKeyHandler,
  BasicMouseHandler,
  CellGroup,
  CellRenderer,
  DataGrid,
  DataModel,
  TextRenderer
} from '@lumino/datagrid';

import { ComponentTableModel } from '../../models/table';
import {
  ColumnGroupId,
  IColumn,
  STATISTIC_NAMES
} from '../../models/tablecolumns';

/**
 * Where a pointer event hit the grid, in terms of the table.
 */
export type TableHit =
  | { region: 'body'; row: number; column: IColumn | null }
  | { region: 'column-header'; column: IColumn }
  | { region: 'other' };

/**
 * What the grid reports to the table widget.
 */
export interface IGridCallbacks {
  /**
   * A left click on a column name: sort by it.
   */
  onHeaderClick(column: IColumn): void;

  /**
   * A left click on a row, with the keys that change the selection.
   */
  onRowClick(row: number, event: MouseEvent): void;

  /**
   * A double click on a row.
   */
  onRowDoubleClick(row: number): void;

  /**
   * A right click anywhere, before JupyterLab opens its context menu.
   */
  onContextMenu(hit: TableHit): void;

  /**
   * A column was resized by dragging its border.
   */
  onColumnResized(column: IColumn, width: number): void;
}

/**
 * The header texts the grid shows.
 */
export interface IGridLabels {
  /**
   * The title of each column group.
   */
  groups: Record<ColumnGroupId, string>;

  /**
   * The tooltip of a column the server can sort by.
   */
  sortable: string;

  /**
   * The tooltip of a column the server cannot sort by.
   */
  unsortable: string;

  /**
   * The text of a cell whose row is loading.
   */
  loading: string;
}

/**
 * A data grid over a `ComponentTableModel`, with the table's mouse handling.
 */
export class ComponentGrid extends DataGrid {
  /**
   * Construct a grid; it reads and watches `options.model`.
   */
  constructor(options: ComponentGrid.IOptions) {
    super({
      style: Private.gridStyle(options.model),
      defaultSizes: {
        rowHeight: 24,
        columnWidth: 120,
        rowHeaderWidth: 0,
        columnHeaderHeight: 24
      },
      headerVisibility: 'column'
    });
    this.addClass('jp-ComponentTable-grid');
    this._model = options.model;
    this._labels = options.labels;
    this._dataAdapter = new ComponentDataModel(options.model, options.labels);
    this.dataModel = this._dataAdapter;
    this.keyHandler = new BasicKeyHandler();
    this.mouseHandler = new TableMouseHandler(
      options.model,
      options.callbacks,
      options.labels
    );
    this.applyTheme();
    this.copyConfig = { ...this.copyConfig, headers: 'column' };

    this._model.columnsChanged.connect(this._applyWidths, this);
    this._model.selectionChanged.connect(this.repaintAll, this);
    this._applyWidths();
  }

  /**
   * Paint every visible cell again, such as after the row selection changed.
   */
  repaintAll(): void {
    this.style = Private.gridStyle(this._model);
  }

  /**
   * Read the colours and fonts of the current JupyterLab theme and repaint.
   */
  applyTheme(): void {
    this.cellRenderers.update({
      body: Private.bodyRenderer(this._model),
      'column-header': Private.headerRenderer()
    });
    this.repaintAll();
  }

  /**
   * The header texts of the grid.
   */
  get labels(): IGridLabels {
    return this._labels;
  }

  /**
   * Dispose of the grid and stop watching the model.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.columnsChanged.disconnect(this._applyWidths, this);
    this._model.selectionChanged.disconnect(this.repaintAll, this);
    this._dataAdapter.dispose();
    super.dispose();
  }

  private _applyWidths(): void {
    this._model.visibleColumns.forEach((column, index) => {
      const width = this._model.columnWidth(column.key);
      if (width !== undefined) {
        this.resizeColumn('body', index, width);
      } else if (this.columnSize('body', index) !== 120) {
        this.resizeColumn('body', index, null);
      }
    });
  }

  private _dataAdapter: ComponentDataModel;
  private _labels: IGridLabels;
  private _model: ComponentTableModel;
}

/**
 * The namespace for `ComponentGrid` statics.
 */
export namespace ComponentGrid {
  /**
   * The options to create a `ComponentGrid`.
   */
  export interface IOptions {
    /**
     * The table model to show.
     */
    model: ComponentTableModel;

    /**
     * Where pointer actions go.
     */
    callbacks: IGridCallbacks;

    /**
     * The translated header texts.
     */
    labels: IGridLabels;
  }
}

/**
 * The data grid's view of a `ComponentTableModel`: two header rows (groups,
 * then columns) and one body row per trial component.
 */
class ComponentDataModel extends DataModel {
  constructor(model: ComponentTableModel, labels: IGridLabels) {
    super();
    this._model = model;
    this._labels = labels;
    this._updateGroups();
    model.columnsChanged.connect(this._onColumnsChanged, this);
    model.rowCountChanged.connect(this._onReset, this);
    model.rowsChanged.connect(this._onRowsChanged, this);
    model.stateChanged.connect(this._onHeaderChanged, this);
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this._model.rowCount : 2;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? this._model.visibleColumns.length : 1;
  }

  data(region: DataModel.CellRegion, row: number, column: number): string {
    const spec = this._model.visibleColumns[column];
    switch (region) {
      case 'body': {
        if (spec === undefined) {
          return '';
        }
        const cell = this._model.cell(row, spec);
        return cell === null ? this._labels.loading : cell.text;
      }
      case 'column-header':
        if (spec === undefined) {
          return '';
        }
        return row === 0 ? this._labels.groups[spec.group] : this._header(spec);
      case 'row-header':
        return String(row + 1);
      default:
        return '';
    }
  }

  groupCount(region: DataModel.CellRegion): number {
    return region === 'column-header' ? this._groups.length : 0;
  }

  group(region: DataModel.CellRegion, groupIndex: number): CellGroup | null {
    return region === 'column-header'
      ? (this._groups[groupIndex] ?? null)
      : null;
  }

  dispose(): void {
    this._model.columnsChanged.disconnect(this._onColumnsChanged, this);
    this._model.rowCountChanged.disconnect(this._onReset, this);
    this._model.rowsChanged.disconnect(this._onRowsChanged, this);
    this._model.stateChanged.disconnect(this._onHeaderChanged, this);
  }

  private _header(column: IColumn): string {
    let text = column.label;
    if (column.kind === 'metric') {
      text += ` (${STATISTIC_NAMES[this._model.statisticOf(column)]})`;
    }
    const sort = this._model.sort;
    if (sort?.key === column.key) {
      text += sort.order === 'descending' ? ' \u25BC' : ' \u25B2';
    }
    return text;
  }

  /**
   * Merge the group header cells above each run of columns of one group.
   */
  private _updateGroups(): void {
    const groups: CellGroup[] = [];
    let previous: ColumnGroupId | null = null;
    this._model.visibleColumns.forEach((column, index) => {
      if (column.group === previous) {
        groups[groups.length - 1].c2 = index;
      } else {
        groups.push({ r1: 0, r2: 0, c1: index, c2: index });
        previous = column.group;
      }
    });
    this._groups = groups.filter(group => group.c2 > group.c1);
  }

  private _onColumnsChanged(): void {
    this._updateGroups();
    this.emitChanged({ type: 'model-reset' });
  }

  private _onReset(): void {
    this.emitChanged({ type: 'model-reset' });
  }

  private _onHeaderChanged(): void {
    this.emitChanged({
      type: 'cells-changed',
      region: 'column-header',
      row: 0,
      column: 0,
      rowSpan: 2,
      columnSpan: this._model.visibleColumns.length
    });
  }

  private _onRowsChanged(
    sender: ComponentTableModel,
    range: { start: number; end: number }
  ): void {
    const end = Math.min(range.end, this._model.rowCount);
    const columns = this._model.visibleColumns.length;
    if (end <= range.start || columns === 0) {
      return;
    }
    this.emitChanged({
      type: 'cells-changed',
      region: 'body',
      row: range.start,
      column: 0,
      rowSpan: end - range.start,
      columnSpan: columns
    });
  }

  private _groups: CellGroup[] = [];
  private _labels: IGridLabels;
  private _model: ComponentTableModel;
}

/**
 * Mouse handling of the table: header clicks sort, row clicks select, the
 * pointer shows the whole value of a cell as a tooltip, and resized columns
 * are remembered. Column resizing itself is the base class's.
 */
class TableMouseHandler extends BasicMouseHandler {
  constructor(
    model: ComponentTableModel,
    callbacks: IGridCallbacks,
    labels: IGridLabels
  ) {
    super();
    this._model = model;
    this._callbacks = callbacks;
    this._labels = labels;
  }

  onMouseHover(grid: DataGrid, event: MouseEvent): void {
    super.onMouseHover(grid, event);
    const hit = this._hit(grid, event);
    let title = '';
    if (hit.region === 'body' && hit.column !== null) {
      title = this._model.cell(hit.row, hit.column)?.title ?? '';
    } else if (hit.region === 'column-header') {
      const sortable = this._model.isSortable(hit.column);
      title = `${hit.column.label}\n${sortable ? this._labels.sortable : this._labels.unsortable}`;
    }
    if (grid.viewport.node.title !== title) {
      grid.viewport.node.title = title;
    }
  }

  onMouseLeave(grid: DataGrid, event: MouseEvent): void {
    super.onMouseLeave(grid, event);
    grid.viewport.node.title = '';
  }

  onMouseDown(grid: DataGrid, event: MouseEvent): void {
    super.onMouseDown(grid, event);
    // The base class started a resize when the press hit a column border.
    if (this.pressData !== null || event.button !== 0) {
      return;
    }
    const hit = this._hit(grid, event);
    if (hit.region === 'column-header') {
      this._callbacks.onHeaderClick(hit.column);
    } else if (hit.region === 'body') {
      grid.activate();
      this._callbacks.onRowClick(hit.row, event);
    }
  }

  onMouseUp(grid: DataGrid, event: MouseEvent): void {
    const press = this.pressData;
    super.onMouseUp(grid, event);
    if (press?.type === 'column-resize' && press.region === 'body') {
      const column = this._model.visibleColumns[press.index];
      if (column !== undefined) {
        this._callbacks.onColumnResized(
          column,
          grid.columnSize('body', press.index)
        );
      }
    }
  }

  onMouseDoubleClick(grid: DataGrid, event: MouseEvent): void {
    const hit = this._hit(grid, event);
    if (hit.region === 'body') {
      this._callbacks.onRowDoubleClick(hit.row);
    }
  }

  onContextMenu(grid: DataGrid, event: MouseEvent): void {
    // JupyterLab opens its context menu when the event reaches the document.
    this._callbacks.onContextMenu(this._hit(grid, event));
  }

  private _hit(grid: DataGrid, event: MouseEvent): TableHit {
    const hit = grid.hitTest(event.clientX, event.clientY);
    const column = this._model.visibleColumns[hit.column] ?? null;
    if (hit.region === 'body') {
      return { region: 'body', row: hit.row, column };
    }
    if (hit.region === 'column-header' && hit.row === 1 && column !== null) {
      return { region: 'column-header', column };
    }
    return { region: 'other' };
  }

  private _callbacks: IGridCallbacks;
  private _labels: IGridLabels;
  private _model: ComponentTableModel;
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * Return the value of a CSS custom property of the document, or `fallback`.
   */
  export function cssVariable(name: string, fallback: string): string {
    const value = getComputedStyle(document.documentElement)
      .getPropertyValue(name)
      .trim();
    return value || fallback;
  }

  /**
   * Return the grid colours of the current JupyterLab theme.
   */
  export function gridStyle(model: ComponentTableModel): DataGrid.Style {
    const background = cssVariable('--jp-layout-color0', 'white');
    const stripe = cssVariable('--jp-layout-color1', '#f7f7f7');
    const selected = cssVariable('--jp-brand-color3', '#bbdefb');
    return {
      ...DataGrid.defaultStyle,
      voidColor: background,
      backgroundColor: background,
      rowBackgroundColor: (index: number) => {
        if (model.isRowSelected(index)) {
          return selected;
        }
        return index % 2 === 0 ? background : stripe;
      },
      gridLineColor: cssVariable('--jp-border-color3', '#e0e0e0'),
      headerBackgroundColor: cssVariable('--jp-layout-color2', '#eeeeee'),
      headerGridLineColor: cssVariable('--jp-border-color2', '#cccccc'),
      selectionFillColor: 'transparent',
      cursorBorderColor: 'transparent'
    };
  }

  /**
   * Return the renderer of body cells: numbers right-aligned, long text
   * elided at the right.
   */
  export function bodyRenderer(model: ComponentTableModel): CellRenderer {
    const font = `${cssVariable('--jp-ui-font-size1', '13px')} ${cssVariable(
      '--jp-ui-font-family',
      'sans-serif'
    )}`;
    return new TextRenderer({
      font,
      textColor: cssVariable('--jp-ui-font-color1', 'black'),
      elideDirection: 'right',
      horizontalAlignment: (config: CellRenderer.CellConfig) => {
        const kind = model.visibleColumns[config.column]?.kind;
        return kind === 'metric' || kind === 'duration' ? 'right' : 'left';
      }
    });
  }

  /**
   * Return the renderer of header cells: bold, group titles centred.
   */
  export function headerRenderer(): CellRenderer {
    const font = `bold ${cssVariable('--jp-ui-font-size1', '13px')} ${cssVariable(
      '--jp-ui-font-family',
      'sans-serif'
    )}`;
    return new TextRenderer({
      font,
      textColor: cssVariable('--jp-ui-font-color1', 'black'),
      elideDirection: 'right',
      horizontalAlignment: (config: CellRenderer.CellConfig) =>
        config.row === 0 ? 'center' : 'left'
    });
  }
}
