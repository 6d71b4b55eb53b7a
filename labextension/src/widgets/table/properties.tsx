/**
 * The Table properties pane: a checkbox per column group and per column,
 * buttons to reorder columns, and a search box over column names.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { ComponentTableModel } from '../../models/table';
import {
  COLUMN_GROUPS,
  ColumnGroupId,
  groupLabels,
  IColumn
} from '../../models/tablecolumns';

/**
 * The pane that shows and hides the columns of a trial component list.
 */
export class TablePropertiesPane extends ReactWidget {
  /**
   * Construct the pane of `options.model`.
   */
  constructor(options: TablePropertiesPane.IOptions) {
    super();
    this._model = options.model;
    this._trans = options.trans;
    this.addClass('jp-ComponentTable-properties');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', this._trans.__('Table properties'));
    this._model.columnsChanged.connect(this.update, this);
  }

  /**
   * Dispose of the pane and stop watching the model.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.columnsChanged.disconnect(this.update, this);
    super.dispose();
  }

  protected render(): React.ReactElement {
    return (
      <PropertiesView
        model={this._model}
        trans={this._trans}
        search={this._search}
        onSearch={text => {
          this._search = text;
          this.update();
        }}
      />
    );
  }

  private _model: ComponentTableModel;
  private _search = '';
  private _trans: TranslationBundle;
}

/**
 * The namespace for `TablePropertiesPane` statics.
 */
export namespace TablePropertiesPane {
  /**
   * The options to create a `TablePropertiesPane`.
   */
  export interface IOptions {
    /**
     * The table whose columns the pane controls.
     */
    model: ComponentTableModel;

    /**
     * The translation bundle of the pane's texts.
     */
    trans: TranslationBundle;
  }
}

/**
 * The props of `PropertiesView`.
 */
interface IPropertiesViewProps {
  model: ComponentTableModel;
  trans: TranslationBundle;
  search: string;
  onSearch: (text: string) => void;
}

/**
 * The content of the pane, rendered again on every column change.
 */
function PropertiesView(props: IPropertiesViewProps): React.ReactElement {
  const { model, trans, search } = props;
  const labels = groupLabels(trans);
  const needle = search.trim().toLowerCase();
  const matches = (column: IColumn): boolean =>
    needle === '' || column.label.toLowerCase().includes(needle);

  const groups = COLUMN_GROUPS.map(group => ({
    group,
    columns: model.columns.filter(c => c.group === group && matches(c)),
    all: model.columns.filter(c => c.group === group)
  })).filter(entry => entry.all.length > 0 && entry.columns.length > 0);

  return (
    <>
      <h3 className="jp-ComponentTable-propertiesTitle">
        {trans.__('Table properties')}
      </h3>
      <input
        type="search"
        className="jp-ComponentTable-propertiesSearch jp-mod-styled"
        placeholder={trans.__('Search columns')}
        aria-label={trans.__('Search columns')}
        value={search}
        onChange={event => props.onSearch(event.target.value)}
      />
      {groups.length === 0 ? (
        <p className="jp-ComponentTable-propertiesEmpty">
          {trans.__('No column matches "%1".', search)}
        </p>
      ) : (
        <ul className="jp-ComponentTable-propertiesGroups">
          {groups.map(({ group, columns, all }) => (
            <GroupEntry
              key={group}
              group={group}
              label={labels[group]}
              columns={columns}
              count={all.length}
              canMove={needle === ''}
              model={model}
              trans={trans}
            />
          ))}
        </ul>
      )}
    </>
  );
}

/**
 * The props of `GroupEntry`.
 */
interface IGroupEntryProps {
  group: ColumnGroupId;
  label: string;
  columns: IColumn[];
  count: number;
  canMove: boolean;
  model: ComponentTableModel;
  trans: TranslationBundle;
}

/**
 * One group of the pane: its checkbox, then its columns.
 */
function GroupEntry(props: IGroupEntryProps): React.ReactElement {
  const { group, label, columns, count, canMove, model, trans } = props;
  const groupVisible = model.isGroupVisible(group);
  const groupId = `jp-ComponentTable-group-${group}`;

  return (
    <li className="jp-ComponentTable-propertiesGroup" data-group={group}>
      <label className="jp-ComponentTable-propertiesGroupLabel">
        <input
          type="checkbox"
          checked={groupVisible}
          onChange={event => model.setGroupVisible(group, event.target.checked)}
        />
        <span id={groupId}>{label}</span>
        <span className="jp-ComponentTable-propertiesCount">
          {trans.__('(%1)', count)}
        </span>
      </label>
      <ul
        aria-labelledby={groupId}
        className={
          groupVisible
            ? 'jp-ComponentTable-propertiesColumns'
            : 'jp-ComponentTable-propertiesColumns jp-mod-disabled'
        }
      >
        {columns.map((column, index) => (
          <li key={column.key} className="jp-ComponentTable-propertiesColumn">
            <label title={column.label}>
              <input
                type="checkbox"
                checked={model.isColumnVisible(column.key)}
                onChange={event =>
                  model.setColumnVisible(column.key, event.target.checked)
                }
              />
              <span>{column.label}</span>
            </label>
            <button
              type="button"
              className="jp-ComponentTable-move"
              aria-label={trans.__('Move %1 up', column.label)}
              title={trans.__('Move up')}
              disabled={!canMove || index === 0}
              onClick={() => model.moveColumn(column.key, -1)}
            >
              {'\u2191'}
            </button>
            <button
              type="button"
              className="jp-ComponentTable-move"
              aria-label={trans.__('Move %1 down', column.label)}
              title={trans.__('Move down')}
              disabled={!canMove || index === columns.length - 1}
              onClick={() => model.moveColumn(column.key, 1)}
            >
              {'\u2193'}
            </button>
          </li>
        ))}
      </ul>
    </li>
  );
}
