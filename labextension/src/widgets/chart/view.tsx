/**
 * The content of a chart tab: the rendered chart, the notices about data it
 * left out, and the Chart properties pane at its right.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { BoxLayout, BoxPanel, Panel, Widget } from '@lumino/widgets';
import React from 'react';
import type { View } from 'vega';

import { ChartModel, ChartStatus } from '../../models/chart';
import { ChartNotice, IChartBuild } from '../../models/chartspec';
import { embedChart, IEmbeddedChart } from './embed';
import { ChartPropertiesPane } from './properties';

/**
 * A chart of trial components with its notices and properties pane.
 *
 * #### Notes
 * The plot element `.jp-ExperimentChart-plot` carries the state of the last
 * render for tests and scripts: `data-status` (`empty`, `rendering`,
 * `rendered` or `error`), `data-point-count`, `data-render-count` and
 * `data-render-ms` (building the spec plus Vega's first render, in
 * milliseconds).
 */
export class ChartView extends BoxPanel {
  /**
   * Construct the view of `options.model`, which it disposes with itself.
   */
  constructor(options: ChartView.IOptions) {
    super({ direction: 'left-to-right', spacing: 0 });
    this.addClass('jp-ExperimentChart');
    this._model = options.model;
    this._modelStatus = this._model.status;
    this._trans = options.trans;

    this._plot = new Widget();
    this._plot.addClass('jp-ExperimentChart-plot');
    this._plot.node.dataset.status = 'empty';
    this._plot.node.setAttribute('role', 'img');
    this._plot.node.setAttribute('aria-label', this._trans.__('Chart'));
    this._plot.node.title = this._trans.__(
      'Drag to pan, scroll to zoom, double-click to reset; click to open Chart properties'
    );
    this._notes = new ChartNotesWidget(this, this._trans);
    this._notes.addClass('jp-ExperimentChart-notes');
    const body = new Panel();
    body.addClass('jp-ExperimentChart-body');
    body.addWidget(this._plot);
    body.addWidget(this._notes);

    this._pane = new ChartPropertiesPane({
      model: this._model,
      trans: this._trans
    });
    this._pane.hide();
    this.addWidget(body);
    this.addWidget(this._pane);
    BoxLayout.setStretch(body, 1);
    BoxLayout.setStretch(this._pane, 0);
    BoxLayout.setSizeBasis(this._pane, ChartView.PROPERTIES_WIDTH);

    this._model.changed.connect(this._onModelChanged, this);
  }

  /**
   * A signal emitted when the properties pane opens or closes.
   */
  get propertiesChanged(): ISignal<this, boolean> {
    return this._propertiesChanged;
  }

  /**
   * A signal emitted after each render, with its build.
   */
  get rendered(): ISignal<this, IChartBuild> {
    return this._rendered;
  }

  /**
   * The model of the chart.
   */
  get model(): ChartModel {
    return this._model;
  }

  /**
   * The Vega view of the chart shown, or null before the first render.
   */
  get view(): View | null {
    return this._embedded?.view ?? null;
  }

  /**
   * The build of the last render, or null before it.
   */
  get build(): IChartBuild | null {
    return this._build;
  }

  /**
   * The message of the last failed render, or null.
   */
  get renderError(): string | null {
    return this._renderError;
  }

  /**
   * Whether the Chart properties pane is open.
   */
  get propertiesVisible(): boolean {
    return this._pane.isVisible;
  }

  /**
   * Open or close the Chart properties pane.
   */
  setPropertiesVisible(visible: boolean): void {
    if (this._pane.isHidden !== visible) {
      return;
    }
    this._pane.setHidden(!visible);
    this.toggleClass('jp-mod-propertiesOpen', visible);
    this._propertiesChanged.emit(visible);
  }

  /**
   * Return the chart as a PNG (at twice the screen resolution) or SVG data
   * URL, or null when nothing is drawn.
   */
  async imageURL(type: 'png' | 'svg'): Promise<string | null> {
    const view = this.view;
    if (view === null || this._build?.spec === null) {
      return null;
    }
    return view.toImageURL(type, type === 'png' ? 2 : 1);
  }

  /**
   * Render the chart again, such as after a theme change.
   */
  rerender(): void {
    this._scheduleRender();
  }

  /**
   * Dispose of the view, its Vega view and its model.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearTimeout(this._timer);
    this._embedded?.finalize();
    this._embedded = null;
    this._model.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._plot.node.addEventListener('click', this);
    // The notes under the plot grow and shrink with CSS flex, which sends
    // the plot no Lumino resize message.
    this._resizeObserver.observe(this._plot.node);
    this._scheduleRender();
  }

  protected onBeforeDetach(msg: Message): void {
    this._plot.node.removeEventListener('click', this);
    this._resizeObserver.disconnect();
    super.onBeforeDetach(msg);
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._scheduleRender();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._scheduleRender();
  }

  /**
   * Handle the DOM events of the plot: a click opens Chart properties.
   */
  handleEvent(event: Event): void {
    if (event.type === 'click') {
      this.setPropertiesVisible(true);
    }
  }

