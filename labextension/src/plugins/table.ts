/**
 * The plugin of the trial component list and the describe view: commands,
 * context-menu actions, layout memory, settings and the layout restorer.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  DOMUtils,
  ICommandPalette,
  InputDialog,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import {
  ReadonlyJSONObject,
  ReadonlyPartialJSONObject
} from '@lumino/coreutils';

import { exportComponentsCsv, IComponentSelection } from '../api/components';
import { DescribeModel } from '../models/describe';
import {
  ComponentTableModel,
  defaultLayout,
  ITableLayout,
  normalizeSelection,
  parseLayout,
  selectionKey
} from '../models/table';
import {
  COLUMN_GROUPS,
  ColumnGroupId,
  isMetricStatistic,
  MetricStatistic
} from '../models/tablecolumns';
import { ILiveUpdates } from '../tokens';
import { TRANSLATION_DOMAIN } from '../widgets/browser';
import {
  DescribeComponentPanel,
  DescribeComponentView
} from '../widgets/describe/widget';
import { ComponentTable, ComponentTablePanel } from '../widgets/table/widget';

/**
 * The command ids of the trial component list and the describe view.
 */
export namespace CommandIDs {
  /**
   * Open (or activate) the trial component list of a selection
   * `{experiments?, trials?, unassigned?, title?}`.
   */
  export const openTable = 'jupyter-experiments:open-component-list';

  /**
   * Open (or activate) the describe view of a trial component `{name}`.
   */
  export const describe = 'jupyter-experiments:describe';

  /**
   * Chart the selected trial components beside the table; registered by the
   * chart plugin.
   */
  export const addChart = 'jupyter-experiments:add-chart';

  /**
   * Download the selected rows, or the whole table, as CSV.
   */
  export const exportCsv = 'jupyter-experiments:export-components-csv';

  /**
   * Copy the names of the selected rows.
   */
  export const copyName = 'jupyter-experiments:copy-component-name';

  /**
   * Show another statistic `{statistic}` in the metric column under the menu.
   */
  export const setStatistic = 'jupyter-experiments:set-metric-statistic';

  /**
   * Hide the column under the context menu.
   */
  export const hideColumn = 'jupyter-experiments:hide-table-column';
}

/**
 * The prefix of the state database keys of table layouts; the normalized
 * selection follows.
 */
export const LAYOUT_STATE_PREFIX = 'jupyter-experiments:component-table:';

/**
 * Milliseconds a layout must stay unchanged before it is stored.
 */
const LAYOUT_SAVE_DELAY_MS = 300;

/**
 * The plugin of the trial component list and the describe view.
 */
