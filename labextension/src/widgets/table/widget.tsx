/**
 * The trial component list: a main-area tab with a virtualised grid of trial
 * components, a toolbar and the Table properties pane.
 */

import { MainAreaWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  ReactWidget,
  refreshIcon,
  settingsIcon,
  tableRowsIcon,
  Toolbar,
  ToolbarButton
} from '@jupyterlab/ui-components';
import { Platform } from '@lumino/domutils';
import { Message } from '@lumino/messaging';
import { BoxLayout, BoxPanel } from '@lumino/widgets';
import React from 'react';

import { ComponentTableModel } from '../../models/table';
import { groupLabels, IColumn } from '../../models/tablecolumns';
import { ComponentGrid, TableHit } from './grid';
import { TablePropertiesPane } from './properties';

/**
 * The content of a trial component list tab: the grid and, when opened, the
 * Table properties pane at its right.
 */
export class ComponentTable extends BoxPanel {
  /**
   * Construct a table over `options.model`, which it disposes with itself.
   */
  constructor(options: ComponentTable.IOptions) {
    super({ direction: 'left-to-right', spacing: 0 });
    this.addClass('jp-ComponentTable');
    this._model = options.model;
    this._trans = options.trans;
    this._onDescribe = options.onDescribe ?? null;

    this._grid = this._createGrid();
    this._pane = new TablePropertiesPane({
      model: this._model,
      trans: this._trans
    });
    this._pane.hide();
    this.addWidget(this._grid);
    this.addWidget(this._pane);
    BoxLayout.setStretch(this._grid, 1);
    BoxLayout.setStretch(this._pane, 0);
    BoxLayout.setSizeBasis(this._pane, ComponentTable.PROPERTIES_WIDTH);
  }

  /**
   * The model of the table.
   */
  get model(): ComponentTableModel {
    return this._model;
  }

  /**
   * The grid of trial components.
   */
  get grid(): ComponentGrid {
    return this._grid;
  }

  /**
   * The part of the grid the last right click hit, or null.
   */
  get contextHit(): TableHit | null {
    return this._contextHit;
  }

  /**
   * Whether the Table properties pane is open.
   */
  get propertiesVisible(): boolean {
    return this._pane.isVisible;
  }

  /**
   * Open or close the Table properties pane.
   */
  setPropertiesVisible(visible: boolean): void {
    this._pane.setHidden(!visible);
    this.toggleClass('jp-mod-propertiesOpen', visible);
  }

  /**
   * Return the names a row command acts on: the selected rows, or the row
   * under the context menu when it is not selected.
   */
  targetNames(): string[] {
    const hit = this._contextHit;
    if (hit?.region === 'body') {
      const row = this._model.row(hit.row);
      if (row !== undefined && !this._model.selectedNames.has(row.name)) {
        return [row.name];
      }
    }
    return [...this._model.selectedNames];
  }

  /**
   * Return the name of the row under the context menu, else the first
   * selected row, or null.
   */
  targetName(): string | null {
    const hit = this._contextHit;
    if (hit?.region === 'body') {
      const row = this._model.row(hit.row);
      if (row !== undefined) {
        return row.name;
      }
    }
    return this.targetNames()[0] ?? null;
  }

  /**
   * Return the metric or other column under the context menu, or null.
   */
  targetColumn(): IColumn | null {
    const hit = this._contextHit;
    if (hit?.region === 'column-header') {
      return hit.column;
    }
    return null;
  }

