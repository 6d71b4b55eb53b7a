/**
 * The virtualised grid of the trial component list: a DOM grid that renders
 * only the rows and columns in view.
 *
 * #### Notes
 * `@lumino/datagrid` was the first choice, but its 2.x canvas copies the
 * off-screen buffer to the screen once per painted cell. Where Chromium
 * rasterizes canvases on the CPU (no GPU, as on the machines of the browser
 * tests), each copy snapshots the whole canvas, about 4 ms, so a scroll of
 * twenty rows took 600 ms per frame. A DOM grid reuses a pool of a few
 * hundred cell elements and only rewrites what changed.
 */

import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { ComponentTableModel } from '../../models/table';
import {
  ColumnGroupId,
  ColumnKind,
  IColumn,
  STATISTIC_NAMES
} from '../../models/tablecolumns';

/**
 * The part of the grid a pointer event hit, in terms of the table.
 */
export type TableHit =
  | { region: 'body'; row: number; column: IColumn | null }
  | { region: 'column-header'; column: IColumn }
  | { region: 'other' };

/**
 * The callbacks through which the grid reports to the table widget.
 */
export interface IGridCallbacks {
  /**
   * A click on a column name: sort by it.
   */
  onHeaderClick(column: IColumn): void;

  /**
   * A left click on a row, with the keys that change the selection.
   */
  onRowClick(row: number, event: MouseEvent | KeyboardEvent): void;

  /**
   * A double click on a row, or Enter on the current row.
   */
  onRowDoubleClick(row: number): void;

  /**
   * A right click anywhere, before JupyterLab opens its context menu.
   */
  onContextMenu(hit: TableHit): void;

  /**
   * A column was resized by dragging the right border of its header.
   */
  onColumnResized(column: IColumn, width: number): void;
}

/**
 * The texts the grid shows besides the values.
 */
export interface IGridLabels {
  /**
   * The accessible name of the grid.
   */
  grid: string;

  /**
   * The title of each column group.
   */
  groups: Record<ColumnGroupId, string>;

  /**
   * The tooltip line of a column the server can sort by.
   */
  sortable: string;

  /**
   * The tooltip line of a column the server cannot sort by.
   */
  unsortable: string;

  /**
   * The text of a cell whose row is loading.
   */
  loading: string;
}

/**
 * A grid over a `ComponentTableModel` with grouped, sortable, resizable
 * column headers, row selection by mouse and keyboard, and tooltips with
 * whole values.
 *
 * #### Notes
 * The node is the scroll container. Its content is a sticky header with every
 * column, and a body as tall as all rows. In the body only the rows and
 * columns in view, plus a few more, exist as elements, which are reused as
 * the grid scrolls.
 */
export class ComponentGrid extends Widget {
  /**
   * Construct a grid; it reads and watches `options.model`.
   */
  constructor(options: ComponentGrid.IOptions) {
    super();
    this._model = options.model;
    this._callbacks = options.callbacks;
    this._labels = options.labels;
    this.addClass('jp-ComponentTable-grid');
    this.node.tabIndex = 0;
    this.node.setAttribute('role', 'grid');
    this.node.setAttribute('aria-multiselectable', 'true');
    this.node.setAttribute('aria-label', options.labels.grid);

    this._header.className = 'jp-ComponentTable-header';
    this._header.setAttribute('role', 'rowgroup');
    this._groupRow.className = 'jp-ComponentTable-groupRow';
    this._groupRow.setAttribute('role', 'row');
    this._groupRow.setAttribute('aria-rowindex', '1');
    this._columnRow.className = 'jp-ComponentTable-columnRow';
    this._columnRow.setAttribute('role', 'row');
    this._columnRow.setAttribute('aria-rowindex', '2');
    this._header.append(this._groupRow, this._columnRow);
    this._body.className = 'jp-ComponentTable-body';
    this._body.setAttribute('role', 'rowgroup');
    this.node.append(this._header, this._body);

    this._model.columnsChanged.connect(this._onColumnsChanged, this);
    this._model.stateChanged.connect(this._onColumnsChanged, this);
    this._model.rowCountChanged.connect(this._onRowCountChanged, this);
    this._model.rowsChanged.connect(this._onRowsChanged, this);
    this._model.selectionChanged.connect(this.scheduleRender, this);
    this._layoutColumns();
    this._renderHeader();
  }

