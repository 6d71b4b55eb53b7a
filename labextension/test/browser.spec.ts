/**
 * Unit tests of the Experiments sidebar's model: navigation, selection with
 * the mouse and the arrow keys, and live notices, against an in-memory REST
 * API.
 */

import { Signal } from '@lumino/signaling';

import {
  BrowserModel,
  FILTER_DEBOUNCE_MS,
  LIVE_COALESCE_MS
} from '../src/models/browser';
import { ILiveUpdates } from '../src/tokens';
import { FakeLive } from './fakelive';
import {
  failure,
  fakeServer,
  IFakeRequest,
  IFakeReply,
  page
} from './fakeserver';

/**
 * The records of the fake store: two experiments, three trials, three trial
 * components (one in no trial).
 */
class FakeStore {
  experiments = [
    experiment('mnist-demo', 2, 100),
    experiment('fashion-demo', 1, 200)
  ];

  trials = [
    trial('cnn-2', 'mnist-demo', 110),
    trial('cnn-10', 'mnist-demo', 120),
    trial('baseline', 'fashion-demo', 210)
  ];

  components = [
    component('train-2', ['cnn-2'], ['mnist-demo'], 111),
    component('train-10', ['cnn-10'], ['mnist-demo'], 121),
    component('scratch', [], [], 50)
  ];

  /**
   * Answer a request of the sidebar.
   */
  reply(request: IFakeRequest): IFakeReply {
    const contains = request.query.get('name_contains') ?? '';
    const named = <T extends { name: string }>(items: T[]): T[] =>
      items.filter(item => item.name.includes(contains));
    if (request.path === 'experiments') {
      return page(named(this.experiments));
    }
    const trials = /^experiments\/([^/]+)\/trials$/.exec(request.path);
    if (trials) {
      const name = decodeURIComponent(trials[1]);
      return page(named(this.trials.filter(t => t.experiment === name)));
    }
    if (request.path === 'query/trial-components') {
      const list = (key: string): string[] =>
        request.query.get(key)?.split(',') ?? [];
      const selected = this.components.filter(
        c =>
          (request.query.get('unassigned') === 'true' &&
            c.trials.length === 0) ||
          c.trials.some(t => list('trials').includes(t)) ||
          c.experiments.some(e => list('experiments').includes(e))
      );
      return page(named(selected));
    }
    return failure(404, `No route for ${request.path}`);
  }
}

function experiment(name: string, trials: number, created: number) {
  return {
    name,
    display_name: name,
    description: null,
    tags: {},
    created_at: created,
    modified_at: created,
    trial_count: trials
  };
}

function trial(name: string, experimentName: string, created: number) {
  return {
    name,
    display_name: name,
    experiment: experimentName,
    created_at: created,
    modified_at: created,
    component_count: 1,
    status_counts: { Completed: 1 },
    tags: {}
  };
}

