/**
 * The live-update connection: one WebSocket per application to
 * `{base_url}experiments/api/live`, which reports every change of the
 * tracking store.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { API_PATH } from './api';
import { IChangeNotice, ILiveUpdates, LiveConnectionState } from './tokens';

/**
 * The first wait before a reconnection, in milliseconds.
 */
export const MIN_RECONNECT_DELAY_MS = 1000;

/**
 * The longest wait between two reconnections, in milliseconds.
 */
export const MAX_RECONNECT_DELAY_MS = 30_000;

/**
 * How long notices are collected before `changed` is emitted, in milliseconds.
 * The server sends one message per notice; a poll's notices arrive together.
 */
export const BATCH_DELAY_MS = 50;

/**
 * A WebSocket to the live-update endpoint that reconnects with exponential
 * back-off and resumes where it stopped.
 *
 * #### Notes
 * On a reconnection the socket asks for `since=<lastChangeId>`, so the server
 * replays the notices that were missed. When it cannot, it sends a reset
 * message and `reset` is emitted. The socket opens on construction.
 */
export class LiveUpdates implements ILiveUpdates {
  /**
   * Construct the connection and open the socket.
   */
  constructor(options: LiveUpdates.IOptions = {}) {
    this._serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
    this._connect();
  }

  /**
   * A signal emitted with the notices received within `BATCH_DELAY_MS`, in order.
   */
  get changed(): ISignal<this, IChangeNotice[]> {
    return this._changed;
  }

  /**
   * A signal emitted when missed notices could not be replayed; listeners
   * fetch everything they show again.
   */
  get reset(): ISignal<this, void> {
    return this._reset;
  }

  /**
   * A signal emitted when `connectionState` changes.
   */
  get connectionStateChanged(): ISignal<this, LiveConnectionState> {
    return this._connectionStateChanged;
  }

  /**
   * The state of the socket.
   */
  get connectionState(): LiveConnectionState {
    return this._connectionState;
  }

  /**
   * The id of the last notice received, or 0 before the first.
   */
  get lastChangeId(): number {
    return this._lastChangeId;
  }

  /**
   * Whether the connection has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Close the socket for good and disconnect every listener.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    clearTimeout(this._reconnectTimer);
    clearTimeout(this._batchTimer);
    if (this._socket) {
      this._socket.onclose = null;
      this._socket.close();
      this._socket = null;
    }
    Signal.clearData(this);
  }

  private _connect(): void {
    if (this._isDisposed) {
      return;
    }
    this._setConnectionState('connecting');

    const query: Record<string, string> = {};
    if (this._lastChangeId > 0) {
      query.since = String(this._lastChangeId);
    }
    // As JupyterLab's own sockets: the token goes into the URL only when the
    // server is on another host, where the page's cookie is not sent.
    const settings = this._serverSettings;
    if (settings.appendToken && settings.token) {
      query.token = settings.token;
    }
    const url =
      URLExt.join(settings.wsUrl, API_PATH, 'live') +
      URLExt.objectToQueryString(query);

    const socket = new settings.WebSocket(url);
    this._socket = socket;
    this._resumed = this._lastChangeId > 0;
    socket.onmessage = event => this._onMessage(event);
    socket.onclose = () => this._onClose(socket);
  }

  private _onMessage(event: MessageEvent): void {
    let message: Private.IMessage;
    try {
      message = JSON.parse(String(event.data)) as Private.IMessage;
    } catch {
      // A message that is not JSON is not from this API; the feed ignores it.
      return;
    }

    switch (message.type) {
      case 'hello':
        this._onHello(message);
        break;
      case 'change':
        this._lastChangeId = Math.max(this._lastChangeId, message.id);
        this._pending.push(Private.noticeOf(message));
        this._scheduleBatch();
        break;
      case 'reset':
        this._lastChangeId = message.id;
        this._flushBatch();
        this._reset.emit();
        break;
    }
  }

  private _onHello(message: Private.IHelloMessage): void {
    this._reconnectDelay = MIN_RECONNECT_DELAY_MS;
    this._setConnectionState('open');
    if (this._resumed) {
      // The server replays the missed notices after this message.
      return;
    }
    this._lastChangeId = message.id;
    if (this._hasBeenOpen) {
      // Without a change id to resume from, what changed while the socket was
      // down is unknown.
      this._reset.emit();
    }
    this._hasBeenOpen = true;
  }

  private _onClose(socket: WebSocket): void {
    if (socket !== this._socket || this._isDisposed) {
      return;
    }
    this._socket = null;
    this._setConnectionState('closed');

    // Jitter keeps many tabs from reconnecting at the same moment after a
    // server restart.
    const delay = this._reconnectDelay * (0.75 + Math.random() * 0.5);
    this._reconnectDelay = Math.min(
      this._reconnectDelay * 2,
      MAX_RECONNECT_DELAY_MS
    );
    this._reconnectTimer = setTimeout(() => this._connect(), delay);
  }

  private _scheduleBatch(): void {
    if (this._batchTimer === undefined) {
      this._batchTimer = setTimeout(() => this._flushBatch(), BATCH_DELAY_MS);
    }
  }

  private _flushBatch(): void {
    clearTimeout(this._batchTimer);
    this._batchTimer = undefined;
    if (this._pending.length === 0) {
      return;
    }
    const notices = this._pending;
    this._pending = [];
    this._changed.emit(notices);
  }

  private _setConnectionState(state: LiveConnectionState): void {
    if (state === this._connectionState) {
      return;
    }
    this._connectionState = state;
    this._connectionStateChanged.emit(state);
  }

  private _batchTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _changed = new Signal<this, IChangeNotice[]>(this);
  private _connectionState: LiveConnectionState = 'closed';
  private _connectionStateChanged = new Signal<this, LiveConnectionState>(this);
  private _hasBeenOpen = false;
  private _isDisposed = false;
  private _lastChangeId = 0;
  private _pending: IChangeNotice[] = [];
  private _reconnectDelay = MIN_RECONNECT_DELAY_MS;
  private _reconnectTimer: ReturnType<typeof setTimeout> | undefined =
    undefined;
  private _reset = new Signal<this, void>(this);
  private _resumed = false;
  private _serverSettings: ServerConnection.ISettings;
  private _socket: WebSocket | null = null;
}

/**
 * The namespace for `LiveUpdates` statics.
 */
export namespace LiveUpdates {
  /**
   * The options to create a `LiveUpdates` connection.
   */
  export interface IOptions {
    /**
     * The application's server settings; defaults to `ServerConnection.makeSettings()`.
     */
    serverSettings?: ServerConnection.ISettings;
  }
}

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * The first message of a connection.
   */
  export interface IHelloMessage {
    type: 'hello';
    id: number;
    interval: number;
  }

  /**
   * A change notice as it arrives, with its `type`.
   */
  export interface IChangeMessage extends IChangeNotice {
    type: 'change';
  }

  /**
   * The message sent when the missed changes cannot be replayed.
   */
  export interface IResetMessage {
    type: 'reset';
    id: number;
    message: string;
  }

  /**
   * A message of the live-update socket.
   */
  export type IMessage = IHelloMessage | IChangeMessage | IResetMessage;

  /**
   * Return the notice of a change message, without its `type`.
   */
  export function noticeOf(message: IChangeMessage): IChangeNotice {
    return {
      id: message.id,
      resource_type: message.resource_type,
      name: message.name,
      experiment: message.experiment,
      trial: message.trial,
      action: message.action,
      time: message.time
    };
  }
}