  /**
   * The horizontal scroll position, in CSS pixels.
   */
  get scrollX(): number {
    return this.node.scrollLeft;
  }

  /**
   * The vertical scroll position, in CSS pixels.
   */
  get scrollY(): number {
    return this.node.scrollTop;
  }

  /**
   * The largest horizontal scroll position.
   */
  get maxScrollX(): number {
    return Math.max(0, this.node.scrollWidth - this.node.clientWidth);
  }

  /**
   * The largest vertical scroll position.
   */
  get maxScrollY(): number {
    return Math.max(0, this.node.scrollHeight - this.node.clientHeight);
  }

  /**
   * The rows that exist as elements, overscan included; `last` < `first`
   * when there are none.
   */
  get renderedRows(): { first: number; last: number } {
    return { first: this._firstRow, last: this._lastRow };
  }

  /**
   * Scroll to a position, in CSS pixels.
   */
  scrollTo(x: number, y: number): void {
    this.node.scrollLeft = x;
    this.node.scrollTop = y;
    this._render();
  }

  /**
   * Scroll by a distance, in CSS pixels.
   */
  scrollBy(dx: number, dy: number): void {
    this.scrollTo(this.node.scrollLeft + dx, this.node.scrollTop + dy);
  }

  /**
   * Scroll the least needed to show a row.
   */
  scrollToRow(row: number): void {
    const top = row * ComponentGrid.ROW_HEIGHT;
    const visible = this.node.clientHeight - ComponentGrid.HEADER_HEIGHT;
    let y = this.node.scrollTop;
    if (top < y) {
      y = top;
    } else if (top + ComponentGrid.ROW_HEIGHT > y + visible) {
      y = top + ComponentGrid.ROW_HEIGHT - visible;
    }
    this.scrollTo(this.node.scrollLeft, y);
  }

  /**
   * Scroll the least needed to show a column, by index in the visible columns.
   */
  scrollToColumn(column: number): void {
    const left = this._offsets[column] ?? 0;
    const right = this._offsets[column + 1] ?? left;
    let x = this.node.scrollLeft;
    if (left < x) {
      x = left;
    } else if (right > x + this.node.clientWidth) {
      x = right - this.node.clientWidth;
    }
    this.scrollTo(x, this.node.scrollTop);
  }

  /**
   * Return the left edge and width of a visible column, in CSS pixels.
   */
  columnGeometry(column: number): { left: number; width: number } {
    const left = this._offsets[column] ?? 0;
    return { left, width: (this._offsets[column + 1] ?? left) - left };
  }

