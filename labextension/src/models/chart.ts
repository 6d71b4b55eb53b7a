/**
 * The model of a chart of trial components: its options, the components it
 * follows in a trial component list, and their metric series, free of any
 * widget.
 */

import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  getComponent,
  getMetricSeries,
  IMetricPoint,
  IMetricSeriesReply,
  IMetricSummary,
  ITrialComponent,
  MAX_SERIES_PER_REQUEST
} from '../api/components';
import {
  availableFields,
  buildChart,
  ComponentSeries,
  defaultOptions,
  DEFAULT_LABELS,
  IChartBuild,
  IChartLabels,
  IChartOptions,
  IChartSize,
  MAX_SMOOTHING
} from './chartspec';

/**
 * The trial components a chart follows, such as the rows of a trial
 * component list.
 */
export interface IChartSource {
  /**
   * A signal emitted when the selection or the rows' values change, such as
   * after a live update.
   */
  readonly changed: ISignal<IChartSource, void>;

  /**
   * Return the names of the trial components to chart, in order.
   */
  names(): string[];

  /**
   * Return a trial component with its parameters and metric summaries, or
   * undefined when the source has not loaded it.
   */
  row(name: string): ITrialComponent | undefined;
}

/**
 * The state of a chart's requests.
 */
export type ChartStatus = 'loading' | 'ready' | 'error';

/**
 * A chart of trial components.
 *
 * #### Notes
 * The model reads the components' parameters and metric summaries from its
 * source and fetches metric series only for time series. A series is fetched
 * again when the summary of its metric changes (new points, live updates),
 * and only for the metrics the component has, because the server replies
 * 404 for the others. Up to `MAX_CONCURRENT_REQUESTS` requests run at once,
 * and the series that arrive are added together: `changed` is emitted once
 * when the last one arrives, or every `PROGRESS_INTERVAL_MS` before that.
 */
export class ChartModel implements IDisposable {
  /**
   * Construct a chart of the components `source` names.
   */
  constructor(options: ChartModel.IOptions) {
    this._source = options.source;
    this._serverSettings = options.serverSettings;
    this._fetchSeries = options.fetchSeries ?? getMetricSeries;
    this._fetchComponent = options.fetchComponent ?? getComponent;
    this._maxPoints = options.maxPoints ?? ChartModel.DEFAULT_MAX_POINTS;
    this._labels = options.labels ?? DEFAULT_LABELS;
    this._maxConcurrentRequests = Math.max(
      1,
      options.maxConcurrentRequests ?? ChartModel.MAX_CONCURRENT_REQUESTS
    );
    this._progressIntervalMs =
      options.progressIntervalMs ?? ChartModel.PROGRESS_INTERVAL_MS;
    this._source.changed.connect(this._onSourceChanged, this);
    this._readSource();
    this._options = options.options ?? defaultOptions(this._components);
  }

  /**
   * A signal emitted when the options, the components or their series change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The chart properties.
   */
  get options(): IChartOptions {
    return this._options;
  }

  /**
   * The trial components charted, in the source's order.
   */
  get components(): readonly ITrialComponent[] {
    return this._components;
  }

  /**
   * The names the source asked for that could not be loaded.
   */
  get unavailable(): readonly string[] {
    return this._unavailable;
  }

  /**
   * The sorted parameter and metric names of the components charted.
   */
  get fields(): { parameters: string[]; metrics: string[] } {
    return availableFields(this._components);
  }

  /**
   * The metric points fetched, by component then metric.
   */
  get series(): ComponentSeries {
    return this._series;
  }

  /**
   * The state of the requests.
   */
  get status(): ChartStatus {
    return this._status;
  }

  /**
   * The message of the last failed request, or null.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * Points per series requested from the server, which downsamples longer
   * series; about the chart's width in pixels. Call `update()` after
   * changing it.
   */
  get maxPoints(): number {
    return this._maxPoints;
  }

  set maxPoints(value: number) {
    const points = Math.max(ChartModel.MIN_POINTS, Math.round(value));
    if (points === this._maxPoints) {
      return;
    }
    this._maxPoints = points;
    // Series fetched at another resolution are fetched again.
    this._versions.clear();
  }

