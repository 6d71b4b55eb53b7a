/**
 * Unit tests of the chart model and of the chart source of a trial component
 * list: which components a chart follows, which series it fetches and when
 * it fetches them again.
 */

import { Signal } from '@lumino/signaling';

import {
  IMetricPoint,
  IMetricSeriesReply,
  IMetricSummary,
  ITrialComponent
} from '../src/api/components';
import { ChartModel, IChartSource } from '../src/models/chart';
import { TableChartSource } from '../src/models/chartsource';
import { ComponentTableModel } from '../src/models/table';

function summary(count: number): IMetricSummary {
  return { min: 0, max: 1, avg: 0.5, std_dev: 0.1, last: 1, count };
}

function component(name: string, metrics: Record<string, number>) {
  const summaries: Record<string, IMetricSummary> = {};
  for (const [metric, count] of Object.entries(metrics)) {
    summaries[metric] = summary(count);
  }
  return {
    name,
    display_name: name,
    trials: [`trial-${name}`],
    parameters: { hidden_channels: name.length },
    metrics: summaries
  } as ITrialComponent;
}

/**
 * A chart source over a fixed set of rows, changed by the tests.
 */
class FakeSource implements IChartSource {
  constructor(public rows: ITrialComponent[]) {}

  readonly changed: Signal<IChartSource, void> = new Signal(this);
  selected: string[] = [];

  names(): string[] {
    return this.selected.length > 0
      ? this.selected
      : this.rows.map(row => row.name);
  }

  row(name: string): ITrialComponent | undefined {
    return this.rows.find(row => row.name === name);
  }
}

/**
 * A recording stand-in for `getMetricSeries`: a point per summary count.
 */
class SeriesServer {
  requests: { name: string; metrics: string[]; maxPoints: number }[] = [];

  constructor(private _source: FakeSource) {}

  fetch = async (
    name: string,
    metrics: readonly string[],
    maxPoints: number
  ): Promise<IMetricSeriesReply> => {
    this.requests.push({ name, metrics: [...metrics], maxPoints });
    const row = this._source.row(name);
    const series: Record<string, IMetricPoint[]> = {};
    for (const metric of metrics) {
      const count = row?.metrics?.[metric]?.count ?? 0;
      series[metric] = Array.from({ length: count }, (_, step) => ({
        step,
        timestamp: 1000 + step,
        value: step
      }));
    }
    return { trial_component: name, series };
  };
}

function setup(rows: ITrialComponent[]) {
  const source = new FakeSource(rows);
  const server = new SeriesServer(source);
  const model = new ChartModel({
    source,
    fetchSeries: server.fetch,
    fetchComponent: async name => {
      throw new Error(`Trial component '${name}' not found.`);
    }
  });
  return { source, server, model };
}