export const tablePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-experiments:table',
  description:
    'Adds the trial component list and the describe view of a trial component.',
  autoStart: true,
  requires: [ITranslator],
  optional: [
    ILayoutRestorer,
    IStateDB,
    ILiveUpdates,
    ISettingRegistry,
    ICommandPalette
  ],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator,
    restorer: ILayoutRestorer | null,
    state: IStateDB | null,
    live: ILiveUpdates | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = translator.load(TRANSLATION_DOMAIN);
    const serverSettings = app.serviceManager.serverSettings;
    const tables = new WidgetTracker<ComponentTablePanel>({
      namespace: 'jupyter-experiments-component-table'
    });
    const describes = new WidgetTracker<DescribeComponentPanel>({
      namespace: 'jupyter-experiments-describe-component'
    });
    const settings: Private.ISettings = { ...Private.DEFAULT_SETTINGS };
    const statisticLabels: Record<MetricStatistic, string> = {
      min: trans.__('Min'),
      max: trans.__('Max'),
      avg: trans.__('Avg'),
      std_dev: trans.__('StdDev'),
      last: trans.__('Last'),
      count: trans.__('Count')
    };
    const opening = new Map<string, Promise<ComponentTablePanel>>();

    // Tables wait for the settings, so that one restored at startup shows the
    // default statistic and column groups of the settings.
    let settingsLoaded: Promise<void> = Promise.resolve();
    if (settingRegistry) {
      settingsLoaded = settingRegistry
        .load(tablePlugin.id)
        .then(loaded => {
          const update = (): void => {
            Object.assign(settings, Private.readSettings(loaded.composite));
          };
          update();
          loaded.changed.connect(update);
        })
        .catch(reason => {
          Notification.error(
            trans.__(
              'Could not load the trial component list settings: %1',
              String(reason)
            )
          );
        });
    }

    const openDescribe = (name: string): DescribeComponentPanel => {
      const existing = describes.find(
        panel => panel.content.model.name === name
      );
      if (existing) {
        app.shell.activateById(existing.id);
        return existing;
      }
      const model = new DescribeModel({
        name,
        serverSettings,
        live,
        logLines: settings.logLines,
        refreshIntervalMs: settings.refreshIntervalSeconds * 1000
      });
      const panel = new DescribeComponentPanel({
        content: new DescribeComponentView({
          model,
          trans,
          serverRoot: PageConfig.getOption('serverRoot') || undefined,
          onOpenComponentList: selection =>
            void app.commands.execute(CommandIDs.openTable, { ...selection }),
          onOpenFile: path =>
            void app.commands
              .execute('filebrowser:go-to-path', { path })
              .catch(reason =>
                Notification.error(
                  trans.__(
                    'Could not show %1 in the file browser: %2',
                    path,
                    Private.messageOf(reason)
                  )
                )
              )
        }),
        trans
      });
      panel.id = DOMUtils.createDomID();
      model.changed.connect(() => void describes.save(panel));
      void describes.add(panel);
      app.shell.add(panel, 'main');
      app.shell.activateById(panel.id);
      void model.refresh();
      return panel;
    };

    const createTable = async (
      selection: Required<IComponentSelection>,
      key: string,
      title: string | null
    ): Promise<ComponentTablePanel> => {
      const stateKey = LAYOUT_STATE_PREFIX + key;
      await settingsLoaded;
      const stored = state
        ? await state.fetch(stateKey).catch(() => undefined)
        : undefined;
      const layout =
        stored === undefined
          ? {
              ...defaultLayout(),
              hiddenGroups: COLUMN_GROUPS.filter(
                group => !settings.visibleColumnGroups.includes(group)
              )
            }
          : parseLayout(stored);
      const model = new ComponentTableModel({
        selection,
        serverSettings,
        trans,
        layout,
        live,
        pageSize: settings.pageSize,
        defaultStatistic: settings.defaultStatistic
      });
      const table = new ComponentTable({
        model,
        trans,
        onDescribe: name =>
          void app.commands.execute(CommandIDs.describe, { name })
      });
      const names = Private.titleOf(selection, trans);
      const panel = new ComponentTablePanel({
        content: table,
        trans,
        label: title ?? names.label,
        caption: names.caption,
        requestedTitle: title
      });
      panel.id = DOMUtils.createDomID();

      if (state) {
        let timer = 0;
        model.layoutChanged.connect((_sender, changed: ITableLayout) => {
          window.clearTimeout(timer);
          timer = window.setTimeout(() => {
            void state
              .save(stateKey, changed as unknown as ReadonlyPartialJSONObject)
              .catch(reason =>
                Notification.error(
                  trans.__(
                    'Could not store the table layout: %1',
                    String(reason)
                  )
                )
              );
          }, LAYOUT_SAVE_DELAY_MS);
        });
      }
      void tables.add(panel);
      app.shell.add(panel, 'main');
      app.shell.activateById(panel.id);
      void model.load();
      return panel;
    };

    const openTable = (
      args: ReadonlyPartialJSONObject
    ): Promise<ComponentTablePanel> => {
      const selection = normalizeSelection(Private.selectionOf(args));
      const key = selectionKey(selection);
      const existing = tables.find(panel => panel.content.model.key === key);
      if (existing) {
        app.shell.activateById(existing.id);
        return Promise.resolve(existing);
      }
      // Two quick calls for one selection open one tab.
      const pending = opening.get(key);
      if (pending) {
        return pending;
      }
      const title =
        typeof args.title === 'string' && args.title ? args.title : null;
      const created = createTable(selection, key, title).finally(() =>
        opening.delete(key)
      );
      opening.set(key, created);
      return created;
    };

    const tableUnderMenu = (): ComponentTable | null => {
      const node = app.contextMenuHitTest(element =>
        element.classList.contains('jp-ComponentTable')
      );
      const panel = node
        ? tables.find(candidate => candidate.content.node === node)
        : tables.currentWidget;
      return panel?.content ?? null;
    };

    app.commands.addCommand(CommandIDs.openTable, {
      label: args =>
        Private.hasSelection(args)
          ? trans.__('Open in Trial Component List')
          : trans.__('Open Trial Component List'),
      caption: trans.__(
        'Show the trial components of experiments, trials or of no trial in a table'
      ),
      execute: args => openTable(args)
    });

    app.commands.addCommand(CommandIDs.describe, {
      label: args =>
        args.isPalette
          ? trans.__('Describe Trial Component…')
          : trans.__('Describe'),
      caption: trans.__('Open the describe view of the trial component'),
      isEnabled: args =>
        typeof args.name === 'string' ||
        args.isPalette === true ||
        (tableUnderMenu()?.targetName() ?? null) !== null,
      execute: async args => {
        let name =
          typeof args.name === 'string'
            ? args.name
            : tableUnderMenu()?.targetName();
        if (!name && args.isPalette) {
          // From the palette there is no row to describe: ask for its name.
          const result = await InputDialog.getText({
            title: trans.__('Describe Trial Component'),
            label: trans.__('Name of the trial component'),
            placeholder: trans.__('for example mnist-training-job-1'),
            okLabel: trans.__('Describe')
          });
          name = result.button.accept ? result.value?.trim() : '';
        }
        if (!name) {
          return;
        }
        return openDescribe(name);
      }
    });

    // `CommandIDs.addChart` is registered by the chart plugin (plugins/chart.ts).

    app.commands.addCommand(CommandIDs.exportCsv, {
      label: () =>
        (tableUnderMenu()?.model.selectedNames.size ?? 0) > 0
          ? trans.__('Export selection as CSV')
          : trans.__('Export table as CSV'),
      caption: trans.__(
        'Download the selected trial components, or all of them, as a CSV file'
      ),
      isEnabled: () => tableUnderMenu() !== null,
      execute: async () => {
        const table = tableUnderMenu();
        if (table === null) {
          return;
        }
        try {
          const text = await exportComponentsCsv(
            table.model.exportQuery(),
            serverSettings
          );
          Private.download(text, 'trial-components.csv', 'text/csv');
        } catch (reason) {
          Notification.error(
            trans.__('CSV export failed: %1', Private.messageOf(reason))
          );
        }
      }
    });

    app.commands.addCommand(CommandIDs.copyName, {
      label: trans.__('Copy name'),
      caption: trans.__('Copy the trial component names to the clipboard'),
      isEnabled: () => (tableUnderMenu()?.targetNames().length ?? 0) > 0,
      execute: () => {
        const names = tableUnderMenu()?.targetNames() ?? [];
        if (names.length > 0) {
          Clipboard.copyToSystem(names.join('\n'));
        }
      }
    });

    app.commands.addCommand(CommandIDs.setStatistic, {
      label: args =>
        isMetricStatistic(args.statistic)
          ? statisticLabels[args.statistic]
          : trans.__('Statistic'),
      caption: trans.__('Show this summary statistic in the metric column'),
      isToggled: args => {
        const table = tableUnderMenu();
        const column = table?.targetColumn();
        return (
          table !== null &&
          table !== undefined &&
          column?.kind === 'metric' &&
          table.model.statisticOf(column) === args.statistic
        );
      },
      isEnabled: args =>
        isMetricStatistic(args.statistic) &&
        tableUnderMenu()?.targetColumn()?.kind === 'metric',
      execute: args => {
        const table = tableUnderMenu();
        const column = table?.targetColumn();
        const statistic = args.statistic;
        if (
          table &&
          column?.kind === 'metric' &&
          isMetricStatistic(statistic)
        ) {
          table.model.setStatistic(column.name, statistic as MetricStatistic);
        }
      }
    });

    app.commands.addCommand(CommandIDs.hideColumn, {
      label: trans.__('Hide column'),
      caption: trans.__('Hide this column; show it again in Table properties'),
      isEnabled: () => (tableUnderMenu()?.targetColumn() ?? null) !== null,
      execute: () => {
        const table = tableUnderMenu();
        const column = table?.targetColumn();
        if (table && column) {
          table.model.setColumnVisible(column.key, false);
        }
      }
    });

    if (restorer) {
      void restorer.restore(tables, {
        command: CommandIDs.openTable,
        args: panel => Private.tableArgs(panel),
        name: panel => panel.content.model.key
      });
      void restorer.restore(describes, {
        command: CommandIDs.describe,
        args: panel => ({ name: panel.content.model.name }),
        name: panel => panel.content.model.name
      });
    }

    if (palette) {
      palette.addItem({
        command: CommandIDs.openTable,
        category: trans.__('Experiments')
      });
      palette.addItem({
        command: CommandIDs.describe,
        args: { isPalette: true },
        category: trans.__('Experiments')
      });
    }
  }
};

