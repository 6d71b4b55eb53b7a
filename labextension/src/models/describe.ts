/**
 * The model of the describe view of one trial component: its record, the
 * other stages of its trial, its trial mappings, its metric series and the
 * tail of its job log; and where an artifact value points.
 */

import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { requestAPI } from '../api';
import {
  getComponent,
  getLogTail,
  getMetricSeries,
  ILogTail,
  IMetricPoint,
  ITrialComponent,
  MAX_SERIES_PER_REQUEST,
  queryComponents
} from '../api/components';
import { IChangeNotice, ILiveUpdates } from '../tokens';

/**
 * Another trial component of the same trial, such as a preprocessing step.
 */
export interface ITrialStage {
  /**
   * The trial component's name.
   */
  name: string;

  /**
   * The name shown on its button.
   */
  display_name: string;

  /**
   * Its status, or null.
   */
  status: string | null;
}

/**
 * A trial that contains the trial component, with the trial's experiment.
 */
export interface ITrialMapping {
  /**
   * The trial's name.
   */
  trial: string;

  /**
   * The name of the trial's experiment.
   */
  experiment: string;
}

/**
 * Where an artifact value points, as the describe view shows it.
 *
 * - `inside`: a local file or folder below the Jupyter server root; `path` is
 *   relative to the root, as the file browser takes it (empty for the root).
 * - `outside`: a local file or folder outside the server root; `path` is the
 *   absolute path.
 * - `other`: anything else, such as an `s3://` or `https://` URI or free text.
 */
export type ArtifactLocation =
  | { kind: 'inside'; path: string }
  | { kind: 'outside'; path: string }
  | { kind: 'other' };

/**
 * Return where an artifact value points, relative to the Jupyter server root.
 *
 * @param value - The artifact value: a `file://` URI, an absolute path or
 *   anything else.
 * @param serverRoot - The absolute path of the server root, as the page
 *   option `serverRoot` gives it.
 *
 * #### Notes
 * A `file://` URI with a host other than `localhost` is not local. Paths are
 * compared as text after `.` and `..` are resolved, so a symbolic link that
 * leads into the root from outside counts as outside.
 */
export function artifactLocation(
  value: string,
  serverRoot: string
): ArtifactLocation {
  const path = Private.localPath(value);
  const root = Private.localPath(serverRoot);
  if (path === null) {
    return { kind: 'other' };
  }
  if (root !== null) {
    if (path === root) {
      return { kind: 'inside', path: '' };
    }
    const prefix = root.endsWith('/') ? root : `${root}/`;
    if (path.startsWith(prefix)) {
      return { kind: 'inside', path: path.slice(prefix.length) };
    }
  }
  return { kind: 'outside', path };
}

/**
 * The state of the describe view's requests.
 */
export type DescribeStatus = 'loading' | 'ready' | 'error';

/**
 * One trial component with everything the describe view shows.
 *
 * #### Notes
 * While the component is `InProgress` the model fetches it, its series and
 * its log again every `refreshIntervalMs`. Live notices about it trigger a
 * refresh at once.
 */
export class DescribeModel implements IDisposable {
  /**
   * Construct the model of `options.name`; call `refresh()` to fetch it.
   */
  constructor(options: DescribeModel.IOptions) {
    this._name = options.name;
    this._serverSettings = options.serverSettings;
    this._logLines = options.logLines ?? DescribeModel.DEFAULT_LOG_LINES;
    this._refreshIntervalMs =
      options.refreshIntervalMs ?? DescribeModel.DEFAULT_REFRESH_INTERVAL_MS;
    this._live = options.live ?? null;
    if (this._live) {
      this._live.changed.connect(this._onLiveChanged, this);
      this._live.reset.connect(this._onLiveReset, this);
    }
  }

  /**
   * A signal emitted when anything the view shows changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The name of the trial component shown.
   */
  get name(): string {
    return this._name;
  }

  /**
   * The trial component, or null until it arrived.
   */
  get component(): ITrialComponent | null {
    return this._component;
  }