  /**
   * Dispose of the table and its model.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.dispose();
    super.dispose();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this._grid.activate();
  }

  private _createGrid(): ComponentGrid {
    const grid = new ComponentGrid({
      model: this._model,
      labels: {
        grid: this._trans.__('Trial components'),
        groups: groupLabels(this._trans),
        sortable: this._trans.__('Click to sort: descending, then ascending'),
        unsortable: this._trans.__('The server cannot sort by this column'),
        loading: '\u2026'
      },
      callbacks: {
        onHeaderClick: column => {
          if (this._model.toggleSort(column.key)) {
            grid.scrollTo(grid.scrollX, 0);
          }
        },
        onRowClick: (row, event) => {
          const accel = Platform.accelKey(event);
          const mode = event.shiftKey ? 'range' : accel ? 'toggle' : 'replace';
          void this._model.selectRow(row, mode);
        },
        onRowDoubleClick: row => {
          const name = this._model.row(row)?.name;
          if (name !== undefined && this._onDescribe) {
            this._onDescribe(name);
          }
        },
        onContextMenu: hit => this._onContextMenu(hit),
        onColumnResized: (column, width) =>
          this._model.setColumnWidth(column.key, width)
      }
    });
    return grid;
  }

  private _onContextMenu(hit: TableHit): void {
    this._contextHit = hit;
    if (hit.region === 'body' && !this._model.isRowSelected(hit.row)) {
      void this._model.selectRow(hit.row, 'replace');
    }
  }

  private _contextHit: TableHit | null = null;
  private _grid: ComponentGrid;
  private _model: ComponentTableModel;
  private _onDescribe: ((name: string) => void) | null;
  private _pane: TablePropertiesPane;
  private _trans: TranslationBundle;
}

/**
 * The namespace for `ComponentTable` statics.
 */
export namespace ComponentTable {
  /**
   * The width of the Table properties pane, in CSS pixels.
   */
  export const PROPERTIES_WIDTH = 280;

  /**
   * The options to create a `ComponentTable`.
   */
  export interface IOptions {
    /**
     * The model to show; the table disposes it.
     */
    model: ComponentTableModel;

    /**
     * The translation bundle of the table's texts.
     */
    trans: TranslationBundle;

    /**
     * Open the describe view of a trial component, on a double click.
     */
    onDescribe?: (name: string) => void;
  }
}

/**
 * A main-area tab that contains a `ComponentTable` and its toolbar.
 */
export class ComponentTablePanel extends MainAreaWidget<ComponentTable> {
  /**
   * Construct the tab around `options.content`.
   */
  constructor(options: ComponentTablePanel.IOptions) {
    super({ content: options.content });
    const trans = options.trans;
    const table = options.content;
    this.addClass('jp-ComponentTablePanel');
    this.title.icon = tableRowsIcon;
    this.title.closable = true;
    this.title.label = options.label;
    this.title.caption = options.caption;
    this.requestedTitle = options.requestedTitle ?? null;

    this.toolbar.addItem(
      'status',
      ReactWidget.create(
        <Private.TableStatusView model={table.model} trans={trans} />
      )
    );
    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Fetch the trial components again'),
        onClick: () => void table.model.refresh()
      })
    );
    this.toolbar.addItem(
      'only-differing',
      ReactWidget.create(
        <Private.OnlyDifferingToggle model={table.model} trans={trans} />
      )
    );
    this.toolbar.addItem('spacer', Toolbar.createSpacerItem());
    const propertiesButton = new ToolbarButton({
      icon: settingsIcon,
      tooltip: trans.__('Table properties'),
      label: trans.__('Table properties'),
      pressed: false,
      onClick: () => {
        const visible = !table.propertiesVisible;
        table.setPropertiesVisible(visible);
        propertiesButton.pressed = visible;
      }
    });
    this.toolbar.addItem('properties', propertiesButton);
  }

  /**
   * The title the opening command asked for, or null for one built from
   * the selection.
   */
  readonly requestedTitle: string | null;
}

/**
 * The namespace for `ComponentTablePanel` statics.
 */
export namespace ComponentTablePanel {
  /**
   * The options to create a `ComponentTablePanel`.
   */
  export interface IOptions {
    /**
     * The table to show.
     */
    content: ComponentTable;

    /**
     * The translation bundle of the toolbar's texts.
     */
    trans: TranslationBundle;

    /**
     * The tab's title.
     */
    label: string;

    /**
     * The tab's tooltip.
     */
    caption: string;