  /**
   * Render the rows in view on the next animation frame.
   */
  scheduleRender(): void {
    if (this._frame === 0) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this._render();
      });
    }
  }

  /**
   * Handle the DOM events of the grid.
   */
  handleEvent(event: Event): void {
    switch (event.type) {
      case 'scroll':
        this._render();
        break;
      case 'mousedown':
        this._onMouseDown(event as MouseEvent);
        break;
      case 'mousemove':
        this._onDragMove(event as MouseEvent);
        break;
      case 'mouseup':
        this._onDragEnd();
        break;
      case 'click':
        this._onClick(event as MouseEvent);
        break;
      case 'dblclick':
        this._onDoubleClick(event as MouseEvent);
        break;
      case 'contextmenu':
        this._callbacks.onContextMenu(this._hit(event.target));
        break;
      case 'keydown':
        this._onKeyDown(event as KeyboardEvent);
        break;
    }
  }

  /**
   * Dispose of the grid and stop watching the model.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    cancelAnimationFrame(this._frame);
    this._model.columnsChanged.disconnect(this._onColumnsChanged, this);
    this._model.stateChanged.disconnect(this._onColumnsChanged, this);
    this._model.rowCountChanged.disconnect(this._onRowCountChanged, this);
    this._model.rowsChanged.disconnect(this._onRowsChanged, this);
    this._model.selectionChanged.disconnect(this.scheduleRender, this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    const node = this.node;
    node.addEventListener('scroll', this, { passive: true });
    node.addEventListener('mousedown', this);
    node.addEventListener('click', this);
    node.addEventListener('dblclick', this);
    node.addEventListener('contextmenu', this);
    node.addEventListener('keydown', this);
    this.scheduleRender();
  }

  protected onBeforeDetach(msg: Message): void {
    const node = this.node;
    node.removeEventListener('scroll', this);
    node.removeEventListener('mousedown', this);
    node.removeEventListener('click', this);
    node.removeEventListener('dblclick', this);
    node.removeEventListener('contextmenu', this);
    node.removeEventListener('keydown', this);
    this._onDragEnd();
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.scheduleRender();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this.scheduleRender();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this.node.focus();
  }

  private _onColumnsChanged(): void {
    this._layoutColumns();
    this._renderHeader();
    this._forgetCells();
    this.scheduleRender();
  }

  private _onRowCountChanged(): void {
    this._body.style.height = `${this._model.rowCount * ComponentGrid.ROW_HEIGHT}px`;
    this.node.setAttribute('aria-rowcount', String(this._model.rowCount + 2));
    this.scheduleRender();
  }

  private _onRowsChanged(
    _sender: ComponentTableModel,
    range: { start: number; end: number }
  ): void {
    if (range.end > this._firstRow && range.start <= this._lastRow) {
      this.scheduleRender();
    }
  }

  /**
   * Compute the left edge of every visible column from its width.
   */
  private _layoutColumns(): void {
    const columns = this._model.visibleColumns;
    const offsets = [0];
    columns.forEach((column, index) => {
      const width =
        this._drag?.index === index
          ? this._drag.width
          : (this._model.columnWidth(column.key) ?? this._defaultWidth(column));
      offsets.push(offsets[index] + width);
    });
    this._offsets = offsets;
    const total = `${offsets[offsets.length - 1]}px`;
    this._header.style.width = total;
    this._body.style.width = total;
    this._body.style.height = `${this._model.rowCount * ComponentGrid.ROW_HEIGHT}px`;
    this.node.setAttribute('aria-colcount', String(columns.length));
    this.node.setAttribute('aria-rowcount', String(this._model.rowCount + 2));
  }

  /**
   * Build the group and column header cells. Every column has one, so that
   * headers can be found by name; they change only with the columns.
   */
  private _renderHeader(): void {
    const columns = this._model.visibleColumns;
    const groups: HTMLElement[] = [];
    const cells: HTMLElement[] = [];
    const sort = this._model.sort;
    let start = 0;

    columns.forEach((column, index) => {
      const next = columns[index + 1];
      if (next === undefined || next.group !== column.group) {
        const group = document.createElement('div');
        group.className = 'jp-ComponentTable-groupHeader';
        group.setAttribute('role', 'columnheader');
        group.setAttribute('aria-colindex', String(start + 1));
        group.setAttribute('aria-colspan', String(index - start + 1));
        group.dataset.group = column.group;
        group.textContent = this._labels.groups[column.group];
        this._place(group, start, index + 1);
        groups.push(group);
        start = index + 1;
      }

      const cell = document.createElement('div');
      const sortable = this._model.isSortable(column);
      const sorted = sort?.key === column.key ? sort.order : null;
      cell.className = sortable
        ? 'jp-ComponentTable-columnHeader jp-mod-sortable'
        : 'jp-ComponentTable-columnHeader';
      cell.setAttribute('role', 'columnheader');
      cell.setAttribute('aria-colindex', String(index + 1));
      cell.setAttribute('aria-sort', sorted ?? 'none');
      cell.dataset.columnKey = column.key;
      cell.dataset.kind = column.kind;
      cell.title = `${column.label}\n${sortable ? this._labels.sortable : this._labels.unsortable}`;
      const label = document.createElement('span');
      label.className = 'jp-ComponentTable-columnLabel';
      label.textContent =
        column.kind === 'metric'
          ? `${column.label} (${STATISTIC_NAMES[this._model.statisticOf(column)]})`
          : column.label;
      cell.appendChild(label);
      if (sorted !== null) {
        const arrow = document.createElement('span');
        arrow.className = 'jp-ComponentTable-sortIndicator';
        arrow.setAttribute('aria-hidden', 'true');
        arrow.textContent = sorted === 'descending' ? '\u25BC' : '\u25B2';
        cell.appendChild(arrow);
      }
      const handle = document.createElement('div');
      handle.className = 'jp-ComponentTable-resizeHandle';
      handle.setAttribute('aria-hidden', 'true');
      cell.appendChild(handle);
      this._place(cell, index, index + 1);
      cells.push(cell);
    });

    this._groupRow.replaceChildren(...groups);
    this._columnRow.replaceChildren(...cells);
  }

  private _place(element: HTMLElement, first: number, end: number): void {
    element.style.left = `${this._offsets[first]}px`;
    element.style.width = `${this._offsets[end] - this._offsets[first]}px`;
  }

  /**
   * Drop the cached contents of the pooled cells, so that the next render
   * writes every cell again.
   */
  private _forgetCells(): void {
    for (const slot of this._slots) {
      slot.row = -1;
      for (const cell of slot.cells) {
        cell.key = '';
      }
    }
  }

  /**
   * Show the rows and columns in view, reusing the pooled elements and
   * writing only what changed.
   *
   * #### Notes
   * Row `r` always goes to row slot `r % slots` and column `c` to cell slot
   * `c % cells`. A scroll therefore rewrites only the rows and columns that
   * came into view, and the others keep their element and content.
   */
  private _render(): void {
    if (!this.isVisible) {
      return;
    }
    const rowHeight = ComponentGrid.ROW_HEIGHT;
    const node = this.node;
    const columns = this._model.visibleColumns;
    const overscan = ComponentGrid.OVERSCAN_ROWS;
    const visibleHeight = Math.max(
      0,
      node.clientHeight - ComponentGrid.HEADER_HEIGHT
    );

    const first = Math.max(
      0,
      Math.floor(node.scrollTop / rowHeight) - overscan
    );
    const last = Math.min(
      this._model.rowCount - 1,
      Math.ceil((node.scrollTop + visibleHeight) / rowHeight) + overscan
    );
    const firstColumn = Math.max(0, this._columnAt(node.scrollLeft) - 1);
    const lastColumn = Math.min(
      columns.length - 1,
      this._columnAt(node.scrollLeft + node.clientWidth) + 1
    );
    this._firstRow = first;
    this._lastRow = last;
    // Rows are prefetched beyond the view in both directions, before the rows
    // in view ask for their pages, which are then fetched first.
    this._model.prefetch(
      Math.max(0, first - ComponentGrid.PREFETCH_ROWS),
      last + ComponentGrid.PREFETCH_ROWS
    );

    const rowSlots = Math.ceil(visibleHeight / rowHeight) + 2 * overscan + 2;
    const cellSlots = Math.max(lastColumn - firstColumn + 1, 0);
    if (rowSlots !== this._slots.length || cellSlots > this._cellSlots) {
      this._cellSlots = Math.max(this._cellSlots, cellSlots + 2);
      this._resizePool(rowSlots);
    }

    const now = Date.now() / 1000;
    const count = this._slots.length;
    this._slots.forEach((slot, index) => {
      const row = first + ((index - (first % count) + count) % count);
      if (row > last) {
        Private.hideRow(slot);
      } else {
        Private.setHidden(slot, false);
        this._renderRow(slot, row, columns, firstColumn, lastColumn, now);
      }
    });
  }

  /**
   * Make the pool `rows` row slots of `_cellSlots` cell slots each, and
   * forget what every slot shows.
   */
  private _resizePool(rows: number): void {
    while (this._slots.length < rows) {
      const node = document.createElement('div');
      node.setAttribute('role', 'row');
      this._body.appendChild(node);
      this._slots.push({
        node,
        row: -1,
        className: '',
        hidden: false,
        cells: []
      });
    }
    while (this._slots.length > rows) {
      this._slots.pop()?.node.remove();
    }
    for (const slot of this._slots) {
      while (slot.cells.length < this._cellSlots) {
        const element = document.createElement('div');
        element.setAttribute('role', 'gridcell');
        slot.node.appendChild(element);
        slot.cells.push({
          node: element,
          key: '',
          left: -1,
          width: -1,
          text: '',
          title: '',
          className: '',
          hidden: false
        });
      }
    }
    this._forgetCells();
  }

  private _renderRow(
    slot: Private.IRowSlot,
    row: number,
    columns: readonly IColumn[],
    firstColumn: number,
    lastColumn: number,
    now: number
  ): void {
    const loaded = this._model.row(row) !== undefined;
    const selected = loaded && this._model.isRowSelected(row);
    const rowClass = Private.rowClass(row, selected, loaded);
    if (slot.row !== row) {
      slot.row = row;
      slot.node.style.transform = `translateY(${row * ComponentGrid.ROW_HEIGHT}px)`;
      slot.node.dataset.row = String(row);
      slot.node.setAttribute('aria-rowindex', String(row + 3));
    }
    if (slot.className !== rowClass) {
      slot.className = rowClass;
      slot.node.className = rowClass;
      slot.node.setAttribute('aria-selected', String(selected));
    }

    const count = slot.cells.length;
    slot.cells.forEach((cell, slotIndex) => {
      const index =
        firstColumn + ((slotIndex - (firstColumn % count) + count) % count);
      if (index > lastColumn) {
        Private.hideCell(cell);
        return;
      }
      Private.setHidden(cell, false);
      const column = columns[index];
      const content = this._model.cell(row, column, now);
      const left = this._offsets[index];
      const width = this._offsets[index + 1] - left;
      const className = Private.cellClass(column.kind, content === null);
      const text = content === null ? this._labels.loading : content.text;
      const title = content === null ? '' : content.title;

      if (cell.key !== column.key) {
        cell.key = column.key;
        cell.node.dataset.columnKey = column.key;
        cell.node.setAttribute('aria-colindex', String(index + 1));
      }
      if (cell.left !== left) {
        cell.left = left;
        cell.node.style.left = `${left}px`;
      }
      if (cell.width !== width) {
        cell.width = width;
        cell.node.style.width = `${width}px`;
      }
      if (cell.className !== className) {
        cell.className = className;
        cell.node.className = className;
      }
      if (cell.text !== text) {
        cell.text = text;
        cell.node.textContent = text;
      }
      if (cell.title !== title) {
        cell.title = title;
        cell.node.title = title;
      }
    });
  }

  /**
   * Return the index of the visible column at a horizontal position.
   */
  private _columnAt(x: number): number {
    const offsets = this._offsets;
    let low = 0;
    let high = offsets.length - 2;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (offsets[middle] <= x) {
        low = middle;
      } else {
        high = middle - 1;
      }
    }
    return Math.max(0, low);
  }

  private _hit(target: EventTarget | null): TableHit {
    if (!(target instanceof Element)) {
      return { region: 'other' };
    }
    const header = target.closest<HTMLElement>(
      '.jp-ComponentTable-columnHeader'
    );
    const columns = this._model.visibleColumns;
    if (header !== null) {
      const column = columns.find(c => c.key === header.dataset.columnKey);
      return column ? { region: 'column-header', column } : { region: 'other' };
    }
    const rowNode = target.closest<HTMLElement>('[data-row]');
    if (rowNode !== null && this._body.contains(rowNode)) {
      const cellNode = target.closest<HTMLElement>('[data-column-key]');
      const column =
        columns.find(c => c.key === cellNode?.dataset.columnKey) ?? null;
      return { region: 'body', row: Number(rowNode.dataset.row), column };
    }
    return { region: 'other' };
  }

  private _onMouseDown(event: MouseEvent): void {
    if (event.button !== 0) {
      return;
    }
    const target = event.target as Element;
    if (target.classList.contains('jp-ComponentTable-resizeHandle')) {
      const hit = this._hit(target);
      if (hit.region === 'column-header') {
        this._startDrag(hit.column, event);
      }
      return;
    }
    const hit = this._hit(target);
    if (hit.region === 'body') {
      // No text selection on Shift-click; focus for the keyboard instead.
      event.preventDefault();
      this.node.focus();
      this._currentRow = hit.row;
      this._callbacks.onRowClick(hit.row, event);
    }
  }

  private _onClick(event: MouseEvent): void {
    if (this._suppressClick) {
      this._suppressClick = false;
      return;
    }
    const hit = this._hit(event.target);
    if (hit.region === 'column-header') {
      this._callbacks.onHeaderClick(hit.column);
    }
  }

  private _onDoubleClick(event: MouseEvent): void {
    const hit = this._hit(event.target);
    if (hit.region === 'body') {
      this._callbacks.onRowDoubleClick(hit.row);
    }
  }

  private _onKeyDown(event: KeyboardEvent): void {
    const rowCount = this._model.rowCount;
    const page = Math.max(
      1,
      Math.floor(
        (this.node.clientHeight - ComponentGrid.HEADER_HEIGHT) /
          ComponentGrid.ROW_HEIGHT
      ) - 1
    );
    let next: number;
    switch (event.key) {
      case 'ArrowDown':
        next = this._currentRow + 1;
        break;
      case 'ArrowUp':
        next = this._currentRow - 1;
        break;
      case 'PageDown':
        next = this._currentRow + page;
        break;
      case 'PageUp':
        next = this._currentRow - page;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = rowCount - 1;
        break;
      case 'Enter':
        if (this._currentRow >= 0) {
          this._callbacks.onRowDoubleClick(this._currentRow);
          event.preventDefault();
        }
        return;
      case 'Escape':
        this._model.clearSelection();
        return;
      default:
        return;
    }
    event.preventDefault();
    if (rowCount === 0) {
      return;
    }
    this._currentRow = Math.min(rowCount - 1, Math.max(0, next));
    this.scrollToRow(this._currentRow);
    this._callbacks.onRowClick(this._currentRow, event);
  }

  private _startDrag(column: IColumn, event: MouseEvent): void {
    event.preventDefault();
    const index = this._model.visibleColumns.indexOf(column);
    const geometry = this.columnGeometry(index);
    this._drag = {
      index,
      column,
      startX: event.clientX,
      startWidth: geometry.width,
      width: geometry.width
    };
    document.addEventListener('mousemove', this, true);
    document.addEventListener('mouseup', this, true);
    this.addClass('jp-mod-resizing');
  }

  private _onDragMove(event: MouseEvent): void {
    const drag = this._drag;
    if (drag === null) {
      return;
    }
    drag.width = Math.max(
      Private.MIN_COLUMN_WIDTH,
      Math.round(drag.startWidth + event.clientX - drag.startX)
    );
    this._onColumnsChanged();
  }

  private _onDragEnd(): void {
    const drag = this._drag;
    document.removeEventListener('mousemove', this, true);
    document.removeEventListener('mouseup', this, true);
    if (drag === null) {
      return;
    }
    this._drag = null;
    this.removeClass('jp-mod-resizing');
    // The mouse is released over the header, which would sort by the column.
    this._suppressClick = true;
    window.setTimeout(() => (this._suppressClick = false), 0);
    this._callbacks.onColumnResized(drag.column, drag.width);
    this._onColumnsChanged();
  }

  /**
   * Return a width that shows the header of a column with its statistic and
   * a sort arrow, between the minimum and `MAX_DEFAULT_WIDTH`.
   */
  private _defaultWidth(column: IColumn): number {
    const header =
      column.kind === 'metric'
        ? `${column.label} (${STATISTIC_NAMES[this._model.statisticOf(column)]}) \u25BC`
        : `${column.label} \u25BC`;
    let width = this._headerWidths.get(header);
    if (width === undefined) {
      const measured = Private.textWidth(header, this.node) + 24;
      width = Math.min(
        Private.MAX_DEFAULT_WIDTH,
        Math.max(Private.MIN_COLUMN_WIDTH, measured)
      );
      this._headerWidths.set(header, width);
    }
    return Math.max(width, Private.MIN_WIDTHS[column.kind] ?? 0);
  }

  private _body = document.createElement('div');
  private _callbacks: IGridCallbacks;
  private _cellSlots = 0;
  private _columnRow = document.createElement('div');
  private _currentRow = -1;
  private _drag: Private.IDrag | null = null;
  private _firstRow = 0;
  private _frame = 0;
  private _groupRow = document.createElement('div');
  private _header = document.createElement('div');
  private _headerWidths = new Map<string, number>();
  private _labels: IGridLabels;
  private _lastRow = -1;
  private _model: ComponentTableModel;
  private _offsets: number[] = [0];
  private _slots: Private.IRowSlot[] = [];
  private _suppressClick = false;
}

