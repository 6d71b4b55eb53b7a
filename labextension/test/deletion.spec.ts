/**
 * Unit tests of deletions from the Experiments sidebar: which entries a
 * deletion covers, what it removes and keeps, and its outcome, against an
 * in-memory REST API.
 */

import { IExperiment } from '../src/api';
import { IComponentSummary, ITrial } from '../src/api/browser';
import {
  deletableEntries,
  planDeletion,
  runDeletion
} from '../src/models/deletion';
import {
  BrowserEntry,
  IComponentEntry,
  IExperimentEntry,
  ITrialEntry
} from '../src/models/entries';
import { failure, fakeServer, IFakeRequest, page } from './fakeserver';

function experimentEntry(name: string, trials: number): IExperimentEntry {
  const record = { name, trial_count: trials } as IExperiment;
  return {
    kind: 'experiment',
    key: `experiment:${name}`,
    name,
    label: name,
    record
  };
}

function trialEntry(name: string, experiment: string): ITrialEntry {
  const record = { name, experiment } as ITrial;
  return { kind: 'trial', key: `trial:${name}`, name, label: name, record };
}

function summary(
  name: string,
  trials: string[],
  experiments: string[]
): IComponentSummary {
  return { name, trials, experiments } as IComponentSummary;
}

function componentEntry(name: string, trials: string[]): IComponentEntry {
  const record = summary(name, trials, []);
  return {
    kind: 'component',
    key: `component:${name}`,
    name,
    label: name,
    record
  };
}

describe('deletableEntries', () => {
  it('covers entries of one kind', () => {
    const entries = [experimentEntry('a', 1), experimentEntry('b', 2)];

    expect(deletableEntries(entries)).toEqual({ kind: 'experiment', entries });
  });

  it('rejects an empty selection', () => {
    expect(deletableEntries([])).toBeNull();
  });

  it('rejects mixed kinds', () => {
    const entries: BrowserEntry[] = [
      trialEntry('cnn-2', 'mnist-demo'),
      componentEntry('train-2', ['cnn-2'])
    ];

    expect(deletableEntries(entries)).toBeNull();
  });

  it('rejects the unassigned entry', () => {
    const unassigned: BrowserEntry = {
      kind: 'unassigned',
      key: 'unassigned',
      name: '',
      label: '',
      count: 2
    };

    expect(deletableEntries([unassigned])).toBeNull();
  });
});

describe('planDeletion', () => {
  // preprocessing is shared by mnist-demo and fashion-demo.
  const components = [
    summary('train-2', ['cnn-2'], ['mnist-demo']),
    summary(
      'preprocessing',
      ['cnn-2', 'baseline'],
      ['mnist-demo', 'fashion-demo']
    )
  ];
  const server = fakeServer(() => page(components));

  it('keeps components that another experiment contains', async () => {
    const target = deletableEntries([experimentEntry('mnist-demo', 2)])!;

    const plan = await planDeletion(target, server.settings);

    expect(plan.trialCount).toBe(2);
    expect(plan.deletedComponents.map(c => c.name)).toEqual(['train-2']);
    expect(plan.keptComponents.map(c => c.name)).toEqual(['preprocessing']);
  });

  it('deletes shared components when every parent goes', async () => {
    const target = deletableEntries([
      experimentEntry('mnist-demo', 2),
      experimentEntry('fashion-demo', 1)
    ])!;

    const plan = await planDeletion(target, server.settings);

    expect(plan.trialCount).toBe(3);
    expect(plan.keptComponents).toEqual([]);
    expect(plan.deletedComponents).toHaveLength(2);
  });

  it('applies the rule to trials', async () => {
    const target = deletableEntries([trialEntry('cnn-2', 'mnist-demo')])!;

    const plan = await planDeletion(target, server.settings);

    expect(plan.trialCount).toBe(0);
    expect(plan.keptComponents.map(c => c.name)).toEqual(['preprocessing']);
  });

  it('lists the trials components are removed from', async () => {
    const target = deletableEntries([
      componentEntry('preprocessing', ['cnn-2', 'baseline']),
      componentEntry('train-2', ['cnn-2'])
    ])!;

    const plan = await planDeletion(target, server.settings);

    expect(plan.trials).toEqual(['baseline', 'cnn-2']);
  });
});

describe('runDeletion', () => {
  it('reports what the server deleted and kept', async () => {
    const server = fakeServer((request: IFakeRequest) => {
      if (request.path === 'experiments/mnist-demo') {
        return {
          status: 200,
          body: {
            experiment: 'mnist-demo',
            trials: ['cnn-2'],
            trial_components: ['train-2'],
            kept_trial_components: ['preprocessing']
          }
        };
      }
      return {
        status: 200,
        body: {
          experiment: 'fashion-demo',
          trials: ['baseline'],
          trial_components: ['preprocessing'],
          kept_trial_components: []
        }
      };
    });
    const target = deletableEntries([
      experimentEntry('mnist-demo', 1),
      experimentEntry('fashion-demo', 1)
    ])!;
    const plan = await planDeletion(
      target,
      fakeServer(() => page([])).settings
    );

    const outcome = await runDeletion(plan, server.settings);

    expect(outcome.deleted).toEqual(['mnist-demo', 'fashion-demo']);
    expect(outcome.deletedTrials).toEqual(['cnn-2', 'baseline']);
    // Kept by the first deletion, deleted with the second.
    expect(outcome.keptComponents).toEqual([]);
    expect(server.requests.every(r => r.method === 'DELETE')).toBe(true);
    expect(server.requests[0].query.get('force')).toBe('true');
  });

  it('goes on after a failure and reports its message', async () => {
    const server = fakeServer(request =>
      request.path === 'trial-components/train-2'
        ? failure(409, "Trial component 'train-2' is running.")
        : { status: 204 }
    );
    const target = deletableEntries([
      componentEntry('train-2', ['cnn-2']),
      componentEntry('scratch', [])
    ])!;
    const plan = await planDeletion(target, server.settings);

    const outcome = await runDeletion(plan, server.settings);

    expect(outcome.deleted).toEqual(['scratch']);
    expect(outcome.failures).toEqual([
      { name: 'train-2', message: "Trial component 'train-2' is running." }
    ]);
  });

  it('deletes trials with their unshared components', async () => {
    const server = fakeServer(() => ({
      status: 200,
      body: {
        trial: 'cnn-2',
        trial_components: ['train-2'],
        kept_trial_components: ['preprocessing']
      }
    }));
    const target = deletableEntries([trialEntry('cnn-2', 'mnist-demo')])!;
    const plan = await planDeletion(
      target,
      fakeServer(() => page([])).settings
    );

    const outcome = await runDeletion(plan, server.settings);

    expect(server.requests[0].path).toBe('experiments/mnist-demo/trials/cnn-2');
    expect(server.requests[0].query.get('delete_components')).toBe('true');
    expect(outcome.deletedComponents).toEqual(['train-2']);
    expect(outcome.keptComponents).toEqual(['preprocessing']);
  });
});