  /**
   * Whether the server downsamples the series to `maxPoints`. When false,
   * every point is fetched. Call `update()` after changing it.
   *
   * #### Notes
   * The panel always downsamples. Benchmarks turn it off to measure the
   * chart with every point.
   */
  get downsample(): boolean {
    return this._downsample;
  }

  set downsample(value: boolean) {
    if (value === this._downsample) {
      return;
    }
    this._downsample = value;
    // Unlike a change of `maxPoints`, this drops the series at once. Every
    // point of 20 series takes over a second to render, and the chart would
    // draw the old ones again each time some of the new ones arrive.
    this._series = {};
    this._versions.clear();
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Change some chart properties.
   */
  setOptions(patch: Partial<IChartOptions>): void {
    const next = { ...this._options, ...patch };
    next.smoothing = Math.min(Math.max(next.smoothing, 0), MAX_SMOOTHING);
    if (JSON.stringify(next) === JSON.stringify(this._options)) {
      return;
    }
    this._options = next;
    this._changed.emit();
    void this.update();
  }

  /**
   * Build the chart at a size.
   */
  build(size: IChartSize): IChartBuild {
    return buildChart(
      this._options,
      this._components,
      this._series,
      size,
      this._labels
    );
  }

  /**
   * Read the source again and fetch the series the chart lacks.
   *
   * @returns A promise that settles when the requests finished; it never
   *   rejects, because failures are stored in `error`.
   */
  async update(): Promise<void> {
    const request = ++this._latestRequest;
    this._readSource();
    await this._fetchMissingComponents(request);
    if (!this._isCurrent(request)) {
      return;
    }

    if (!this._needsSeries()) {
      this._setStatus('ready', null);
      return;
    }
    const requested = this._requestedSeries();
    if (requested.length === 0) {
      this._setStatus('ready', null);
      return;
    }

    this._setStatus('loading', null);
    const failures: string[] = [];
    const tasks = Private.splitRequests(requested, MAX_SERIES_PER_REQUEST);
    await Private.runPool(tasks, this._maxConcurrentRequests, async task => {
      // A newer update fetches what it needs itself.
      if (!this._isCurrent(request)) {
        return;
      }
      try {
        await this._fetchSeriesChunk(request, task.name, task.metrics);
      } catch (error) {
        failures.push(Private.messageOf(error));
      }
    });
    if (!this._isCurrent(request)) {
      return;
    }

    // The last series and the status reach the view in one `changed`.
    this._applyArrived(false);
    if (failures.length > 0) {
      this._setStatus('error', failures[0]);
    } else {
      this._setStatus('ready', null);
    }
  }

  /**
   * Fetch every series again.
   */
  async refresh(): Promise<void> {
    this._versions.clear();
    this._extra.clear();
    await this.update();
  }

  /**
   * Dispose of the model and stop following its source.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.clearTimeout(this._timer);
    window.clearTimeout(this._progressTimer);
    this._source.changed.disconnect(this._onSourceChanged, this);
    Signal.clearData(this);
  }

  private _isCurrent(request: number): boolean {
    return !this._isDisposed && request === this._latestRequest;
  }

  private _readSource(): void {
    const components: ITrialComponent[] = [];
    const unavailable: string[] = [];
    for (const name of this._source.names()) {
      const row = this._source.row(name) ?? this._extra.get(name);
      if (row) {
        components.push(row);
      } else {
        unavailable.push(name);
      }
    }
    this._components = components;
    this._unavailable = unavailable;
  }

  /**
   * Fetch the components the source names but has not loaded, such as rows
   * of a page the table dropped after a re-sort.
   */
  private async _fetchMissingComponents(request: number): Promise<void> {
    const missing = this._unavailable.filter(
      name => !this._failedComponents.has(name)
    );
    if (missing.length === 0) {
      return;
    }
    await Promise.all(
      missing.map(async name => {
        try {
          this._extra.set(
            name,
            await this._fetchComponent(name, this._serverSettings)
          );
        } catch (error) {
          this._failedComponents.add(name);
          this._error = Private.messageOf(error);
        }
      })
    );
    if (this._isCurrent(request)) {
      this._readSource();
      this._changed.emit();
    }
  }

  private _needsSeries(): boolean {
    return (
      this._options.dataType === 'series' &&
      this._options.chartType !== 'parallel'
    );
  }

  /**
   * Return the metrics to fetch per component: those charted that the
   * component has and whose summary changed since the last fetch.
   */
  private _requestedSeries(): { name: string; metrics: string[] }[] {
    const requested: { name: string; metrics: string[] }[] = [];
    for (const component of this._components) {
      const summaries = component.metrics ?? {};
      const metrics = this._options.metrics.filter(metric => {
        const summary = summaries[metric];
        if (summary === undefined) {
          return false;
        }
        const key = `${component.name}\u0000${metric}`;
        return this._versions.get(key) !== Private.versionOf(summary);
      });
      if (metrics.length > 0) {
        requested.push({ name: component.name, metrics });
      }
    }
    return requested;
  }

  /**
   * Fetch some series of one component and keep them until the next
   * `_applyArrived()`, which a timer calls while the update runs.
   */
  private async _fetchSeriesChunk(
    request: number,
    name: string,
    metrics: string[]
  ): Promise<void> {
    const component = this._components.find(c => c.name === name);
    const reply = await this._fetchSeries(
      name,
      metrics,
      // The server returns every point for 0.
      this._downsample ? this._maxPoints : 0,
      this._serverSettings
    );
    if (!this._isCurrent(request)) {
      return;
    }

    for (const [metric, points] of Object.entries(reply.series)) {
      this._arrived.push({
        request,
        name,
        metric,
        points,
        version: Private.versionOf(component?.metrics?.[metric])
      });
    }
    if (this._progressTimer === 0) {
      this._progressTimer = window.setTimeout(
        () => this._applyArrived(true),
        this._progressIntervalMs
      );
    }
  }

  /**
   * Add the series fetched since the last call to the model's `series`,
   * and emit `changed` once for all of them when `emit` is true.
   */
  private _applyArrived(emit: boolean): void {
    window.clearTimeout(this._progressTimer);
    this._progressTimer = 0;
    if (this._arrived.length === 0 || this._isDisposed) {
      return;
    }

    // Series of an update that a newer one replaced, such as at another
    // resolution, are left to the newer one.
    const arrived = this._arrived.filter(
      entry => entry.request === this._latestRequest
    );
    this._arrived = [];
    if (arrived.length === 0) {
      return;
    }
    const series = { ...this._series };
    for (const { name, metric, points, version } of arrived) {
      series[name] = { ...(series[name] ?? {}), [metric]: points };
      this._versions.set(`${name}\u0000${metric}`, version);
    }
    this._series = series;
    if (emit) {
      this._changed.emit();
    }
  }

  private _onSourceChanged(): void {
    // The table emits a burst of signals per refetch: one update per burst.
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => {
      this._changed.emit();
      void this.update();
    }, ChartModel.SOURCE_DEBOUNCE_MS);
  }