/**
 * The namespace for `ComponentGrid` statics.
 */
export namespace ComponentGrid {
  /**
   * The height of a row, in CSS pixels; `style/base.css` uses the same.
   */
  export const ROW_HEIGHT = 24;

  /**
   * The height of the two header rows.
   */
  export const HEADER_HEIGHT = 2 * ROW_HEIGHT;

  /**
   * Rows rendered above and below the view, so that a short scroll shows
   * rows that exist already.
   */
  export const OVERSCAN_ROWS = 6;

  /**
   * Rows whose pages are fetched above and below the view before they are
   * scrolled to.
   */
  export const PREFETCH_ROWS = 150;

  /**
   * The options to create a `ComponentGrid`.
   */
  export interface IOptions {
    /**
     * The table model to show.
     */
    model: ComponentTableModel;

    /**
     * The receivers of pointer and keyboard actions.
     */
    callbacks: IGridCallbacks;

    /**
     * The translated texts.
     */
    labels: IGridLabels;
  }
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * The narrowest column, in CSS pixels.
   */
  export const MIN_COLUMN_WIDTH = 48;

  /**
   * The widest default column width; longer headers are elided.
   */
  export const MAX_DEFAULT_WIDTH = 320;

  /**
   * Default widths that fit typical values of some columns, not only their headers.
   */
  export const MIN_WIDTHS: Partial<Record<ColumnKind, number>> = {
    name: 200,
    display_name: 120,
    created: 170,
    modified: 170,
    metric: 110
  };