/**
 * The plugins of this module.
 */
const plugins: JupyterFrontEndPlugin<void>[] = [tablePlugin];

export default plugins;

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * The settings of the plugin.
   */
  export interface ISettings {
    defaultStatistic: MetricStatistic;
    visibleColumnGroups: ColumnGroupId[];
    pageSize: number;
    logLines: number;
    refreshIntervalSeconds: number;
  }

  /**
   * The defaults of `schema/table.json`, used until the settings load.
   */
  export const DEFAULT_SETTINGS: ISettings = {
    defaultStatistic: 'last',
    visibleColumnGroups: [...COLUMN_GROUPS],
    pageSize: 100,
    logLines: 200,
    refreshIntervalSeconds: 2
  };

  /**
   * Return the settings from the composite values of the registry.
   */
  export function readSettings(
    composite: ReadonlyPartialJSONObject
  ): ISettings {
    const groups = composite.visibleColumnGroups;
    const number = (key: keyof ISettings): number => {
      const value = composite[key];
      return typeof value === 'number'
        ? value
        : (DEFAULT_SETTINGS[key] as number);
    };
    return {
      defaultStatistic: isMetricStatistic(composite.defaultStatistic)
        ? composite.defaultStatistic
        : DEFAULT_SETTINGS.defaultStatistic,
      visibleColumnGroups: Array.isArray(groups)
        ? COLUMN_GROUPS.filter(group => groups.includes(group))
        : DEFAULT_SETTINGS.visibleColumnGroups,
      pageSize: number('pageSize'),
      logLines: number('logLines'),
      refreshIntervalSeconds: number('refreshIntervalSeconds')
    };
  }

  /**
   * Return the selection named by command arguments.
   */
  export function selectionOf(
    args: ReadonlyPartialJSONObject
  ): IComponentSelection {
    const names = (value: unknown): string[] =>
      Array.isArray(value)
        ? value.filter((item): item is string => typeof item === 'string')
        : [];
    return {
      experiments: names(args.experiments),
      trials: names(args.trials),
      unassigned: args.unassigned === true
    };
  }

  /**
   * Whether command arguments name any trial components.
   */
  export function hasSelection(args: ReadonlyPartialJSONObject): boolean {
    const selection = selectionOf(args);
    return (
      (selection.experiments?.length ?? 0) > 0 ||
      (selection.trials?.length ?? 0) > 0 ||
      selection.unassigned === true
    );
  }

  /**
   * Return the arguments that open a table again after a reload.
   */
  export function tableArgs(panel: ComponentTablePanel): ReadonlyJSONObject {
    const selection = panel.content.model.selection;
    const args: { [key: string]: string[] | boolean | string } = {
      experiments: selection.experiments,
      trials: selection.trials,
      unassigned: selection.unassigned
    };
    if (panel.requestedTitle !== null) {
      args.title = panel.requestedTitle;
    }
    return args;
  }

  /**
   * Return the tab title and tooltip built from a selection.
   */
  export function titleOf(
    selection: Required<IComponentSelection>,
    trans: TranslationBundle
  ): { label: string; caption: string } {
    const parts = [...selection.experiments, ...selection.trials];
    if (selection.unassigned) {
      parts.push(trans.__('Unassigned'));
    }
    if (parts.length === 0) {
      const all = trans.__('All trial components');
      return { label: all, caption: all };
    }
    const label =
      parts.length <= 2
        ? parts.join(', ')
        : trans.__('%1 and %2 more', parts[0], parts.length - 1);
    return {
      label,
      caption: trans.__('Trial components of %1', parts.join(', '))
    };
  }

  /**
   * Save text as a file through the browser's download.
   */
  export function download(text: string, fileName: string, type: string): void {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.style.display = 'none';
    document.body.appendChild(link);
    link.click();
    link.remove();
    // The download has started once click() returns; the URL is no longer needed.
    window.setTimeout(() => URL.revokeObjectURL(url), 0);
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