  /**
   * The trial whose stages are shown: the component's first trial, or null.
   */
  get trial(): string | null {
    return this._component?.trials?.[0] ?? null;
  }

  /**
   * The trial components of `trial`, oldest first, this one included.
   */
  get stages(): readonly ITrialStage[] {
    return this._stages;
  }

  /**
   * The trials that contain the component, each with its experiment, in the
   * order of the component's `trials`.
   */
  get mappings(): readonly ITrialMapping[] {
    return this._mappings;
  }

  /**
   * The points of each metric, ordered by step, downsampled to about
   * `DescribeModel.SERIES_POINTS` points.
   */
  get series(): Readonly<Record<string, IMetricPoint[]>> {
    return this._series;
  }

  /**
   * The tail of the job log, or null when there is none or it failed.
   */
  get log(): ILogTail | null {
    return this._log;
  }

  /**
   * Why the log is missing: the server's message, or null.
   */
  get logError(): string | null {
    return this._logError;
  }

  /**
   * Whether the component records a job log (an output artifact `log`).
   */
  get hasLog(): boolean {
    return this._component?.output_artifacts?.log !== undefined;
  }

  /**
   * The state of the requests.
   */
  get status(): DescribeStatus {
    return this._status;
  }

  /**
   * The message of the last failed request, or null.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * Whether the component's work is running, so the view refreshes itself.
   */
  get isRunning(): boolean {
    const status = this._component?.status;
    return status === 'InProgress' || status === 'Stopping';
  }

  /**
   * Whether the component is a local job that `stop()` can stop: its source
   * type is `local-job` and its status `InProgress`.
   */
  get canStop(): boolean {
    const component = this._component;
    return (
      component?.source_type === DescribeModel.LOCAL_JOB_SOURCE &&
      component.status === 'InProgress'
    );
  }