  private _onPlotResized(): void {
    const node = this._plot.node;
    const size = `${node.clientWidth}x${node.clientHeight}`;
    if (size !== this._plotSize) {
      this._plotSize = size;
      this._scheduleRender();
    }
  }

  private _onModelChanged(): void {
    this._notes.update();
    const status = this._model.status;
    const loaded = this._modelStatus === 'loading' && status !== 'loading';
    this._modelStatus = status;
    // The model adds the last series of an update and its status in one
    // signal, so there is nothing left to gather.
    this._scheduleRender(loaded ? 0 : ChartView.RENDER_DELAY_MS);
  }

  private _scheduleRender(delay = ChartView.RENDER_DELAY_MS): void {
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => void this._render(), delay);
  }

  private async _render(): Promise<void> {
    const node = this._plot.node;
    const width = node.clientWidth;
    const height = node.clientHeight;
    if (this.isDisposed || !this.isVisible || width <= 0 || height <= 0) {
      return;
    }
    const token = ++this._renderToken;
    // Series are downsampled on the server to about one point per pixel.
    const points = Math.max(
      ChartView.MIN_SERIES_POINTS,
      Math.ceil(width / ChartView.POINTS_STEP) * ChartView.POINTS_STEP
    );
    if (points !== this._model.maxPoints || !this._updated) {
      this._model.maxPoints = points;
      this._updated = true;
      // The update emits `changed` when series arrive, which renders again.
      void this._model.update();
    }

    const started = performance.now();
    const build = this._model.build({ width, height });
    this._build = build;
    node.dataset.pointCount = String(build.pointCount);
    this._notes.update();
    if (build.spec === null) {
      this._clearPlot();
      node.dataset.status = 'empty';
      this._rendered.emit(build);
      return;
    }

    node.dataset.status = 'rendering';
    // A fresh container per render keeps the old chart in place until the
    // new one is drawn.
    const container = document.createElement('div');
    container.className = 'jp-ExperimentChart-canvas';
    node.appendChild(container);
    let embedded: IEmbeddedChart;
    try {
      embedded = await embedChart(container, build.spec);
    } catch (error) {
      container.remove();
      if (token === this._renderToken) {
        this._renderError =
          error instanceof Error ? error.message : String(error);
        node.dataset.status = 'error';
        this._notes.update();
      }
      return;
    }
    if (token !== this._renderToken || this.isDisposed) {
      embedded.finalize();
      container.remove();
      return;
    }
    this._embedded?.finalize();
    for (const child of [...node.children]) {
      if (child !== container) {
        child.remove();
      }
    }
    this._embedded = embedded;
    this._renderError = null;
    node.dataset.renderMs = String(Math.round(performance.now() - started));
    node.dataset.renderCount = String(++this._renderCount);
    node.dataset.status = 'rendered';
    this._notes.update();
    this._rendered.emit(build);
  }

  private _clearPlot(): void {
    this._embedded?.finalize();
    this._embedded = null;
    this._plot.node.replaceChildren();
  }

  private _build: IChartBuild | null = null;
  private _embedded: IEmbeddedChart | null = null;
  private _model: ChartModel;
  private _modelStatus: ChartStatus;
  private _notes: ChartNotesWidget;
  private _pane: ChartPropertiesPane;
  private _plot: Widget;
  private _plotSize = '';
  private _propertiesChanged = new Signal<this, boolean>(this);
  private _renderCount = 0;
  private _renderError: string | null = null;
  private _renderToken = 0;
  private _rendered = new Signal<this, IChartBuild>(this);
  private _resizeObserver = new ResizeObserver(() => this._onPlotResized());
  private _timer = 0;
  private _trans: TranslationBundle;
  private _updated = false;
}

/**
 * The namespace for `ChartView` statics.
 */
export namespace ChartView {
  /**
   * The width of the Chart properties pane, in CSS pixels.
   */
  export const PROPERTIES_WIDTH = 280;

  /**
   * Milliseconds to gather changes before rendering again, except after
   * the model finished loading series.
   */
  export const RENDER_DELAY_MS = 50;

  /**
   * The minimum number of points per series requested, whatever the
   * chart's width: 20 series of 1,000 points rendered in under 500 ms in the
   * browser tests (test_chart_panel.py).
   */
  export const MIN_SERIES_POINTS = 1000;

