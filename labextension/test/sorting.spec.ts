/**
 * Unit tests of the Experiments sidebar's sort order.
 */

import { IExperiment } from '../src/api';
import { BrowserEntry } from '../src/models/entries';
import { compareEntries } from '../src/models/sorting';

function experiment(name: string, trials: number | null): BrowserEntry {
  const record = {
    name,
    display_name: name,
    description: '',
    trial_count: trials,
    created_at: '2026-01-01T00:00:00Z',
    modified_at: '2026-01-01T00:00:00Z'
  } as unknown as IExperiment;
  return {
    kind: 'experiment',
    key: `experiment:${name}`,
    name,
    label: name,
    record
  };
}

describe('compareEntries', () => {
  it('orders names with numeric collation', () => {
    const entries = [experiment('cnn-10', 1), experiment('cnn-2', 1)];

    entries.sort((a, b) =>
      compareEntries(a, b, { column: 'name', direction: 'ascending' })
    );

    expect(entries.map(entry => entry.name)).toEqual(['cnn-2', 'cnn-10']);
  });

  it('puts missing values last when descending', () => {
    const entries = [
      experiment('a', null),
      experiment('b', 3),
      experiment('c', 7)
    ];

    entries.sort((a, b) =>
      compareEntries(a, b, { column: 'trials', direction: 'descending' })
    );

    expect(entries.map(entry => entry.name)).toEqual(['c', 'b', 'a']);
  });
});
