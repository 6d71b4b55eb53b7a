/**
 * A main-area chart tab: the chart view and a toolbar to open Chart
 * properties, fetch again and export the chart.
 */

import { MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  downloadIcon,
  lineFormIcon,
  refreshIcon,
  settingsIcon,
  Toolbar,
  ToolbarButton
} from '@jupyterlab/ui-components';
import type { TopLevelSpec } from 'vega-lite';

import { chartCsv } from '../../models/chartspec';
import { ChartView } from './view';

/**
 * A main-area tab that contains a `ChartView` and its toolbar.
 */
export class ChartPanel extends MainAreaWidget<ChartView> {
  /**
   * Construct the tab around `options.content`.
   */
  constructor(options: ChartPanel.IOptions) {
    super({ content: options.content });
    const trans = options.trans;
    const chart = options.content;
    this._trans = trans;
    this.addClass('jp-ExperimentChartPanel');
    this.title.icon = lineFormIcon;
    this.title.closable = true;
    this.title.label = options.label;
    this.title.caption = options.caption ?? options.label;

    const propertiesButton = new ToolbarButton({
      icon: settingsIcon,
      label: trans.__('Chart properties'),
      tooltip: trans.__('Show or hide Chart properties'),
      pressed: false,
      onClick: () => chart.setPropertiesVisible(!chart.propertiesVisible)
    });
    chart.propertiesChanged.connect((_, visible) => {
      propertiesButton.pressed = visible;
    });
    this.toolbar.addItem('properties', propertiesButton);
    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Fetch the metric series again'),
        onClick: () => void chart.model.refresh()
      })
    );
    this.toolbar.addItem('spacer', Toolbar.createSpacerItem());
    this.toolbar.addItem(
      'export-png',
      this._exportButton('PNG', trans.__('Download the chart as PNG'), () =>
        this._downloadImage('png')
      )
    );
    this.toolbar.addItem(
      'export-svg',
      this._exportButton('SVG', trans.__('Download the chart as SVG'), () =>
        this._downloadImage('svg')
      )
    );
    this.toolbar.addItem(
      'export-csv',
      this._exportButton(
        'CSV',
        trans.__("Download the chart's data as CSV"),
        () => this._downloadCsv()
      )
    );
    const onOpenSpec = options.onOpenSpec;
    if (onOpenSpec) {
      this.toolbar.addItem(
        'open-vega-lite',
        new ToolbarButton({
          label: trans.__('Open as Vega-Lite'),
          tooltip: trans.__(
            'Open the chart with its data as a new Vega-Lite file (.vl.json)'
          ),
          onClick: () => {
            const spec = chart.build?.spec;
            if (!spec) {
              Notification.warning(trans.__('The chart has nothing to open.'));
              return;
            }
            void onOpenSpec(spec).catch(reason =>
              Notification.error(
                trans.__(
                  'Could not open the chart as Vega-Lite: %1',
                  String(reason)
                )
              )
            );
          }
        })
      );
    }
  }

  private _exportButton(
    label: string,
    tooltip: string,
    run: () => Promise<void>
  ): ToolbarButton {
    return new ToolbarButton({
      icon: downloadIcon,
      label,
      tooltip,
      onClick: () =>
        void run().catch(reason =>
          Notification.error(
            this._trans.__('Export failed: %1', String(reason))
          )
        )
    });
  }

  private async _downloadImage(type: 'png' | 'svg'): Promise<void> {
    const url = await this.content.imageURL(type);
    if (url === null) {
      Notification.warning(this._trans.__('The chart has nothing to export.'));
      return;
    }
    Private.download(url, `${this._fileStem()}.${type}`);
  }

  private async _downloadCsv(): Promise<void> {
    const rows = this.content.build?.rows ?? [];
    if (rows.length === 0) {
      Notification.warning(this._trans.__('The chart has no data to export.'));
      return;
    }
    const blob = new Blob([chartCsv(rows)], { type: 'text/csv' });
    const url = URL.createObjectURL(blob);
    Private.download(url, `${this._fileStem()}.csv`);
    // The click has started the download; the URL is no longer needed.
    window.setTimeout(() => URL.revokeObjectURL(url), 0);
  }

  private _fileStem(): string {
    return (
      this.title.label.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') ||
      'chart'
    );
  }

  private _trans: TranslationBundle;
}

/**
 * The namespace for `ChartPanel` statics.
 */
export namespace ChartPanel {
  /**
   * The options to create a `ChartPanel`.
   */
  export interface IOptions {
    /**
     * The chart to show.
     */
    content: ChartView;

    /**
     * The translation bundle of the toolbar's texts.
     */
    trans: TranslationBundle;

    /**
     * The tab's title.
     */
    label: string;

    /**
     * The tab's tooltip; the label when absent.
     */
    caption?: string;

    /**
     * Open a spec, with its data inlined, as a Vega-Lite document; no
     * "Open as Vega-Lite" button without it.
     */
    onOpenSpec?: (spec: TopLevelSpec) => Promise<void>;
  }
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * Start the download of a URL under a file name.
   */
  export function download(url: string, filename: string): void {
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }
}