  private _setStatus(status: ChartStatus, error: string | null): void {
    if (this._status === status && this._error === error) {
      return;
    }
    this._status = status;
    this._error = error;
    this._changed.emit();
  }

  private _arrived: Private.IArrivedSeries[] = [];
  private _changed = new Signal<this, void>(this);
  private _components: ITrialComponent[] = [];
  private _downsample = true;
  private _error: string | null = null;
  private _extra = new Map<string, ITrialComponent>();
  private _failedComponents = new Set<string>();
  private _fetchComponent: ChartModel.FetchComponent;
  private _fetchSeries: ChartModel.FetchSeries;
  private _isDisposed = false;
  private _labels: IChartLabels;
  private _latestRequest = 0;
  private _maxConcurrentRequests: number;
  private _maxPoints: number;
  private _options: IChartOptions;
  private _progressIntervalMs: number;
  private _progressTimer = 0;
  private _series: Record<string, Record<string, readonly IMetricPoint[]>> = {};
  private _serverSettings: ServerConnection.ISettings | undefined;
  private _source: IChartSource;
  private _status: ChartStatus = 'ready';
  private _timer = 0;
  private _unavailable: string[] = [];
  private _versions = new Map<string, string>();
}

/**
 * The namespace for `ChartModel` statics.
 */
