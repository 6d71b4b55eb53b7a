/**
 * Unit tests of the Experiments sidebar's locations and status summaries.
 */

import { levelOf, statusSummary } from '../src/models/entries';

describe('levelOf', () => {
  it.each([
    [{ kind: 'home' as const }, 'home'],
    [{ kind: 'experiment' as const, experiment: 'mnist-demo' }, 'experiment'],
    [
      { kind: 'trial' as const, experiment: 'mnist-demo', trial: 'cnn-2' },
      'components'
    ],
    [{ kind: 'unassigned' as const }, 'components']
  ])('maps %o to %s', (location, level) => {
    expect(levelOf(location)).toBe(level);
  });
});

describe('statusSummary', () => {
  it('puts the most frequent status first', () => {
    expect(statusSummary({ InProgress: 1, Completed: 2 })).toBe(
      '2 Completed, 1 InProgress'
    );
  });

  it('orders equal counts by name', () => {
    expect(statusSummary({ Stopped: 1, Failed: 1 })).toBe(
      '1 Failed, 1 Stopped'
    );
  });

  it('leaves out statuses with no component', () => {
    expect(statusSummary({ Completed: 0, Failed: 3 })).toBe('3 Failed');
  });

  it('is empty for a trial without components', () => {
    expect(statusSummary({})).toBe('');
  });
});
