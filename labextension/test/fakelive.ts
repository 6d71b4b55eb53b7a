/**
 * A live-update connection for unit tests: the test sends the notices.
 */

import { ISignal, Signal } from '@lumino/signaling';

import {
  IChangeNotice,
  ILiveUpdates,
  LiveConnectionState
} from '../src/tokens';

/**
 * A live-update connection whose notices the test sends.
 */
export class FakeLive implements ILiveUpdates {
  readonly changed: ISignal<ILiveUpdates, IChangeNotice[]> = new Signal(this);
  readonly reset: ISignal<ILiveUpdates, void> = new Signal(this);
  readonly connectionStateChanged: ISignal<ILiveUpdates, LiveConnectionState> =
    new Signal(this);
  readonly connectionState: LiveConnectionState = 'open';
  readonly lastChangeId = 0;
  isDisposed = false;

  send(...notices: Partial<IChangeNotice>[]): void {
    (this.changed as Signal<ILiveUpdates, IChangeNotice[]>).emit(
      notices.map((notice, index) => ({
        id: index + 1,
        resource_type: 'trial',
        name: '',
        experiment: null,
        trial: null,
        action: 'created',
        time: 0,
        ...notice
      }))
    );
  }

  dispose(): void {
    this.isDisposed = true;
  }
}