function component(
  name: string,
  trials: string[],
  experiments: string[],
  created: number
) {
  return {
    name,
    display_name: name,
    status: 'Completed',
    status_message: null,
    created_at: created,
    modified_at: created,
    source_arn: null,
    source_type: null,
    trials,
    experiments
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

describe('BrowserModel', () => {
  let store: FakeStore;
  let server: ReturnType<typeof fakeServer>;
  let live: FakeLive;
  let model: BrowserModel;

  beforeEach(async () => {
    store = new FakeStore();
    server = fakeServer(request => store.reply(request));
    live = new FakeLive();
    model = new BrowserModel({ serverSettings: server.settings, live });
    await model.refresh();
  });

  afterEach(() => {
    model.dispose();
  });

  const keys = (): string[] => model.entries.map(entry => entry.key);

  describe('navigation', () => {
    it('lists experiments at Home, newest first', () => {
      expect(model.level).toBe('home');
      expect(keys()).toEqual([
        'unassigned',
        'experiment:fashion-demo',
        'experiment:mnist-demo'
      ]);
    });

    it('counts the unassigned trial components', () => {
      const unassigned = model.entries[0];

      expect(unassigned.kind === 'unassigned' && unassigned.count).toBe(1);
    });

    it('opens an experiment to its trials', async () => {
      const mnist = model.entries.find(e => e.name === 'mnist-demo')!;

      expect(model.open(mnist)).toBe(true);
      await sleep(0);
      await model.refresh();

      expect(model.location).toEqual({
        kind: 'experiment',
        experiment: 'mnist-demo',
        experimentLabel: 'mnist-demo'
      });
      expect(keys()).toEqual(['trial:cnn-10', 'trial:cnn-2']);
    });

    it('opens a trial to its trial components', async () => {
      await model.cd({ kind: 'experiment', experiment: 'mnist-demo' });
      const cnn2 = model.entries.find(e => e.name === 'cnn-2')!;

      model.open(cnn2);
      await model.refresh();

      expect(model.level).toBe('components');
      expect(keys()).toEqual(['component:train-2']);
    });

    it('does not open a trial component', async () => {
      await model.cd({
        kind: 'trial',
        experiment: 'mnist-demo',
        trial: 'cnn-2'
      });

      expect(model.open(model.entries[0])).toBe(false);
      expect(model.location.kind).toBe('trial');
    });

    it('goes up to the trial it came from, selected', async () => {
      await model.cd({
        kind: 'trial',
        experiment: 'mnist-demo',
        trial: 'cnn-2'
      });

      await model.up();

      expect(model.location.kind).toBe('experiment');
      expect([...model.selectedKeys]).toEqual(['trial:cnn-2']);
      expect(model.focusedKey).toBe('trial:cnn-2');
    });

    it('selects the trial it came from when a refresh overtakes', async () => {
      await model.cd({
        kind: 'trial',
        experiment: 'mnist-demo',
        trial: 'cnn-2'
      });

      // Replies arrive one by one, so the first has been dropped and the
      // second not yet applied when `up()` resumes.
      const settings = server.settings as { fetch: typeof fetch };
      const direct = settings.fetch;
      settings.fetch = async (...args) => {
        await sleep(20);
        return direct(...args);
      };

      const up = model.up();
      const refresh = model.refresh();
      await Promise.all([up, refresh]);

      expect([...model.selectedKeys]).toEqual(['trial:cnn-2']);
      expect(model.focusedKey).toBe('trial:cnn-2');
    });

    it('goes up from the unassigned components to Home', async () => {
      await model.cd({ kind: 'unassigned' });
      expect(keys()).toEqual(['component:scratch']);

      await model.up();

      expect(model.level).toBe('home');
      expect([...model.selectedKeys]).toEqual(['unassigned']);
    });

    it('stays at Home on up', async () => {
      await model.up();

      expect(model.level).toBe('home');
    });

    it('stores the server message of a failed level', async () => {
      await model.cd({ kind: 'experiment', experiment: 'gone' });
      store.reply = () => failure(404, "Experiment 'gone' not found.");

      await model.refresh();

      expect(model.status).toBe('error');
      expect(model.error).toBe("Experiment 'gone' not found.");
    });

    it('filters by name on the server after a pause', async () => {
      model.setFilter('mnist');
      expect(keys()).toHaveLength(3);

      await sleep(FILTER_DEBOUNCE_MS + 50);

      expect(server.requests.at(-1)?.query.get('name_contains')).toBe('mnist');
      expect(keys()).toEqual(['experiment:mnist-demo']);
    });

    it('is busy from a filter change until its reply', async () => {
      expect(model.busy).toBe(false);

      model.setFilter('mnist');
      expect(model.busy).toBe(true);
      await sleep(FILTER_DEBOUNCE_MS + 50);

      expect(keys()).toEqual(['experiment:mnist-demo']);
      expect(model.busy).toBe(false);
    });

    it('is busy while a level loads, then not', async () => {
      const loading = model.cd({
        kind: 'experiment',
        experiment: 'mnist-demo'
      });
      expect(model.busy).toBe(true);

      await loading;

      expect(model.busy).toBe(false);
    });

    it('is not busy after a failed level', async () => {
      store.reply = () => failure(500, 'Unexpected error.');

      await model.cd({ kind: 'experiment', experiment: 'gone' });

      expect(model.status).toBe('error');
      expect(model.busy).toBe(false);
    });

    it('applies only the reply of the latest request', async () => {
      const first = model.cd({ kind: 'experiment', experiment: 'mnist-demo' });
      const second = model.cd({
        kind: 'experiment',
        experiment: 'fashion-demo'
      });

      await Promise.all([first, second]);

      expect(keys()).toEqual(['trial:baseline']);
    });
  });

  describe('sorting', () => {
    it('sorts by a new column ascending', () => {
      model.sortBy('name');

      expect(model.sort).toEqual({ column: 'name', direction: 'ascending' });
      expect(keys()).toEqual([
        'unassigned',
        'experiment:fashion-demo',
        'experiment:mnist-demo'
      ]);
    });

    it('reverses the current column', () => {
      model.sortBy('name');
      model.sortBy('name');

      expect(model.sort.direction).toBe('descending');
      expect(keys().slice(1)).toEqual([
        'experiment:mnist-demo',
        'experiment:fashion-demo'
      ]);
    });

    it('keeps a sort per level', async () => {
      model.sortBy('name');

      await model.cd({ kind: 'experiment', experiment: 'mnist-demo' });

      expect(model.sort.column).toBe('created');
    });
  });

  describe('selection', () => {
    beforeEach(async () => {
      store.experiments.push(experiment('cifar-demo', 0, 300));
      await model.refresh();
      // unassigned, cifar-demo, fashion-demo, mnist-demo
    });

    it('replaces the selection on a click', () => {
      model.select('experiment:cifar-demo');
      model.select('experiment:mnist-demo');

      expect([...model.selectedKeys]).toEqual(['experiment:mnist-demo']);
      expect(model.focusedKey).toBe('experiment:mnist-demo');
    });

    it('toggles entries with Ctrl-click', () => {
      model.select('experiment:cifar-demo');
      model.select('experiment:mnist-demo', 'toggle');
      model.select('experiment:cifar-demo', 'toggle');

      expect([...model.selectedKeys]).toEqual(['experiment:mnist-demo']);
    });

    it('selects a range with Shift-click', () => {
      model.select('experiment:mnist-demo');
      model.select('experiment:cifar-demo', 'range');

      expect(model.selectedEntries.map(e => e.key)).toEqual([
        'experiment:cifar-demo',
        'experiment:fashion-demo',
        'experiment:mnist-demo'
      ]);
    });

    it('ranges from the last toggled entry', () => {
      model.select('unassigned');
      model.select('experiment:fashion-demo', 'toggle');
      model.select('experiment:mnist-demo', 'range');

      expect([...model.selectedKeys].sort()).toEqual([
        'experiment:fashion-demo',
        'experiment:mnist-demo'
      ]);
    });

    it('ignores an unknown key', () => {
      model.select('experiment:cifar-demo');
      model.select('experiment:nothing');

      expect([...model.selectedKeys]).toEqual(['experiment:cifar-demo']);
    });

    it('moves down and up with the arrow keys', () => {
      model.moveFocus(1);
      expect(model.focusedKey).toBe('unassigned');

      model.moveFocus(1);
      model.moveFocus(1);
      model.moveFocus(-1);

      expect(model.focusedKey).toBe('experiment:cifar-demo');
      expect([...model.selectedKeys]).toEqual(['experiment:cifar-demo']);
    });

    it('starts at the last entry on ArrowUp', () => {
      model.moveFocus(-1);

      expect(model.focusedKey).toBe('experiment:mnist-demo');
    });

    it('stops at both ends', () => {
      model.moveFocus('last');
      model.moveFocus(1);
      expect(model.focusedKey).toBe('experiment:mnist-demo');

      model.moveFocus('first');
      model.moveFocus(-1);
      expect(model.focusedKey).toBe('unassigned');
    });

    it('extends the selection with Shift+arrow', () => {
      model.select('experiment:cifar-demo');
      model.moveFocus(1, true);
      model.moveFocus(1, true);

      expect(model.selectedEntries.map(e => e.key)).toEqual([
        'experiment:cifar-demo',
        'experiment:fashion-demo',
        'experiment:mnist-demo'
      ]);
      expect(model.focusedKey).toBe('experiment:mnist-demo');
    });

    it('selects every entry', () => {
      model.selectAll();

      expect(model.selectedKeys.size).toBe(4);
    });

    it('clears the selection on another level', async () => {
      model.select('experiment:mnist-demo');

      await model.cd({ kind: 'experiment', experiment: 'mnist-demo' });

      expect(model.selectedKeys.size).toBe(0);
      expect(model.focusedKey).toBeNull();
    });
  });

  describe('live notices', () => {
    it('keeps the selection when an experiment is added', async () => {
      model.select('experiment:mnist-demo');
      model.select('experiment:fashion-demo', 'toggle');
      store.experiments.push(experiment('cifar-demo', 0, 300));

      live.send({ resource_type: 'experiment', name: 'cifar-demo' });
      await sleep(LIVE_COALESCE_MS + 50);

      expect(keys()).toContain('experiment:cifar-demo');
      expect([...model.selectedKeys].sort()).toEqual([
        'experiment:fashion-demo',
        'experiment:mnist-demo'
      ]);
      expect(model.focusedKey).toBe('experiment:fashion-demo');
    });

    it('keeps the objects of unchanged entries', async () => {
      const before = model.entries.find(e => e.name === 'mnist-demo');
      store.experiments[1] = { ...store.experiments[1], trial_count: 5 };

      live.send({ resource_type: 'experiment', name: 'fashion-demo' });
      await sleep(LIVE_COALESCE_MS + 50);

      expect(model.entries.find(e => e.name === 'mnist-demo')).toBe(before);
      const fashion = model.entries.find(e => e.name === 'fashion-demo');
      expect(fashion?.kind === 'experiment' && fashion.record.trial_count).toBe(
        5
      );
    });

    it('drops a deleted entry from the selection', async () => {
      model.select('experiment:mnist-demo');
      model.select('experiment:fashion-demo', 'toggle');
      store.experiments = store.experiments.filter(
        e => e.name !== 'fashion-demo'
      );

      live.send({
        resource_type: 'experiment',
        name: 'fashion-demo',
        action: 'deleted'
      });
      await sleep(LIVE_COALESCE_MS + 50);

      expect([...model.selectedKeys]).toEqual(['experiment:mnist-demo']);
    });

    it('moves the focus to the next entry when the focused one goes', async () => {
      model.select('experiment:fashion-demo');
      store.experiments = store.experiments.filter(
        e => e.name !== 'fashion-demo'
      );

      live.send({
        resource_type: 'experiment',
        name: 'fashion-demo',
        action: 'deleted'
      });
      await sleep(LIVE_COALESCE_MS + 50);

      expect(model.focusedKey).toBe('experiment:mnist-demo');
    });

    it('is busy while notices wait, not after ignoring them', async () => {
      let emitted = 0;
      model.changed.connect(() => emitted++);

      live.send({
        resource_type: 'trial_component',
        name: 'x',
        action: 'metrics'
      });
      expect(model.busy).toBe(true);
      await sleep(LIVE_COALESCE_MS + 50);

      expect(model.busy).toBe(false);
      // One change when the notices arrived, one when they were dropped.
      expect(emitted).toBe(2);
    });

    it('refetches once for a burst of notices', async () => {
      const before = server.requests.length;

      live.send({ resource_type: 'experiment', name: 'mnist-demo' });
      live.send({ resource_type: 'experiment', name: 'fashion-demo' });
      await sleep(LIVE_COALESCE_MS + 50);

      // One refetch of Home: the experiments and the unassigned count.
      expect(server.requests.length - before).toBe(2);
    });

    it('ignores metric notices', async () => {
      const before = server.requests.length;

      live.send({
        resource_type: 'trial_component',
        name: 'train-2',
        action: 'metrics'
      });
      await sleep(LIVE_COALESCE_MS + 50);

      expect(server.requests.length).toBe(before);
    });

    it('ignores trials of another experiment', async () => {
      await model.cd({ kind: 'experiment', experiment: 'mnist-demo' });
      const before = server.requests.length;

      live.send({ name: 'new', experiment: 'fashion-demo' });
      await sleep(LIVE_COALESCE_MS + 50);

      expect(server.requests.length).toBe(before);
    });

    it('goes Home when the experiment shown is deleted', async () => {
      await model.cd({ kind: 'experiment', experiment: 'mnist-demo' });

      live.send({
        resource_type: 'experiment',
        name: 'mnist-demo',
        action: 'deleted'
      });
      await sleep(LIVE_COALESCE_MS + 50);

      expect(model.level).toBe('home');
    });

    it('goes up when the trial shown is deleted', async () => {
      await model.cd({
        kind: 'trial',
        experiment: 'mnist-demo',
        trial: 'cnn-2'
      });

      live.send({ name: 'cnn-2', experiment: 'mnist-demo', action: 'deleted' });
      await sleep(LIVE_COALESCE_MS + 50);

      expect(model.location.kind).toBe('experiment');
    });

    it('refetches on a reset', async () => {
      store.experiments.push(experiment('cifar-demo', 0, 300));

      (live.reset as Signal<ILiveUpdates, void>).emit();
      await sleep(0);
      await sleep(0);

      expect(keys()).toContain('experiment:cifar-demo');
    });
  });
});
