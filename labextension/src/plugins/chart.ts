/**
 * The plugin of charts: the "Add chart" command of the trial component list,
 * which opens a chart of the selected rows beside the table, and the
 * restoring of chart tabs after a page reload.
 */

import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  DOMUtils,
  IThemeManager,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ITranslator } from '@jupyterlab/translation';
import { ReadonlyJSONObject, UUID } from '@lumino/coreutils';
import type { TopLevelSpec } from 'vega-lite';

import { IComponentSelection } from '../api/components';
import { ChartModel } from '../models/chart';
import { standaloneSpec } from '../models/chartspec';
import { TableChartSource } from '../models/chartsource';
import { IChartState, parseChartState } from '../models/chartstate';
import { selectionKey } from '../models/table';
import { TRANSLATION_DOMAIN } from '../widgets/browser';
import { chartLabels } from '../widgets/chart/metricchart';
import { ChartPanel } from '../widgets/chart/panel';
import { ChartView } from '../widgets/chart/view';
import { ComponentTablePanel } from '../widgets/table/widget';
import { CommandIDs } from './table';

/**
 * The command ids of the chart plugin.
 */
export namespace ChartCommandIDs {
  /**
   * Open a chart again from its saved state (`IChartState`); the layout
   * restorer runs it after a page reload.
   */
  export const restore = 'jupyter-experiments:restore-chart';
}

/**
 * The plugin of charts of trial components.
 */