export namespace ChartModel {
  /**
   * Points per series requested unless the chart sets its width.
   */
  export const DEFAULT_MAX_POINTS = 1000;

  /**
   * The minimum number of points per series requested; the server takes at least 3.
   */
  export const MIN_POINTS = 100;

  /**
   * Milliseconds to gather the source's signals before updating.
   */
  export const SOURCE_DEBOUNCE_MS = 100;

  /**
   * Series requests in flight at once. The endpoint takes one component per
   * request, and Chromium opens at most 6 HTTP/1.1 connections per host.
   */
  export const MAX_CONCURRENT_REQUESTS = 6;

  /**
   * Minimum milliseconds between two `changed` signals while series
   * arrive. The last series of an update emit at once, so a load shorter
   * than this renders the chart once.
   *
   * #### Notes
   * Each signal renders the chart again, which blocks the page for 60-170
   * ms with 20 downsampled series and for over a second with 200,000 points
   * in headless Chromium on 2 cores (benchmarks/bench_chart.py).
   */
  export const PROGRESS_INTERVAL_MS = 1000;

  /**
   * A function that fetches metric series, like `getMetricSeries`.
   */
  export type FetchSeries = (
    name: string,
    metrics: readonly string[],
    maxPoints: number,
    serverSettings?: ServerConnection.ISettings
  ) => Promise<IMetricSeriesReply>;

  /**
   * A function that fetches one trial component, like `getComponent`.
   */
  export type FetchComponent = (
    name: string,
    serverSettings?: ServerConnection.ISettings
  ) => Promise<ITrialComponent>;

  /**
   * The options to create a `ChartModel`.
   */
  export interface IOptions {
    /**
     * The trial components to chart.
     */
    source: IChartSource;

    /**
     * The application's server settings.
     */
    serverSettings?: ServerConnection.ISettings;

    /**
     * The first chart properties; by default built from the components.
     */
    options?: IChartOptions;

    /**
     * Points per series to request.
     */
    maxPoints?: number;

    /**
     * Translated axis and tooltip titles.
     */
    labels?: IChartLabels;

    /**
     * Series requests in flight at once; `MAX_CONCURRENT_REQUESTS` by
     * default.
     */
    maxConcurrentRequests?: number;

    /**
     * Milliseconds between two `changed` signals while series arrive;
     * `PROGRESS_INTERVAL_MS` by default.
     */
    progressIntervalMs?: number;

    /**
     * The function that fetches series; defaults to `getMetricSeries`.
     */
    fetchSeries?: FetchSeries;

    /**
     * The function that fetches a component; defaults to `getComponent`.
     */
    fetchComponent?: FetchComponent;
  }
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * A series fetched but not yet added to the model's `series`.
   */
  export interface IArrivedSeries {
    request: number;
    name: string;
    metric: string;
    points: IMetricPoint[];
    version: string;
  }

  /**
   * Split each component's metrics into requests of at most `size` metrics.
   */
  export function splitRequests(
    requested: readonly { name: string; metrics: string[] }[],
    size: number
  ): { name: string; metrics: string[] }[] {
    const tasks: { name: string; metrics: string[] }[] = [];
    for (const { name, metrics } of requested) {
      for (let start = 0; start < metrics.length; start += size) {
        tasks.push({ name, metrics: metrics.slice(start, start + size) });
      }
    }
    return tasks;
  }

  /**
   * Run `run` on every item in order, at most `limit` at once. `run` must
   * not reject.
   */
  export async function runPool<T>(
    items: readonly T[],
    limit: number,
    run: (item: T) => Promise<void>
  ): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const item = items[next++];
        await run(item);
      }
    };
    const workers = Math.min(limit, items.length);
    await Promise.all(Array.from({ length: workers }, worker));
  }

  /**
   * Return a text that changes whenever points are added to a metric.
   */
  export function versionOf(summary: IMetricSummary | undefined): string {
    if (summary === undefined) {
      return '';
    }
    return JSON.stringify([
      summary.count,
      summary.nan_count ?? null,
      summary.last_step ?? null,
      summary.last_timestamp ?? null,
      summary.last
    ]);
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