  /**
   * Series resolutions are multiples of this many points, so that resizing
   * a chart by a few pixels fetches nothing.
   */
  export const POINTS_STEP = 250;

  /**
   * The options to create a `ChartView`.
   */
  export interface IOptions {
    /**
     * The model to show; the view disposes it.
     */
    model: ChartModel;

    /**
     * The translation bundle of the view's texts.
     */
    trans: TranslationBundle;
  }
}

/**
 * The widget of `ChartNotes`, rendered again on `update()`.
 */
class ChartNotesWidget extends ReactWidget {
  constructor(
    private _view: ChartView,
    private _trans: TranslationBundle
  ) {
    super();
  }

  protected render(): React.ReactElement {
    return <ChartNotes view={this._view} trans={this._trans} />;
  }
}

/**
 * The status, notices and left-out components under a chart.
 */
function ChartNotes(props: {
  view: ChartView;
  trans: TranslationBundle;
}): React.ReactElement {
  const { view, trans } = props;
  const model = view.model;
  const build = view.build;
  const messages: { key: string; text: string; error?: boolean }[] = [];

  if (model.status === 'loading') {
    messages.push({ key: 'loading', text: trans.__('Loading the series…') });
  }
  if (model.status === 'error' && model.error) {
    messages.push({
      key: 'error',
      text: trans.__('Error: %1', model.error),
      error: true
    });
  }
  if (view.renderError) {
    messages.push({
      key: 'render-error',
      text: trans.__('The chart could not be drawn: %1', view.renderError),
      error: true
    });
  }
  (build?.notices ?? []).forEach((notice, index) =>
    messages.push({ key: `notice-${index}`, text: noticeText(notice, trans) })
  );
  if (model.unavailable.length > 0) {
    messages.push({
      key: 'unavailable',
      text: trans.__(
        'Could not load these trial components: %1',
        model.unavailable.join(', ')
      ),
      error: true
    });
  }
  const leftOut = build?.leftOut ?? [];

  return (
    <div data-left-out={leftOut.length}>
      {messages.map(message => (
        <p
          key={message.key}
          className={
            message.error
              ? 'jp-ExperimentChart-notice jp-mod-error'
              : 'jp-ExperimentChart-notice'
          }
          role={message.error ? 'alert' : 'status'}
        >
          {message.text}
        </p>
      ))}
      {leftOut.length > 0 ? (
        <details className="jp-ExperimentChart-leftOut" open>
          <summary>
            {trans._n(
              '%1 left out:',
              '%1 left out:',
              leftOut.length,
              leftOut.length
            )}
          </summary>
          <ul>
            {leftOut.map((entry, index) => (
              <li
                key={`${entry.component}-${entry.field}-${index}`}
                data-component={entry.component}
              >
                {entry.reason === 'missing'
                  ? trans.__('%1: no %2', entry.label, entry.field)
                  : trans.__(
                      '%1: %2 is %3',
                      entry.label,
                      entry.field,
                      entry.value ?? ''
                    )}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}

/**
 * Return the text of a notice.
 */
function noticeText(notice: ChartNotice, trans: TranslationBundle): string {
  switch (notice.kind) {
    case 'log-excluded':
      return trans._n(
        '%1 point with a value of 0 or less is left out of the log-scale %2 axis.',
        '%1 points with values of 0 or less are left out of the log-scale %2 axis.',
        notice.count,
        notice.axis.toUpperCase()
      );
    case 'non-finite': {
      const sentences: string[] = [];
      if (notice.nan > 0) {
        sentences.push(
          trans._n(
            '%1 NaN value is shown as a gap in its line.',
            '%1 NaN values are shown as gaps in the lines.',
            notice.nan,
            notice.nan
          )
        );
      }
      if (notice.infinite > 0 && notice.marked) {
        sentences.push(
          trans._n(
            '%1 infinite value is marked with a triangle at the top (+∞) or bottom (−∞) edge.',
            '%1 infinite values are marked with triangles at the top (+∞) or bottom (−∞) edge.',
            notice.infinite,
            notice.infinite
          )
        );
      } else if (notice.infinite > 0) {
        sentences.push(
          trans._n(
            '%1 infinite value is left out.',
            '%1 infinite values are left out.',
            notice.infinite,
            notice.infinite
          )
        );
      }
      return sentences.join(' ');
    }
    case 'incomplete':
      switch (notice.missing) {
        case 'x':
          return trans.__('Choose the X axis in Chart properties.');
        case 'y':
          return trans.__('Choose a Y axis field in Chart properties.');
        case 'metrics':
          return trans.__('Choose a metric in Chart properties.');
        default:
          return trans.__('Choose at least two axes in Chart properties.');
      }
    case 'no-data':
      return trans.__(
        'Nothing to draw: no trial component has a finite value for these fields.'
      );
  }
}
