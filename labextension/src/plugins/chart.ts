/**
 * The plugin of charts: the "Add chart" command of the trial component list,
 * which opens a chart of the selected rows beside the table.
 */

import {
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
import type { TopLevelSpec } from 'vega-lite';

import { ChartModel } from '../models/chart';
import { standaloneSpec } from '../models/chartspec';
import { TableChartSource } from '../models/chartsource';
import { TRANSLATION_DOMAIN } from '../widgets/browser';
import { chartLabels } from '../widgets/chart/metricchart';
import { ChartPanel } from '../widgets/chart/panel';
import { ChartView } from '../widgets/chart/view';
import { ComponentTablePanel } from '../widgets/table/widget';
import { CommandIDs } from './table';

/**
 * The plugin of charts of trial components.
 */
export const chartPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-experiments:chart',
  description:
    'Adds charts of the selected trial components beside the trial component list.',
  autoStart: true,
  requires: [ITranslator],
  optional: [IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator,
    themes: IThemeManager | null
  ): void => {
    const trans = translator.load(TRANSLATION_DOMAIN);
    const labels = chartLabels(trans);
    const serverSettings = app.serviceManager.serverSettings;
    const charts = new WidgetTracker<ChartPanel>({
      namespace: 'jupyter-experiments-chart'
    });
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

    const addChart = (
      table: ComponentTablePanel,
      names: string[]
    ): ChartPanel => {
      const source = new TableChartSource(table.content.model, names);
      const model = new ChartModel({ source, serverSettings, labels });
      const view = new ChartView({ model, trans });
      opened++;
      const panel = new ChartPanel({
        content: view,
        trans,
        label: trans.__('Chart %1: %2', opened, table.title.label),
        caption: trans._n(
          'Chart of %1 trial component of %2; it follows the selected rows',
          'Chart of %1 trial components of %2; it follows the selected rows',
          names.length,
          table.title.label
        ),
        onOpenSpec: openSpec
      });
      panel.id = DOMUtils.createDomID();
      panel.disposed.connect(() => source.dispose());

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

    if (themes) {
      themes.themeChanged.connect(() =>
        charts.forEach(panel => panel.content.rerender())
      );
    }
  }
};
