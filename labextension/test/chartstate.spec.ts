/**
 * Unit tests of the saved state of chart tabs: what a reload reads back
 * from the workspace, whatever an older version saved.
 */

import { defaultOptions } from '../src/models/chartspec';
import {
  FALLBACK_OPTIONS,
  parseChartOptions,
  parseChartState,
  parseField,
  parseSelection
} from '../src/models/chartstate';

const SAVED_OPTIONS = {
  dataType: 'series',
  chartType: 'scatter',
  x: { kind: 'parameter', name: 'hidden_channels' },
  y: [{ kind: 'metric', name: 'test:loss', statistic: 'min' }],
  timeAxis: 'relative_time',
  metrics: ['test:loss', 'test:accuracy'],
  dimensions: [{ kind: 'parameter', name: 'lr' }],
  color: { by: 'parameter', parameter: 'lr' },
  logX: true,
  logY: true,
  smoothing: 0.6
};

const SAVED_STATE = {
  id: 'c0ffee',
  number: 3,
  label: 'Chart 3: mnist',
  caption: 'Chart of 2 trial components of mnist',
  names: ['training-a', 'training-b'],
  table: { experiments: ['mnist'], trials: [], unassigned: false },
  options: SAVED_OPTIONS
};

describe('parseChartState', () => {
  it('reads a saved state back', () => {
    const state = parseChartState(JSON.parse(JSON.stringify(SAVED_STATE)));

    expect(state).toEqual(SAVED_STATE);
  });

  it('rejects a state without an id', () => {
    expect(parseChartState({ ...SAVED_STATE, id: '' })).toBeNull();
  });

  it('rejects a state without names', () => {
    expect(parseChartState({ ...SAVED_STATE, names: 'a' })).toBeNull();
  });

  it('rejects a value that is no object', () => {
    expect(parseChartState(['c0ffee'])).toBeNull();
  });

  it('reads a missing table as none', () => {
    const state = parseChartState({ ...SAVED_STATE, table: undefined });

    expect(state?.table).toBeNull();
  });

  it('uses the label as missing caption', () => {
    const state = parseChartState({ ...SAVED_STATE, caption: 7 });

    expect(state?.caption).toBe('Chart 3: mnist');
  });

  it('reads a fractional number as 0', () => {
    const state = parseChartState({ ...SAVED_STATE, number: 1.5 });

    expect(state?.number).toBe(0);
  });
});

describe('parseChartOptions', () => {
  it('reads saved options back', () => {
    expect(parseChartOptions(SAVED_OPTIONS)).toEqual(SAVED_OPTIONS);
  });

  it('round-trips the default options', () => {
    const options = defaultOptions([]);

    expect(parseChartOptions(JSON.parse(JSON.stringify(options)))).toEqual(
      options
    );
  });

  it('falls back when the value is no object', () => {
    expect(parseChartOptions(null)).toEqual(FALLBACK_OPTIONS);
  });

  it('replaces an unknown chart type', () => {
    const options = parseChartOptions({ ...SAVED_OPTIONS, chartType: 'pie' });

    expect(options.chartType).toBe('line');
    expect(options.dataType).toBe('series');
  });

  it('replaces a log scale of the wrong type', () => {
    const options = parseChartOptions({ ...SAVED_OPTIONS, logY: 'yes' });

    expect(options.logY).toBe(false);
  });

  it('clamps the smoothing weight', () => {
    expect(parseChartOptions({ smoothing: 3 }).smoothing).toBe(0.99);
    expect(parseChartOptions({ smoothing: -1 }).smoothing).toBe(0);
    expect(parseChartOptions({ smoothing: 'x' }).smoothing).toBe(0);
  });

  it('drops invalid axis fields', () => {
    const options = parseChartOptions({
      ...SAVED_OPTIONS,
      y: [{ kind: 'metric', name: 'loss' }, { kind: 'column', name: 'x' }, 4]
    });

    expect(options.y).toEqual([
      { kind: 'metric', name: 'loss', statistic: 'last' }
    ]);
  });

  it('keeps only metric names that are strings', () => {
    const options = parseChartOptions({ metrics: ['loss', 3, null] });

    expect(options.metrics).toEqual(['loss']);
  });

  it('colors by nothing without a parameter name', () => {
    const options = parseChartOptions({ color: { by: 'parameter' } });

    expect(options.color).toEqual({ by: 'none' });
  });

  it('keeps coloring by trial', () => {
    const options = parseChartOptions({ color: { by: 'trial' } });

    expect(options.color).toEqual({ by: 'trial' });
  });
});

describe('parseField', () => {
  it('drops the statistic of a parameter', () => {
    expect(
      parseField({ kind: 'parameter', name: 'lr', statistic: 'max' })
    ).toEqual({ kind: 'parameter', name: 'lr' });
  });

  it('rejects a field without a name', () => {
    expect(parseField({ kind: 'metric' })).toBeNull();
  });
});

describe('parseSelection', () => {
  it('fills missing fields', () => {
    expect(parseSelection({ trials: ['cnn-5'] })).toEqual({
      experiments: [],
      trials: ['cnn-5'],
      unassigned: false
    });
  });

  it('reads null as no selection', () => {
    expect(parseSelection(null)).toBeNull();
  });
});