  /**
   * Whether a stop request is in flight.
   */
  get isStopping(): boolean {
    return this._isStopping;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Show another trial component, such as another stage of the trial.
   */
  async setName(name: string): Promise<void> {
    if (name === this._name) {
      return;
    }
    this._name = name;
    this._component = null;
    this._mappings = [];
    this._mappingsKey = '';
    this._series = {};
    this._log = null;
    this._logError = null;
    this._status = 'loading';
    this._changed.emit();
    await this.refresh();
  }

  /**
   * Fetch the component, its trial's stages, its series and its log.
   *
   * @returns A promise that settles when everything arrived or failed; it
   *   never rejects, because failures are stored in `error`.
   */
  async refresh(): Promise<void> {
    const request = ++this._latestRequest;
    const name = this._name;
    window.clearTimeout(this._timer);

    let component: ITrialComponent;
    try {
      component = await getComponent(name, this._serverSettings);
    } catch (error) {
      if (this._isCurrent(request)) {
        if (Private.isNotFound(error)) {
          // The component was deleted: what was shown of it is gone too.
          this._component = null;
          this._mappings = [];
          this._mappingsKey = '';
          this._series = {};
          this._log = null;
        }
        this._status = 'error';
        this._error = Private.messageOf(error);
        this._changed.emit();
      }
      return;
    }
    if (!this._isCurrent(request)) {
      return;
    }
    this._component = component;
    this._status = 'ready';
    this._error = null;
    this._updateMappings();
    this._changed.emit();

    await Promise.all([
      this._fetchStages(request),
      this._fetchSeries(request),
      this._fetchLog(request)
    ]);
    if (this._isCurrent(request) && this.isRunning) {
      this._timer = window.setTimeout(
        () => void this.refresh(),
        this._refreshIntervalMs
      );
    }
  }

  /**
   * Ask the server to stop the component's local job, then fetch it again.
   *
   * @returns A promise that resolves once the server accepted the request;
   *   the status becomes `Stopping`, then `Stopped` when the job has ended.
   * @throws The server's error, such as 409 when the job is not running; the
   *   caller shows its message.
   */
  async stop(): Promise<void> {
    if (this._isStopping) {
      return;
    }
    const name = this._name;
    this._isStopping = true;
    this._changed.emit();
    try {
      const component = await requestAPI<ITrialComponent | undefined>(
        `trial-components/${encodeURIComponent(name)}/stop`,
        { method: 'POST' },
        this._serverSettings
      );
      if (component && name === this._name && !this._isDisposed) {
        this._component = component;
      }
    } finally {
      this._isStopping = false;
      if (!this._isDisposed) {
        this._changed.emit();
        // The reply shows `Stopping`; polling reports `Stopped` once the
        // job's monitor has recorded it. After a refusal the status shown may
        // be stale, which is why the server refused.
        void this.refresh();
      }
    }
  }

  /**
   * Dispose of the model, its timer and its live-update listener.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.clearTimeout(this._timer);
    window.clearTimeout(this._liveTimer);
    Signal.clearData(this);
  }

  private _isCurrent(request: number): boolean {
    return !this._isDisposed && request === this._latestRequest;
  }

  private async _fetchStages(request: number): Promise<void> {
    const trial = this.trial;
    if (trial === null) {
      this._stages = [];
      return;
    }
    try {
      const page = await queryComponents(
        {
          trials: [trial],
          sort_by: 'CreationTime',
          sort_order: 'Ascending',
          limit: DescribeModel.MAX_STAGES,
          columns: ['display_name', 'status']
        },
        this._serverSettings
      );
      if (!this._isCurrent(request)) {
        return;
      }
      this._stages = page.items.map(item => ({
        name: item.name,
        display_name: item.display_name || item.name,
        status: item.status ?? null
      }));
      this._changed.emit();
    } catch {
      // The stages are a convenience: the component itself is shown anyway.
      if (this._isCurrent(request)) {
        this._stages = [];
        this._changed.emit();
      }
    }
  }

  private _updateMappings(): void {
    const mappings = this._component?.trial_mappings ?? [];
    const key = JSON.stringify(mappings);
    if (key === this._mappingsKey) {
      return;
    }
    this._mappings = mappings.map(({ trial, experiment }) => ({
      trial,
      experiment
    }));
    this._mappingsKey = key;
  }

  private async _fetchSeries(request: number): Promise<void> {
    const metrics = Object.keys(this._component?.metrics ?? {}).sort();
    const series: Record<string, IMetricPoint[]> = {};
    try {
      for (
        let start = 0;
        start < metrics.length;
        start += MAX_SERIES_PER_REQUEST
      ) {
        const reply = await getMetricSeries(
          this._name,
          metrics.slice(start, start + MAX_SERIES_PER_REQUEST),
          DescribeModel.SERIES_POINTS,
          this._serverSettings
        );
        Object.assign(series, reply.series);
      }
    } catch (error) {
      if (this._isCurrent(request)) {
        this._error = Private.messageOf(error);
        this._changed.emit();
      }
      return;
    }
    if (this._isCurrent(request)) {
      this._series = series;
      this._changed.emit();
    }
  }

  private async _fetchLog(request: number): Promise<void> {
    if (!this.hasLog) {
      this._log = null;
      this._logError = null;
      return;
    }
    try {
      const log = await getLogTail(
        this._name,
        this._logLines,
        this._serverSettings
      );
      if (this._isCurrent(request)) {
        this._log = log;
        this._logError = null;
        this._changed.emit();
      }
    } catch (error) {
      if (this._isCurrent(request)) {
        this._log = null;
        this._logError = Private.messageOf(error);
        this._changed.emit();
      }
    }
  }

  private _onLiveChanged(
    _sender: ILiveUpdates,
    notices: IChangeNotice[]
  ): void {
    const stageNames = new Set(this._stages.map(stage => stage.name));
    const relevant = notices.some(
      notice =>
        notice.resource_type === 'trial_component' &&
        (notice.name === this._name ||
          stageNames.has(notice.name) ||
          (notice.trial !== null && notice.trial === this.trial))
    );
    if (relevant) {
      window.clearTimeout(this._liveTimer);
      this._liveTimer = window.setTimeout(
        () => void this.refresh(),
        DescribeModel.LIVE_DEBOUNCE_MS
      );
    }
  }

  private _onLiveReset(): void {
    void this.refresh();
  }

  private _changed = new Signal<this, void>(this);
  private _component: ITrialComponent | null = null;
  private _error: string | null = null;
  private _isDisposed = false;
  private _isStopping = false;
  private _latestRequest = 0;
  private _live: ILiveUpdates | null;
  private _liveTimer = 0;
  private _log: ILogTail | null = null;
  private _logError: string | null = null;
  private _logLines: number;
  private _mappings: ITrialMapping[] = [];
  private _mappingsKey = '';
  private _name: string;
  private _refreshIntervalMs: number;
  private _series: Record<string, IMetricPoint[]> = {};
  private _serverSettings: ServerConnection.ISettings | undefined;
  private _stages: ITrialStage[] = [];
  private _status: DescribeStatus = 'loading';
  private _timer = 0;
}

/**
 * The namespace for `DescribeModel` statics.
 */
export namespace DescribeModel {
  /**
   * Lines of the job log fetched unless the options set another number.
   */
  export const DEFAULT_LOG_LINES = 200;

  /**
   * Milliseconds between refreshes of a running component by default.
   */
  export const DEFAULT_REFRESH_INTERVAL_MS = 2000;

  /**
   * The `source_type` of the trial components of local jobs, which `stop()`
   * can stop.
   */
  export const LOCAL_JOB_SOURCE = 'local-job';

  /**
   * Milliseconds to gather live notices before refreshing.
   */
  export const LIVE_DEBOUNCE_MS = 300;

  /**
   * Points per metric series; longer series are downsampled by the server,
   * which keeps each bucket's first, minimum and maximum points.
   */
  export const SERIES_POINTS = 1000;

  /**
   * The maximum number of stages of a trial shown as buttons.
   */
  export const MAX_STAGES = 50;

  /**
   * The options to create a `DescribeModel`.
   */
  export interface IOptions {
    /**
     * The trial component's name.
     */
    name: string;

    /**
     * The application's server settings.
     */
    serverSettings?: ServerConnection.ISettings;

    /**
     * Lines of the job log to fetch, 1 to 10,000.
     */
    logLines?: number;

    /**
     * Milliseconds between refreshes while the component is running.
     */
    refreshIntervalMs?: number;

    /**
     * The live-update connection, or null.
     */
    live?: ILiveUpdates | null;
  }
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * Return whether a request failed because the server has no such record.
   */
  export function isNotFound(error: unknown): boolean {
    return (
      error instanceof ServerConnection.ResponseError &&
      error.response.status === 404
    );
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

  /**
   * Return a local absolute path with `/` separators and `.` and `..`
   * resolved, or null when `value` is neither a local `file://` URI nor an
   * absolute path.
   */
  export function localPath(value: string): string | null {
    let path: string;
    if (/^file:/i.test(value)) {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return null;
      }
      if (url.hostname !== '' && url.hostname !== 'localhost') {
        return null;
      }
      try {
        path = decodeURIComponent(url.pathname);
      } catch {
        return null;
      }
      // file:///C:/data has the path /C:/data.
      if (/^\/[A-Za-z]:\//.test(path)) {
        path = path.slice(1);
      }
    } else if (value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value)) {
      path = value.replace(/\\/g, '/');
    } else {
      return null;
    }
    return normalize(path);
  }

  /**
   * Resolve the `.` and `..` segments and repeated `/` of an absolute path.
   */
  function normalize(path: string): string {
    const [first, ...rest] = path.split('/');
    const segments: string[] = [];
    for (const segment of rest) {
      if (segment === '..') {
        segments.pop();
      } else if (segment !== '' && segment !== '.') {
        segments.push(segment);
      }
    }
    // `first` is '' for a POSIX path and the drive, such as `C:`, on Windows.
    return `${first}/${segments.join('/')}`;
  }
}