function wait(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

describe('ChartModel', () => {
  it('charts the source rows', () => {
    const { model } = setup([component('a', { loss: 2 })]);

    expect(model.components.map(c => c.name)).toEqual(['a']);
  });

  it('fetches no series for summary charts', async () => {
    const { model, server } = setup([component('a', { loss: 2 })]);

    await model.update();

    expect(server.requests).toEqual([]);
  });

  it('fetches only the metrics a component has', async () => {
    const { model, server } = setup([
      component('a', { loss: 2 }),
      component('b', { accuracy: 2 })
    ]);

    model.setOptions({ dataType: 'series', metrics: ['loss'] });
    await model.update();

    expect(server.requests.map(r => r.name)).toEqual(['a']);
    expect(model.series.a.loss).toHaveLength(2);
  });

  it('requests the downsampled resolution', async () => {
    const { model, server } = setup([component('a', { loss: 2 })]);

    model.setOptions({ dataType: 'series', metrics: ['loss'] });
    await model.update();

    expect(server.requests[0].maxPoints).toBe(ChartModel.DEFAULT_MAX_POINTS);
  });

  it('does not fetch an unchanged series again', async () => {
    const { model, server } = setup([component('a', { loss: 2 })]);
    model.setOptions({ dataType: 'series', metrics: ['loss'] });
    await model.update();

    await model.update();

    expect(server.requests).toHaveLength(1);
  });

  it('fetches a series again when its summary changes', async () => {
    const { model, server, source } = setup([component('a', { loss: 2 })]);
    model.setOptions({ dataType: 'series', metrics: ['loss'] });
    await model.update();

    source.rows = [component('a', { loss: 5 })];
    source.changed.emit();
    await wait(ChartModel.SOURCE_DEBOUNCE_MS + 50);

    expect(server.requests).toHaveLength(2);
    expect(model.series.a.loss).toHaveLength(5);
  });

  it('fetches again at another resolution', async () => {
    const { model, server } = setup([component('a', { loss: 2 })]);
    model.setOptions({ dataType: 'series', metrics: ['loss'] });
    await model.update();

    model.maxPoints = 2000;
    await model.update();
    await model.update();

    expect(server.requests.map(r => r.maxPoints)).toEqual([1000, 2000]);
  });

  it('fetches every point without downsampling', async () => {
    const { model, server } = setup([component('a', { loss: 2 })]);
    model.setOptions({ dataType: 'series', metrics: ['loss'] });
    await model.update();

    model.downsample = false;
    await model.update();

    expect(server.requests.map(r => r.maxPoints)).toEqual([1000, 0]);
  });

  it('limits the requests in flight', async () => {
    const rows = Array.from({ length: 20 }, (_, i) =>
      component(`c${i}`, { loss: 2 })
    );
    const source = new FakeSource(rows);
    const server = new SeriesServer(source);
    let inFlight = 0;
    let maxInFlight = 0;
    const model = new ChartModel({
      source,
      fetchSeries: async (name, metrics, maxPoints) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await wait(5);
        inFlight--;
        return server.fetch(name, metrics, maxPoints);
      }
    });
    model.setOptions({ dataType: 'series', metrics: ['loss'] });

    await model.update();

    expect(maxInFlight).toBe(ChartModel.MAX_CONCURRENT_REQUESTS);
    expect(server.requests).toHaveLength(20);
    expect(Object.keys(model.series)).toHaveLength(20);
  });

  it('emits the series of an update once', async () => {
    const rows = Array.from({ length: 20 }, (_, i) =>
      component(`c${i}`, { loss: 2 })
    );
    const { model } = setup(rows);
    model.setOptions({ dataType: 'series', metrics: ['loss'] });
    await model.update();
    const seen: number[] = [];
    model.changed.connect(() => seen.push(Object.keys(model.series).length));

    await model.refresh();

    expect(seen).toEqual([20, 20]);
    expect(model.status).toBe('ready');
  });

  it('emits arrived series while others load', async () => {
    const rows = ['fast', 'slow'].map(name => component(name, { loss: 2 }));
    const source = new FakeSource(rows);
    const server = new SeriesServer(source);
    const model = new ChartModel({
      source,
      progressIntervalMs: 10,
      fetchSeries: async (name, metrics, maxPoints) => {
        await wait(name === 'slow' ? 200 : 1);
        return server.fetch(name, metrics, maxPoints);
      }
    });
    model.setOptions({ dataType: 'series', metrics: ['loss'] });
    const seen: string[][] = [];
    model.changed.connect(() => seen.push(Object.keys(model.series)));

    await model.update();

    expect(seen).toContainEqual(['fast']);
    expect(seen[seen.length - 1]).toEqual(['fast', 'slow']);
  });

  it('refetches only changed series', async () => {
    const { model, server, source } = setup([
      component('a', { loss: 2 }),
      component('b', { loss: 2 }),
      component('c', { loss: 2 })
    ]);
    model.setOptions({ dataType: 'series', metrics: ['loss'] });
    await model.update();
    server.requests = [];

    source.rows = [source.rows[0], component('b', { loss: 4 }), source.rows[2]];
    source.changed.emit();
    await wait(ChartModel.SOURCE_DEBOUNCE_MS + 50);

    expect(server.requests.map(r => r.name)).toEqual(['b']);
    expect(model.series.b.loss).toHaveLength(4);
  });

  it('drops series of a replaced update', async () => {
    const source = new FakeSource([component('a', { loss: 2 })]);
    const server = new SeriesServer(source);
    const model = new ChartModel({
      source,
      fetchSeries: async (name, metrics, maxPoints) => {
        const reply = await server.fetch(name, metrics, maxPoints);
        await wait(20);
        return reply;
      }
    });
    model.setOptions({ dataType: 'series', metrics: ['loss'] });
    await model.update();
    server.requests = [];

    model.maxPoints = 2000;
    const first = model.update();
    await wait(5);
    model.maxPoints = 3000;
    await Promise.all([first, model.update()]);
    await model.update();

    expect(server.requests.map(r => r.maxPoints)).toEqual([2000, 3000]);
    expect(model.status).toBe('ready');
  });

  it('follows the source selection', async () => {
    const { model, source } = setup([
      component('a', { loss: 2 }),
      component('b', { loss: 2 })
    ]);

    source.selected = ['b'];
    source.changed.emit();
    await wait(ChartModel.SOURCE_DEBOUNCE_MS + 50);

    expect(model.components.map(c => c.name)).toEqual(['b']);
  });

  it('stores a failed fetch as an error', async () => {
    const failing = new ChartModel({
      source: new FakeSource([component('a', { loss: 2 })]),
      fetchSeries: async () => {
        throw new Error("Metric 'loss' not found on trial component 'a'.");
      }
    });

    failing.setOptions({ dataType: 'series', metrics: ['loss'] });
    await failing.update();

    expect(failing.status).toBe('error');
    expect(failing.error).toBe(
      "Metric 'loss' not found on trial component 'a'."
    );
  });

  it('lists names it cannot load', async () => {
    const { model, source } = setup([component('a', { loss: 2 })]);

    source.selected = ['gone'];
    await model.update();

    expect(model.unavailable).toEqual(['gone']);
  });

  it('builds a chart of its components', async () => {
    const { model } = setup([
      component('a', { loss: 2 }),
      component('bb', { loss: 2 })
    ]);
    model.setOptions({
      x: { kind: 'parameter', name: 'hidden_channels' },
      y: [{ kind: 'metric', name: 'loss', statistic: 'count' }]
    });

    const build = model.build({ width: 400, height: 300 });

    expect(build.rows.map(row => row.x)).toEqual([1, 2]);
  });

  it('clamps the smoothing weight', () => {
    const { model } = setup([component('a', { loss: 2 })]);

    model.setOptions({ smoothing: 5 });

    expect(model.options.smoothing).toBe(0.99);
  });

  it('emits changed on option changes', () => {
    const { model } = setup([component('a', { loss: 2 })]);
    let emitted = 0;
    model.changed.connect(() => emitted++);

    model.setOptions({ logY: true });
    model.setOptions({ logY: true });

    expect(emitted).toBe(1);
    expect(model.options.logY).toBe(true);
  });
});