  /**
   * A pooled cell and what it shows.
   */
  export interface ICellSlot {
    node: HTMLDivElement;
    key: string;
    left: number;
    width: number;
    text: string;
    title: string;
    className: string;
    hidden: boolean;
  }

  /**
   * A pooled row and what it shows.
   */
  export interface IRowSlot {
    node: HTMLDivElement;
    row: number;
    className: string;
    hidden: boolean;
    cells: ICellSlot[];
  }

  /**
   * Show a pooled element again.
   */
  export function setHidden(
    slot: { node: HTMLElement; hidden: boolean },
    hidden: boolean
  ): void {
    if (slot.hidden !== hidden) {
      slot.hidden = hidden;
      slot.node.style.display = hidden ? 'none' : '';
    }
  }

  /**
   * Hide a pooled row that has no row to show, and clear what identifies
   * it, so that neither selectors nor assistive technology find a stale row.
   */
  export function hideRow(slot: IRowSlot): void {
    if (slot.hidden) {
      return;
    }
    setHidden(slot, true);
    slot.row = -1;
    slot.node.removeAttribute('data-row');
    slot.node.removeAttribute('aria-rowindex');
  }

  /**
   * Hide a pooled cell that has no column to show, and clear its column.
   */
  export function hideCell(cell: ICellSlot): void {
    if (cell.hidden) {
      return;
    }
    setHidden(cell, true);
    cell.key = '';
    cell.node.removeAttribute('data-column-key');
    cell.node.removeAttribute('aria-colindex');
  }

