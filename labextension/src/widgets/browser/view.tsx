/**
 * The body of the Experiments sidebar: the breadcrumb, the name filter and
 * the grid of the current level, or its loading, empty or error state.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretUpIcon,
  ReactWidget,
  UseSignal
} from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { experimentsIcon } from '../../icons';
import {
  BrowserEntry,
  BrowserLocation,
  BrowserModel,
  SortColumn
} from '../../models/browser';
import { cellText, columnLabel } from './format';

/**
 * A widget that renders a `BrowserModel` and updates on its `changed` signal.
 *
 * #### Notes
 * Rows are keyed by entry key and memoised, so a live update renders only the
 * rows whose entry changed; the others keep their DOM nodes. All text from the
 * server is rendered as React text nodes, never as HTML.
 */
export class BrowserView extends ReactWidget {
  /**
   * Construct a view of `options.model`.
   */
  constructor(options: BrowserView.IOptions) {
    super();
    this.addClass('jp-ExperimentBrowser-view');
    this._model = options.model;
    this._trans = options.trans;
  }

  /**
   * The model this view renders.
   */
  get model(): BrowserModel {
    return this._model;
  }

  /**
   * A signal emitted with the name of a trial component that was opened by a
   * double-click or Enter; components have no level of their own.
   */
  get componentOpened(): ISignal<this, string> {
    return this._componentOpened;
  }

  /**
   * Give the keyboard focus to the grid.
   */
  focusGrid(): void {
    this.node.querySelector<HTMLElement>('[role="grid"]')?.focus();
  }

  protected render(): React.ReactElement {
    return (
      <UseSignal signal={this._model.changed} initialSender={this._model}>
        {() => (
          <BrowserBody
            model={this._model}
            trans={this._trans}
            idPrefix={this.id || 'jp-ExperimentBrowser'}
            onOpenComponent={name => this._componentOpened.emit(name)}
          />
        )}
      </UseSignal>
    );
  }

  private _componentOpened = new Signal<this, string>(this);
  private _model: BrowserModel;
  private _trans: TranslationBundle;
}

/**
 * The namespace for `BrowserView` statics.
 */
export namespace BrowserView {
  /**
   * The options to create a `BrowserView`.
   */
  export interface IOptions {
    /**
     * The model to render.
     */
    model: BrowserModel;

    /**
     * The translation bundle of the extension.
     */
    trans: TranslationBundle;
  }
}

/**
 * The properties of the `BrowserBody` component.
 */
export interface IBrowserBodyProps {
  /**
   * The model to render.
   */
  model: BrowserModel;

  /**
   * The translation bundle of the extension.
   */
  trans: TranslationBundle;

  /**
   * The prefix of the DOM ids of the rows.
   */
  idPrefix: string;

  /**
   * Called with the name of a trial component opened by a double-click or Enter.
   */
  onOpenComponent: (name: string) => void;
}

/**
 * Render the breadcrumb, the filter and the current level.
 */
export function BrowserBody(props: IBrowserBodyProps): JSX.Element {
  const { model, trans } = props;

  return (
    <div className="jp-ExperimentBrowser-body">
      <Breadcrumbs model={model} trans={trans} />
      <FilterBox
        key={Private.locationKey(model.location)}
        model={model}
        trans={trans}
      />
      <StatusMessage model={model} trans={trans} />
      <Grid {...props} />
    </div>
  );
}

/**
 * Render the path from Home to the current level; each crumb but the last
 * shows its level.
 */