describe('TableChartSource', () => {
  const rows = ['c', 'a', 'b'].map(name => component(name, { loss: 1 }));

  async function table(): Promise<ComponentTableModel> {
    const model = new ComponentTableModel({
      selection: { experiments: ['mnist'] },
      fetchPage: async () => ({ items: rows, total: 3, next_cursor: null }),
      fetchColumns: async () => ({
        parameters: [],
        metrics: [{ name: 'loss' }],
        artifacts: []
      })
    });
    await model.load();
    return model;
  }

  it('falls back to the names it was opened for', async () => {
    const model = await table();
    const source = new TableChartSource(model, ['a']);

    expect(source.names()).toEqual(['a']);
  });

  it('follows the selected rows in table order', async () => {
    const model = await table();
    const source = new TableChartSource(model, ['a']);

    await model.selectRow(2, 'replace');
    await model.selectRow(0, 'toggle');

    expect(source.names()).toEqual(['c', 'b']);
  });

  it('emits changed when the selection changes', async () => {
    const model = await table();
    const source = new TableChartSource(model, ['a']);
    let emitted = 0;
    source.changed.connect(() => emitted++);

    await model.selectRow(1, 'replace');

    expect(emitted).toBe(1);
  });

  it('returns loaded rows', async () => {
    const model = await table();
    const source = new TableChartSource(model, []);

    expect(source.row('b')?.metrics?.loss.count).toBe(1);
  });

  it('shows its names without a table', () => {
    const source = new TableChartSource(null, ['a', 'b']);

    expect(source.names()).toEqual(['a', 'b']);
    expect(source.row('a')).toBeUndefined();
  });

  it('follows a table attached later', async () => {
    const model = await table();
    const source = new TableChartSource(null, ['a']);
    let emitted = 0;
    source.changed.connect(() => emitted++);

    source.attach(model);
    await model.selectRow(2, 'replace');

    expect(source.names()).toEqual(['b']);
    expect(source.row('c')?.name).toBe('c');
    expect(emitted).toBe(2);
  });

  it('stops following the table it replaces', async () => {
    const first = await table();
    const second = await table();
    const source = new TableChartSource(first, ['a']);

    source.attach(second);
    await first.selectRow(0, 'replace');

    expect(source.names()).toEqual(['a']);
    expect(source.table).toBe(second);
  });

  it('keeps its rows after the table is closed', async () => {
    const model = await table();
    const source = new TableChartSource(model, ['a']);

    model.dispose();

    expect(source.names()).toEqual(['a']);
    expect(source.row('a')?.name).toBe('a');
  });
});