  /**
   * A column border being dragged.
   */
  export interface IDrag {
    index: number;
    column: IColumn;
    startX: number;
    startWidth: number;
    width: number;
  }

  /**
   * Return the class of a row element.
   */
  export function rowClass(
    row: number,
    selected: boolean,
    loaded: boolean
  ): string {
    let name =
      row % 2 === 0
        ? 'jp-ComponentTable-row'
        : 'jp-ComponentTable-row jp-mod-odd';
    if (selected) {
      name += ' jp-mod-selected';
    }
    if (!loaded) {
      name += ' jp-mod-loading';
    }
    return name;
  }

  /**
   * Return the class of a cell element.
   */
  export function cellClass(kind: ColumnKind, loading: boolean): string {
    const numeric = kind === 'metric' || kind === 'duration';
    let name = numeric
      ? 'jp-ComponentTable-cell jp-mod-number'
      : 'jp-ComponentTable-cell';
    if (loading) {
      name += ' jp-mod-loading';
    }
    return name;
  }

  let context: CanvasRenderingContext2D | null = null;

  /**
   * Return the width of header text in the grid's bold UI font, in CSS pixels.
   */
  export function textWidth(text: string, node: HTMLElement): number {
    if (context === null) {
      context = document.createElement('canvas').getContext('2d');
    }
    if (context === null) {
      // A browser without 2D canvas: an estimate of 8 px per character.
      return text.length * 8;
    }
    const style = getComputedStyle(node);
    context.font = `600 ${style.fontSize} ${style.fontFamily}`;
    return Math.ceil(context.measureText(text).width);
  }
}