function Breadcrumbs(props: {
  model: BrowserModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const crumbs = Private.crumbsOf(model.location, trans);

  return (
    <nav
      className="jp-ExperimentBrowser-breadcrumbs"
      aria-label={trans.__('Location')}
    >
      {crumbs.map((crumb, index) => {
        const last = index === crumbs.length - 1;
        return (
          <React.Fragment key={index}>
            {index > 0 ? (
              <span
                className="jp-ExperimentBrowser-crumbSeparator"
                aria-hidden="true"
              >
                ›
              </span>
            ) : null}
            {last ? (
              <span
                className="jp-ExperimentBrowser-crumb"
                aria-current="location"
                title={crumb.label}
              >
                {crumb.label}
              </span>
            ) : (
              <button
                type="button"
                className="jp-ExperimentBrowser-crumb"
                title={crumb.label}
                onClick={() => void model.cd(crumb.location, crumb.focusKey)}
              >
                {crumb.label}
              </button>
            )}
          </React.Fragment>
        );
      })}
    </nav>
  );
}

/**
 * Render the search box that filters the level by name as the user types.
 */
function FilterBox(props: {
  model: BrowserModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;

  return (
    <div className="jp-ExperimentBrowser-filter">
      <input
        type="search"
        className="jp-ExperimentBrowser-filterInput"
        placeholder={trans.__('Filter by name')}
        aria-label={trans.__('Filter by name')}
        spellCheck={false}
        value={model.filter}
        onChange={event => model.setFilter(event.target.value)}
      />
    </div>
  );
}

/**
 * Render the loading, empty or error state of the level, or nothing.
 */
function StatusMessage(props: {
  model: BrowserModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const level = model.level;

  if (model.status === 'error') {
    const title =
      level === 'home'
        ? trans.__('Could not load the experiments.')
        : level === 'experiment'
          ? trans.__('Could not load the trials.')
          : trans.__('Could not load the trial components.');
    return (
      <div className="jp-ExperimentBrowser-error" role="alert">
        <p className="jp-ExperimentBrowser-errorTitle">{title}</p>
        <p className="jp-ExperimentBrowser-errorMessage">{model.error}</p>
      </div>
    );
  }

  let message: string | null = null;
  if (model.status === 'loading' && model.entries.length === 0) {
    message = trans.__('Loading…');
  } else if (model.status === 'ready' && Private.isEmpty(model)) {
    message = Private.emptyMessage(model, trans);
  }
  if (message === null) {
    return null;
  }
  return (
    <p className="jp-ExperimentBrowser-status" role="status">
      {message}
    </p>
  );
}

/**
 * Render the grid of the level: a header row of sortable columns and a row
 * per entry, with one tab stop and `aria-activedescendant` for the focus.
 */
function Grid(props: IBrowserBodyProps): JSX.Element {
  const { model, trans, idPrefix, onOpenComponent } = props;
  const columns = model.columns;
  const focused = model.focusedKey;
  const rowIds = Private.useRowIds(idPrefix);
  const ambiguous = React.useMemo(
    () => Private.sharedLabels(model.entries),
    [model.entries]
  );
  const scrollToFocus = React.useRef(false);
  const gridRef = React.useRef<HTMLDivElement>(null);

  // Only keyboard moves scroll; a live update keeps the scroll position.
  React.useEffect(() => {
    if (!scrollToFocus.current || focused === null) {
      return;
    }
    scrollToFocus.current = false;
    const row = gridRef.current?.querySelector<HTMLElement>(
      `#${CSS.escape(rowIds(focused))}`
    );
    row?.scrollIntoView({ block: 'nearest' });
  });

  const open = React.useCallback(
    (entry: BrowserEntry) => {
      if (!model.open(entry)) {
        onOpenComponent(entry.name);
      }
    },
    [model, onOpenComponent]
  );

  const onKeyDown = (event: React.KeyboardEvent): void => {
    // Keys pressed on a sort button keep their own meaning.
    if (event.target !== event.currentTarget) {
      return;
    }
    const handled = Private.handleKey(model, event, open);
    if (handled) {
      scrollToFocus.current = true;
      event.preventDefault();
      event.stopPropagation();
    }
  };

  return (
    <div
      ref={gridRef}
      className={`jp-ExperimentBrowser-grid jp-mod-${model.level}`}
      role="grid"
      tabIndex={0}
      aria-label={Private.gridLabel(model.location, trans)}
      aria-multiselectable="true"
      aria-rowcount={model.entries.length + 1}
      aria-activedescendant={focused !== null ? rowIds(focused) : undefined}
      onKeyDown={onKeyDown}
    >
      <div className="jp-ExperimentBrowser-header" role="rowgroup">
        <div className="jp-ExperimentBrowser-headerRow" role="row">
          {columns.map(column => (
            <ColumnHeader
              key={column}
              column={column}
              model={model}
              trans={trans}
            />
          ))}
        </div>
      </div>
      <div
        className="jp-ExperimentBrowser-rows"
        role="rowgroup"
        aria-busy={model.busy}
      >
        {model.entries.map(entry => (
          <Row
            key={entry.key}
            id={rowIds(entry.key)}
            entry={entry}
            ambiguous={ambiguous.has(entry.label)}
            columns={columns}
            selected={model.selectedKeys.has(entry.key)}
            focused={entry.key === focused}
            model={model}
            trans={trans}
            onOpen={open}
          />
        ))}
      </div>
    </div>
  );
}

/**
 * Render a column header whose button sorts by the column.
 */
function ColumnHeader(props: {
  column: SortColumn;
  model: BrowserModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { column, model, trans } = props;
  const sort = model.sort;
  const sorted = sort.column === column;
  const Icon = sort.direction === 'ascending' ? caretUpIcon : caretDownIcon;

  return (
    <div
      className={`jp-ExperimentBrowser-columnHeader jp-mod-${column}${sorted ? ' jp-mod-sorted' : ''}`}
      role="columnheader"
      aria-sort={sorted ? sort.direction : 'none'}
    >
      <button
        type="button"
        className="jp-ExperimentBrowser-sortButton"
        tabIndex={-1}
        title={trans.__('Sort by %1', columnLabel(column, trans))}
        onClick={() => model.sortBy(column)}
      >
        <span className="jp-ExperimentBrowser-columnLabel">
          {columnLabel(column, trans)}
        </span>
        {sorted ? (
          <Icon.react tag="span" className="jp-ExperimentBrowser-sortIcon" />
        ) : null}
      </button>
    </div>
  );
}

/**
 * The properties of the `Row` component.
 */
interface IRowProps {
  id: string;
  entry: BrowserEntry;
  /**
   * Whether another entry of the level shows the same label, so that the row
   * shows its unique name as well.
   */
  ambiguous: boolean;
  columns: readonly SortColumn[];
  selected: boolean;
  focused: boolean;
  model: BrowserModel;
  trans: TranslationBundle;
  onOpen: (entry: BrowserEntry) => void;
}

/**
 * Render one entry.
 */
function RowContent(props: IRowProps): JSX.Element {
  const {
    id,
    entry,
    ambiguous,
    columns,
    selected,
    focused,
    model,
    trans,
    onOpen
  } = props;
  const classes = ['jp-ExperimentBrowser-row', `jp-mod-${entry.kind}`];
  if (selected) {
    classes.push('jp-mod-selected');
  }
  if (focused) {
    classes.push('jp-mod-focused');
  }

  const onMouseDown = (event: React.MouseEvent): void => {
    // Shift-click would otherwise select the text between two rows.
    if (event.shiftKey) {
      event.preventDefault();
    }
  };
  const onClick = (event: React.MouseEvent): void => {
    const mode = event.shiftKey
      ? 'range'
      : event.ctrlKey || event.metaKey
        ? 'toggle'
        : 'replace';
    model.select(entry.key, mode);
  };
  const onContextMenu = (): void => {
    // As in the file browser: a right-click on an unselected row selects it,
    // on a selected row it keeps the selection for the menu's commands.
    if (!selected) {
      model.select(entry.key);
    }
  };

  return (
    <div
      id={id}
      className={classes.join(' ')}
      role="row"
      aria-selected={selected}
      aria-label={Private.rowLabel(entry, trans, ambiguous)}
      data-kind={entry.kind}
      data-name={entry.kind === 'unassigned' ? undefined : entry.name}
      onMouseDown={onMouseDown}
      onClick={onClick}
      onDoubleClick={() => onOpen(entry)}
      onContextMenu={onContextMenu}
    >
      {columns.map(column =>
        column === 'name' ? (
          <NameCell
            key={column}
            entry={entry}
            ambiguous={ambiguous}
            trans={trans}
          />
        ) : (
          <Cell key={column} entry={entry} column={column} trans={trans} />
        )
      )}
    </div>
  );
}

/**
 * One entry, memoised: it renders again only when its entry object,
 * selection or focus changes.
 */
const Row = React.memo(RowContent);

/**
 * Render the name cell: icon, display name and, for the unassigned entry, its count.
 * A display name that another entry shares is followed by the entry's unique name.
 */
function NameCell(props: {
  entry: BrowserEntry;
  ambiguous: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { entry, ambiguous, trans } = props;

  if (entry.kind === 'unassigned') {
    return (
      <div className="jp-ExperimentBrowser-cell jp-mod-name" role="gridcell">
        <span className="jp-ExperimentBrowser-name">
          {trans.__('Unassigned trial components')}
        </span>
        <span
          className="jp-ExperimentBrowser-count"
          title={trans._n(
            '%1 trial component',
            '%1 trial components',
            entry.count
          )}
        >
          {entry.count}
        </span>
      </div>
    );
  }

  const title =
    entry.label === entry.name ? entry.name : `${entry.label} (${entry.name})`;
  return (
    <div className="jp-ExperimentBrowser-cell jp-mod-name" role="gridcell">
      {entry.kind === 'experiment' ? (
        <experimentsIcon.react
          tag="span"
          className="jp-ExperimentBrowser-icon"
        />
      ) : null}
      {entry.kind === 'component' ? (
        <span
          className={`jp-ExperimentBrowser-statusDot jp-mod-${Private.statusClass(entry.record.status)}`}
          aria-hidden="true"
        />
      ) : null}
      <span className="jp-ExperimentBrowser-name" title={title}>
        {entry.label}
      </span>
      {ambiguous && entry.label !== entry.name ? (
        <span className="jp-ExperimentBrowser-uniqueName" title={title}>
          <bdi>{entry.name}</bdi>
        </span>
      ) : null}
    </div>
  );
}

/**
 * Render a cell other than the name.
 */
function Cell(props: {
  entry: BrowserEntry;
  column: SortColumn;
  trans: TranslationBundle;
}): JSX.Element {
  const { entry, column, trans } = props;
  const { text, title } = cellText(entry, column, trans);

  return (
    <div
      className={`jp-ExperimentBrowser-cell jp-mod-${column}`}
      role="gridcell"
      title={title}
    >
      {text}
    </div>
  );
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * A crumb of the breadcrumb: its label, the level it shows and the entry to
   * focus there.
   */
  export interface ICrumb {
    label: string;
    location: BrowserLocation;
    focusKey?: string;
  }

  /**
   * Return the crumbs from Home to a location.
   */
  export function crumbsOf(
    location: BrowserLocation,
    trans: TranslationBundle
  ): ICrumb[] {
    const home: ICrumb = {
      label: trans.__('Home'),
      location: { kind: 'home' }
    };
    switch (location.kind) {
      case 'home':
        return [home];
      case 'unassigned':
        return [
          { ...home, focusKey: 'unassigned' },
          { label: trans.__('Unassigned trial components'), location }
        ];
      case 'experiment':
        return [
          { ...home, focusKey: `experiment:${location.experiment}` },
          {
            label: location.experimentLabel ?? location.experiment,
            location
          }
        ];
      case 'trial':
        return [
          { ...home, focusKey: `experiment:${location.experiment}` },
          {
            label: location.experimentLabel ?? location.experiment,
            location: {
              kind: 'experiment',
              experiment: location.experiment,
              experimentLabel: location.experimentLabel
            },
            focusKey: `trial:${location.trial}`
          },
          { label: location.trialLabel ?? location.trial, location }
        ];
    }
  }

  /**
   * Return a key that changes when the location changes.
   */
  export function locationKey(location: BrowserLocation): string {
    return JSON.stringify([
      location.kind,
      'experiment' in location ? location.experiment : '',
      'trial' in location ? location.trial : ''
    ]);
  }

  /**
   * Return the accessible name of the grid.
   */
  export function gridLabel(
    location: BrowserLocation,
    trans: TranslationBundle
  ): string {
    switch (location.kind) {
      case 'home':
        return trans.__('Experiments');
      case 'experiment':
        return trans.__(
          'Trials of %1',
          location.experimentLabel ?? location.experiment
        );
      case 'trial':
        return trans.__(
          'Trial components of %1',
          location.trialLabel ?? location.trial
        );
      case 'unassigned':
        return trans.__('Unassigned trial components');
    }
  }

  /**
   * Return the accessible name of a row.
   */
  export function rowLabel(
    entry: BrowserEntry,
    trans: TranslationBundle,
    ambiguous = false
  ): string {
    if (entry.kind === 'unassigned') {
      return trans.__('Unassigned trial components');
    }
    return ambiguous && entry.label !== entry.name
      ? trans.__('%1 (%2)', entry.label, entry.name)
      : entry.label;
  }

  /**
   * Return the labels that more than one entry of a level shows.
   */
  export function sharedLabels(entries: readonly BrowserEntry[]): Set<string> {
    const seen = new Set<string>();
    const shared = new Set<string>();
    for (const entry of entries) {
      if (entry.kind === 'unassigned') {
        continue;
      }
      if (seen.has(entry.label)) {
        shared.add(entry.label);
      }
      seen.add(entry.label);
    }
    return shared;
  }

  /**
   * Return whether the level shows no row, the unassigned entry aside.
   */
  export function isEmpty(model: BrowserModel): boolean {
    return model.entries.every(entry => entry.kind === 'unassigned');
  }

  /**
   * Return the message shown when a level has no entries.
   */
  export function emptyMessage(
    model: BrowserModel,
    trans: TranslationBundle
  ): string {
    const filter = model.filter.trim();
    switch (model.level) {
      case 'home':
        return filter
          ? trans.__('No experiment name contains “%1”.', filter)
          : trans.__(
              'No experiments yet. Create one from a notebook with Experiment.create("name").'
            );
      case 'experiment':
        return filter
          ? trans.__('No trial name contains “%1”.', filter)
          : trans.__(
              'This experiment has no trials yet. Create one with experiment.create_trial().'
            );
      case 'components':
        return filter
          ? trans.__('No trial component name contains “%1”.', filter)
          : model.location.kind === 'unassigned'
            ? trans.__('Every trial component belongs to a trial.')
            : trans.__('This trial has no trial components yet.');
    }
  }

  /**
   * Return the CSS modifier of a trial component status.
   */
  export function statusClass(status: string | null): string {
    switch (status) {
      case 'InProgress':
      case 'Stopping':
        return 'running';
      case 'Completed':
        return 'completed';
      case 'Failed':
        return 'failed';
      case 'Stopped':
        return 'stopped';
      default:
        return 'unknown';
    }
  }

  /**
   * Return a function that gives each entry key a stable DOM id; keys contain
   * arbitrary names, so they are numbered rather than used as ids.
   */
  export function useRowIds(prefix: string): (key: string) => string {
    const ids = React.useRef(new Map<string, string>());
    return React.useCallback(
      (key: string) => {
        let id = ids.current.get(key);
        if (id === undefined) {
          id = `${prefix}-row-${ids.current.size}`;
          ids.current.set(key, id);
        }
        return id;
      },
      [prefix]
    );
  }

  /**
   * Apply a key of the grid's own navigation to the model.
   *
   * @returns Whether the key was handled.
   */
  export function handleKey(
    model: BrowserModel,
    event: React.KeyboardEvent,
    open: (entry: BrowserEntry) => void
  ): boolean {
    const extend = event.shiftKey;
    switch (event.key) {
      case 'ArrowDown':
        model.moveFocus(1, extend);
        return true;
      case 'ArrowUp':
        if (event.altKey) {
          // Alt+Up goes up a level through the application's shortcut.
          return false;
        }
        model.moveFocus(-1, extend);
        return true;
      case 'Home':
        model.moveFocus('first', extend);
        return true;
      case 'End':
        model.moveFocus('last', extend);
        return true;
      case 'Enter': {
        const entry = model.entries.find(e => e.key === model.focusedKey);
        if (entry) {
          open(entry);
        }
        return true;
      }
      case ' ':
        if (model.focusedKey !== null) {
          model.select(model.focusedKey, 'toggle');
        }
        return true;
      case 'a':
        if (event.ctrlKey || event.metaKey) {
          model.selectAll();
          return true;
        }
        return false;
      default:
        return false;
    }
  }
}
