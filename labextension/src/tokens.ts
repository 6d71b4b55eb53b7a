/**
 * The tokens that jupyter-experiments plugins provide to each other, and the
 * shapes of the live-update notices they share.
 */

import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

/**
 * The kind of store record a change notice is about.
 */
export type ChangeResourceType = 'experiment' | 'trial' | 'trial_component';

/**
 * A notice that one record of the tracking store changed, as the server's
 * `experiments/api/live` WebSocket sends it.
 *
 * #### Notes
 * The server sends only the newest `metrics` and `updated` notice per record
 * and poll, so a burst of metric batches arrives as one notice.
 */
export interface IChangeNotice {
  /**
   * The change id, increasing in the order of the changes.
   */
  id: number;

  /**
   * The kind of record that changed.
   */
  resource_type: ChangeResourceType;

  /**
   * The name of the record that changed.
   */
  name: string;

  /**
   * The experiment of the change: set on experiment notices and on trial
   * notices, null on trial component notices.
   */
  experiment: string | null;

  /**
   * The trial of the change: set on trial notices and on the `associated` and
   * `disassociated` notices of a trial component, else null.
   */
  trial: string | null;

  /**
   * What happened: `created`, `updated`, `deleted`, `metrics` (metric points
   * were logged), `associated` or `disassociated` (a trial component was added
   * to or removed from `trial`).
   */
  action: string;

  /**
   * When the change was written, in seconds since the epoch (UTC).
   */
  time: number;
}

/**
 * The state of the live-update connection.
 *
 * - `connecting`: the socket is opening, the first time or after a drop.
 * - `open`: the server accepted the socket and sends notices.
 * - `closed`: the socket is down; a reconnection is scheduled unless the
 *   object was disposed.
 */
export type LiveConnectionState = 'connecting' | 'open' | 'closed';

/**
 * One WebSocket per application that reports changes of the tracking store.
 */
export interface ILiveUpdates extends IDisposable {
  /**
   * A signal emitted with the notices of one server message batch, in order.
   */
  readonly changed: ISignal<ILiveUpdates, IChangeNotice[]>;

  /**
   * A signal emitted when the notices since the last connection could not be
   * replayed (the server pruned them, or the store was replaced). Listeners
   * should fetch everything they show again.
   */
  readonly reset: ISignal<ILiveUpdates, void>;

  /**
   * A signal emitted when `connectionState` changes.
   */
  readonly connectionStateChanged: ISignal<ILiveUpdates, LiveConnectionState>;

  /**
   * The state of the socket.
   */
  readonly connectionState: LiveConnectionState;

  /**
   * The id of the last notice received, or 0 before the first.
   */
  readonly lastChangeId: number;
}

/**
 * The token of the shared live-update connection.
 */
export const ILiveUpdates = new Token<ILiveUpdates>(
  'jupyter-experiments:ILiveUpdates',
  'One WebSocket per application that reports changes of the experiments tracking store.'
);