    /**
     * The title the opening command asked for, kept to reopen the tab.
     */
    requestedTitle?: string | null;
  }
}

/**
 * Components private to this module.
 */
namespace Private {
  /**
   * The props of the toolbar items that watch a table model.
   */
  export interface IModelProps {
    model: ComponentTableModel;
    trans: TranslationBundle;
  }

  /**
   * Re-render a component whenever one of the model's signals fires.
   */
  function useModel(model: ComponentTableModel): void {
    const [, setTick] = React.useState(0);
    React.useEffect(() => {
      const bump = (): void => setTick(tick => tick + 1);
      const signals = [
        model.stateChanged,
        model.rowCountChanged,
        model.selectionChanged,
        model.columnsChanged,
        model.rowsChanged
      ];
      signals.forEach(signal => signal.connect(bump));
      return () => signals.forEach(signal => signal.disconnect(bump));
    }, [model]);
  }

  /**
   * The row count, the selected rows and the last error of a table.
   */
  export function TableStatusView(props: IModelProps): React.ReactElement {
    const { model, trans } = props;
    useModel(model);
    let text: string;
    if (model.status === 'error') {
      text = trans.__('Error: %1', model.error ?? '');
    } else if (model.status === 'loading' && model.rowCount === 0) {
      text = trans.__('Loading…');
    } else {
      text = trans._n(
        '%1 trial component',
        '%1 trial components',
        model.rowCount
      );
      const selected = model.selectedNames.size;
      if (selected > 0) {
        text += trans._n(', %1 selected', ', %1 selected', selected);
      }
    }
    const missing = model.status === 'error' ? null : missingText(model, trans);
    if (missing) {
      text += ` · ${missing}`;
    }
    const modifier =
      model.status === 'error'
        ? ' jp-mod-error'
        : missing
          ? ' jp-mod-warning'
          : '';
    return (
      <span
        className={`jp-ComponentTable-status${modifier}`}
        title={text}
        role="status"
        data-row-count={model.rowCount}
      >
        {text}
      </span>
    );
  }

  /**
   * Return the sentence that names the table's missing experiments and
   * trials, such as deleted ones, or null when there are none.
   */
  function missingText(
    model: ComponentTableModel,
    trans: TranslationBundle
  ): string | null {
    const { experiments, trials } = model.missing;
    const quoted = (names: string[]): string =>
      names.map(name => `“${name}”`).join(', ');
    const parts: string[] = [];
    if (experiments.length > 0) {
      parts.push(
        trans._n(
          'experiment %2 not found',
          'experiments %2 not found',
          experiments.length,
          quoted(experiments)
        )
      );
    }
    if (trials.length > 0) {
      parts.push(
        trans._n(
          'trial %2 not found',
          'trials %2 not found',
          trials.length,
          quoted(trials)
        )
      );
    }
    return parts.length > 0 ? parts.join(' · ') : null;
  }

  /**
   * The "Only columns that differ" checkbox and which rows it compares.
   */
  export function OnlyDifferingToggle(props: IModelProps): React.ReactElement {
    const { model, trans } = props;
    useModel(model);
    const comparison = model.comparison;
    const note =
      comparison.basis === 'selected'
        ? trans._n(
            'comparing %1 selected row',
            'comparing %1 selected rows',
            comparison.rows
          )
        : trans._n(
            'comparing %1 loaded row',
            'comparing %1 loaded rows',
            comparison.rows
          );
    return (
      <label
        className="jp-ComponentTable-differing"
        title={trans.__(
          'Hide columns whose value is the same on every selected row, or on every loaded row when fewer than two rows are selected'
        )}
      >
        <input
          type="checkbox"
          checked={model.onlyDiffering}
          onChange={event => model.setOnlyDiffering(event.target.checked)}
        />
        {trans.__('Only columns that differ')}
        {model.onlyDiffering ? (
          <span className="jp-ComponentTable-comparison">{` (${note})`}</span>
        ) : null}
      </label>
    );
  }
}