export const chartPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-experiments:chart',
  description:
    'Adds charts of the selected trial components beside the trial component list.',
  autoStart: true,
  requires: [ITranslator],
  optional: [IThemeManager, ILayoutRestorer, ILabShell],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator,
    themes: IThemeManager | null,
    restorer: ILayoutRestorer | null,
    labShell: ILabShell | null
  ): void => {
    const trans = translator.load(TRANSLATION_DOMAIN);
    const labels = chartLabels(trans);
    const serverSettings = app.serviceManager.serverSettings;
    const charts = new WidgetTracker<ChartPanel>({
      namespace: 'jupyter-experiments-chart'
    });
    const entries = new WeakMap<ChartPanel, Private.IChartEntry>();
    // The last chart opened for each table, to place the next one below it.
    const lastChart = new WeakMap<ComponentTablePanel, ChartPanel>();
    let opened = 0;

    const tableUnderMenu = (): ComponentTablePanel | null => {
      const node = app.contextMenuHitTest(element =>
        element.classList.contains('jp-ComponentTable')
      );
      for (const widget of app.shell.widgets('main')) {
        if (
          widget instanceof ComponentTablePanel &&
          (node
            ? widget.content.node === node
            : widget === app.shell.currentWidget)
        ) {
          return widget;
        }
      }
      return null;
    };

    const tableOf = (
      selection: Required<IComponentSelection>
    ): ComponentTablePanel | null => {
      const key = selectionKey(selection);
      for (const widget of app.shell.widgets('main')) {
        if (
          widget instanceof ComponentTablePanel &&
          !widget.isDisposed &&
          widget.content.model.key === key
        ) {
          return widget;
        }
      }
      return null;
    };

    const openSpec = async (spec: TopLevelSpec): Promise<void> => {
      const contents = app.serviceManager.contents;
      const file = await contents.newUntitled({
        type: 'file',
        ext: '.vl.json'
      });
      await contents.save(file.path, {
        type: 'file',
        format: 'text',
        content: JSON.stringify(standaloneSpec(spec), null, 2)
      });
      await app.commands.execute('docmanager:open', { path: file.path });
    };

    const stateOf = (panel: ChartPanel): IChartState | null => {
      const entry = entries.get(panel);
      if (entry === undefined) {
        return null;
      }
      return {
        id: entry.id,
        number: entry.number,
        label: panel.title.label,
        caption: panel.title.caption,
        names: [...entry.source.initialNames],
        table: entry.table,
        options: panel.content.model.options
      };
    };

    // The state is saved when it changes, not at every series fetch.
    const savedStates = new WeakMap<ChartPanel, string>();
    const saveState = (panel: ChartPanel): void => {
      const text = JSON.stringify(stateOf(panel));
      if (savedStates.get(panel) !== text) {
        savedStates.set(panel, text);
        void charts.save(panel);
      }
    };

    /**
     * Create a chart tab and track it; the caller adds it to the shell.
     */
    const createChart = (
      source: TableChartSource,
      entry: Omit<Private.IChartEntry, 'source'>,
      title: { label: string; caption: string },
      state: IChartState | null
    ): ChartPanel => {
      const model = new ChartModel({
        source,
        serverSettings,
        labels,
        options: state?.options
      });
      const view = new ChartView({ model, trans });
      const panel = new ChartPanel({
        content: view,
        trans,
        label: title.label,
        caption: title.caption,
        onOpenSpec: openSpec
      });
      panel.id = DOMUtils.createDomID();
      panel.disposed.connect(() => source.dispose());
      entries.set(panel, { ...entry, source });
      model.changed.connect(() => saveState(panel));
      return panel;
    };

    const addChart = (
      table: ComponentTablePanel,
      names: string[]
    ): ChartPanel => {
      const source = new TableChartSource(table.content.model, names);
      opened++;
      const panel = createChart(
        source,
        {
          id: UUID.uuid4(),
          number: opened,
          table: table.content.model.selection
        },
        {
          label: trans.__('Chart %1: %2', opened, table.title.label),
          caption: trans._n(
            'Chart of %1 trial component of %2; it follows the selected rows',
            'Chart of %1 trial components of %2; it follows the selected rows',
            names.length,
            table.title.label
          )
        },
        null
      );

      const previous = lastChart.get(table);
      if (previous && previous.isAttached) {
        app.shell.add(panel, 'main', {
          mode: 'split-bottom',
          ref: previous.id
        });
      } else {
        app.shell.add(panel, 'main', { mode: 'split-right', ref: table.id });
      }
      lastChart.set(table, panel);
      void charts.add(panel);
      // The view fetches the series at its first render, once its width is known.
      app.shell.activateById(panel.id);
      return panel;
    };

    /**
     * Let each chart that follows no open table follow an open table of its
     * selection: one restored after the chart, or opened again after the
     * user closed it.
     */
    const reconnect = (): void => {
      charts.forEach(panel => {
        const entry = entries.get(panel);
        const followed = entry?.source.table;
        if (
          entry === undefined ||
          entry.table === null ||
          (followed && !followed.isDisposed)
        ) {
          return;
        }
        const table = tableOf(entry.table);
        if (table !== null) {
          entry.source.attach(table.content.model);
          lastChart.set(table, panel);
        }
      });
    };

    const restoreChart = (state: IChartState): ChartPanel => {
      opened = Math.max(opened, state.number);
      const table = state.table === null ? null : tableOf(state.table);
      const source = new TableChartSource(
        table?.content.model ?? null,
        state.names
      );
      const panel = createChart(
        source,
        { id: state.id, number: state.number, table: state.table },
        { label: state.label, caption: state.caption },
        state
      );
      // The layout restorer moves the tab to its saved place.
      app.shell.add(panel, 'main');
      if (table !== null) {
        lastChart.set(table, panel);
      }
      void charts.add(panel);
      return panel;
    };

    app.commands.addCommand(CommandIDs.addChart, {
      label: trans.__('Add chart'),
      caption: trans.__('Chart the selected trial components beside the table'),
      isEnabled: () =>
        (tableUnderMenu()?.content.targetNames().length ?? 0) > 0,
      execute: () => {
        const table = tableUnderMenu();
        const names = table?.content.targetNames() ?? [];
        if (table === null || names.length === 0) {
          Notification.warning(
            trans.__('Select trial components in the table to chart them.')
          );
          return;
        }
        return addChart(table, names);
      }
    });

    app.commands.addCommand(ChartCommandIDs.restore, {
      label: trans.__('Restore chart'),
      caption: trans.__('Open a chart again from its saved state'),
      execute: args => {
        const state = parseChartState(args);
        if (state === null) {
          // The layout restorer drops the saved state of a failed restore.
          throw new Error(
            `Invalid saved chart state ${JSON.stringify(args)}: it needs an id and the trial component names.`
          );
        }
        return restoreChart(state);
      }
    });

    if (restorer) {
      void restorer.restore(charts, {
        command: ChartCommandIDs.restore,
        args: panel => (stateOf(panel) ?? {}) as unknown as ReadonlyJSONObject,
        name: panel => entries.get(panel)?.id ?? panel.id
      });
    }

    // Tables are restored at the same time as charts, so a restored chart
    // looks for its table once every tab is back, and again whenever a tab
    // opens in case it is the chart's table.
    void app.restored.then(() => {
      reconnect();
      labShell?.layoutModified.connect(reconnect);
    });

    if (themes) {
      themes.themeChanged.connect(() =>
        charts.forEach(panel => panel.content.rerender())
      );
    }
  }
};

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * What the plugin keeps of each chart tab to save its state.
   */
  export interface IChartEntry {
    /**
     * The chart's name in the layout restorer.
     */
    id: string;

    /**
     * The chart's number in its title.
     */
    number: number;

    /**
     * The selection of the table the chart follows, or null.
     */
    table: Required<IComponentSelection> | null;

    /**
     * The chart's source of trial components.
     */
    source: TableChartSource;
  }
}
