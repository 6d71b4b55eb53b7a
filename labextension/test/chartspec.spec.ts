/**
 * Unit tests of the chart spec builder: every data type, chart type, axis,
 * color and scale option, and the awkward data a chart must draw correctly.
 */

import {
  IMetricPoint,
  IMetricSummary,
  ITrialComponent,
  MetricValue
} from '../src/api/components';
import {
  availableFields,
  buildChart,
  buildMetricChart,
  chartCsv,
  ChartType,
  ComponentSeries,
  defaultOptions,
  fieldKey,
  fieldLabel,
  IChartBuild,
  IChartOptions,
  IChartRow,
  NARROW_CHART_WIDTH,
  parseFieldKey,
  smooth,
  standaloneSpec,
  TimeAxis
} from '../src/models/chartspec';

const SIZE = { width: 600, height: 400 };
const CHANNELS = [20, 2, 32, 5, 10];

function summary(last: MetricValue, extra: Partial<IMetricSummary> = {}) {
  return {
    min: last,
    max: last,
    avg: last,
    std_dev: 0,
    last,
    count: 3,
    ...extra
  } as IMetricSummary;
}

function training(channels: number, loss: MetricValue = 1 / channels) {
  return {
    name: `training-${channels}`,
    display_name: 'Training',
    trials: [`cnn-${channels}`],
    parameters: { hidden_channels: channels, optimizer: 'sgd' },
    metrics: {
      'test:loss': summary(loss),
      'test:accuracy': summary(90 + channels / 10)
    }
  } as ITrialComponent;
}

function points(values: MetricValue[], steps?: number[]): IMetricPoint[] {
  return values.map((value, index) => ({
    step: steps ? steps[index] : index,
    timestamp: 1000 + (steps ? steps[index] : index) * 10,
    value
  }));
}

function options(patch: Partial<IChartOptions> = {}): IChartOptions {
  return {
    dataType: 'summary',
    chartType: 'line',
    x: { kind: 'parameter', name: 'hidden_channels' },
    y: [{ kind: 'metric', name: 'test:loss', statistic: 'last' }],
    timeAxis: 'step',
    metrics: ['test:loss'],
    dimensions: [
      { kind: 'parameter', name: 'hidden_channels' },
      { kind: 'metric', name: 'test:loss', statistic: 'last' }
    ],
    color: { by: 'none' },
    logX: false,
    logY: false,
    smoothing: 0,
    ...patch
  };
}

function seriesOf(
  components: ITrialComponent[],
  metric = 'test:loss'
): ComponentSeries {
  const result: Record<string, Record<string, IMetricPoint[]>> = {};
  for (const component of components) {
    result[component.name] = { [metric]: points([3, 2, 1]) };
  }
  return result;
}

/**
 * Return a spec as a plain record, to read its fields.
 */
function specOf(build: IChartBuild): Record<string, unknown> {
  expect(build.spec).not.toBeNull();
  return build.spec as unknown as Record<string, unknown>;
}

/**
 * Return the encoding of the spec's main mark (the last layer).
 */
function encodingOf(build: IChartBuild): Record<string, unknown> {
  const spec = specOf(build);
  const layers = spec.layer as Record<string, unknown>[] | undefined;
  const main = layers ? layers[layers.length - 1] : spec;
  return main.encoding as Record<string, unknown>;
}

function markOf(build: IChartBuild): Record<string, unknown> {
  const spec = specOf(build);
  const layers = spec.layer as Record<string, unknown>[] | undefined;
  const main = layers ? layers[layers.length - 1] : spec;
  return main.mark as Record<string, unknown>;
}

/**
 * Return the layers of a time series that mark infinite values.
 */
function edgeLayersOf(build: IChartBuild): {
  transform?: unknown;
  mark: Record<string, unknown>;
  encoding: Record<string, unknown>;
}[] {
  const layers = (specOf(build).layer ?? []) as {
    transform?: unknown;
    mark: Record<string, unknown>;
    encoding: Record<string, unknown>;
  }[];
  return layers.filter(layer => layer.transform !== undefined);
}

const components = CHANNELS.map(channels => training(channels));

describe('fields', () => {
  it('labels a metric statistic as metric_statistic', () => {
    expect(
      fieldLabel({ kind: 'metric', name: 'test:loss', statistic: 'last' })
    ).toBe('test:loss_last');
  });

  it('round-trips a metric key with dots', () => {
    const field = { kind: 'metric', name: 'a.b', statistic: 'max' } as const;

    expect(parseFieldKey(fieldKey(field))).toEqual(field);
  });

  it('round-trips a parameter key', () => {
    const field = { kind: 'parameter', name: 'lr' } as const;

    expect(parseFieldKey(fieldKey(field))).toEqual(field);
  });

  it('rejects an unknown statistic', () => {
    expect(parseFieldKey('metrics.loss.median')).toBeNull();
  });

  it('lists parameters and metrics sorted', () => {
    expect(availableFields(components)).toEqual({
      parameters: ['hidden_channels', 'optimizer'],
      metrics: ['test:accuracy', 'test:loss']
    });
  });

  it('defaults to the parameter that varies most', () => {
    const swept = components.map(component => ({
      ...component,
      parameters: { ...component.parameters, dropout: 0.25 }
    }));

    expect(defaultOptions(swept).x).toEqual({
      kind: 'parameter',
      name: 'hidden_channels'
    });
  });

  it('defaults to the first numeric parameter and metric', () => {
    const defaults = defaultOptions(components);

    expect(defaults.x).toEqual({ kind: 'parameter', name: 'hidden_channels' });
    expect(defaults.y).toEqual([
      { kind: 'metric', name: 'test:accuracy', statistic: 'last' }
    ]);
  });
});

describe('summary charts', () => {
  it('has one point per component ordered by x', () => {
    const build = buildChart(options(), components, {}, SIZE);

    expect(build.rows.map(row => row.x)).toEqual([2, 5, 10, 20, 32]);
    expect(build.pointCount).toBe(5);
  });

  it('plots the chosen statistic', () => {
    const build = buildChart(options(), components, {}, SIZE);

    expect(build.rows[0].y).toBeCloseTo(1 / 2);
    expect(build.rows[0].series).toBe('test:loss_last');
  });

  it('inlines the rows as data', () => {
    const build = buildChart(options(), components, {}, SIZE);

    expect((specOf(build).data as { values: IChartRow[] }).values).toBe(
      build.rows
    );
  });

  it('names component and trial in tooltips', () => {
    const build = buildChart(options(), components, {}, SIZE);
    const tooltip = encodingOf(build).tooltip as { field: string }[];

    expect(tooltip.map(entry => entry.field)).toEqual(
      expect.arrayContaining(['label', 'trial'])
    );
    expect(build.rows[0].label).toBe('Training (cnn-2)');
  });

  it('zooms and pans a quantitative x axis', () => {
    const build = buildChart(options(), components, {}, SIZE);

    expect(specOf(build).params).toEqual([
      { name: 'zoom', select: { type: 'interval' }, bind: 'scales' }
    ]);
  });

  it.each<[ChartType, string]>([
    ['line', 'line'],
    ['scatter', 'point'],
    ['bar', 'bar'],
    ['histogram', 'bar']
  ])('draws %s as a %s mark', (chartType, mark) => {
    const build = buildChart(options({ chartType }), components, {}, SIZE);

    expect(markOf(build).type).toBe(mark);
  });

  it('marks each point of a line', () => {
    const build = buildChart(options(), components, {}, SIZE);

    expect(markOf(build).point).toBeTruthy();
  });

  it('bins the y values of a histogram', () => {
    const build = buildChart(
      options({ chartType: 'histogram', x: null }),
      components,
      {},
      SIZE
    );
    const x = encodingOf(build).x as Record<string, unknown>;

    expect(x.field).toBe('y');
    expect(x.bin).toEqual({ maxbins: 20 });
    expect((encodingOf(build).y as Record<string, unknown>).aggregate).toBe(
      'count'
    );
  });

  it('groups bars of several y fields', () => {
    const build = buildChart(
      options({
        chartType: 'bar',
        y: [
          { kind: 'metric', name: 'test:loss', statistic: 'last' },
          { kind: 'metric', name: 'test:accuracy', statistic: 'max' }
        ]
      }),
      components,
      {},
      SIZE
    );

    expect(build.rows).toHaveLength(10);
    expect(encodingOf(build).xOffset).toEqual({ field: 'series' });
  });

  it('uses a nominal axis for a text parameter', () => {
    const build = buildChart(
      options({ x: { kind: 'parameter', name: 'optimizer' } }),
      components,
      {},
      SIZE
    );

    expect((encodingOf(build).x as Record<string, unknown>).type).toBe(
      'nominal'
    );
  });

  it('plots a metric statistic on x', () => {
    const build = buildChart(
      options({
        x: { kind: 'metric', name: 'test:accuracy', statistic: 'max' }
      }),
      components,
      {},
      SIZE
    );

    expect(build.rows.map(row => row.x)).toEqual([90.2, 90.5, 91, 92, 93.2]);
  });

  it('asks for an x axis', () => {
    const build = buildChart(options({ x: null }), components, {}, SIZE);

    expect(build.spec).toBeNull();
    expect(build.notices).toEqual([{ kind: 'incomplete', missing: 'x' }]);
  });

  it('asks for a y axis', () => {
    const build = buildChart(options({ y: [] }), components, {}, SIZE);

    expect(build.notices).toEqual([{ kind: 'incomplete', missing: 'y' }]);
  });
});

describe('colors', () => {
  it('colors by nothing with a single series', () => {
    const build = buildChart(options(), components, {}, SIZE);

    expect((encodingOf(build).color as Record<string, unknown>).legend).toBe(
      null
    );
  });

  it('colors by trial', () => {
    const build = buildChart(
      options({ color: { by: 'trial' } }),
      components,
      {},
      SIZE
    );

    expect((encodingOf(build).color as Record<string, unknown>).field).toBe(
      'trial'
    );
  });

  it('colors by component', () => {
    const build = buildChart(
      options({ color: { by: 'component' } }),
      components,
      {},
      SIZE
    );

    expect((encodingOf(build).color as Record<string, unknown>).field).toBe(
      'label'
    );
  });

  it('colors by a numeric parameter on a scale', () => {
    const build = buildChart(
      options({ color: { by: 'parameter', parameter: 'hidden_channels' } }),
      components,
      {},
      SIZE
    );
    const color = encodingOf(build).color as Record<string, unknown>;

    expect(color.type).toBe('quantitative');
    expect(build.rows.map(row => row.color)).toEqual([2, 5, 10, 20, 32]);
  });

  it('colors by a text parameter as categories', () => {
    const build = buildChart(
      options({ color: { by: 'parameter', parameter: 'optimizer' } }),
      components,
      {},
      SIZE
    );

    expect((encodingOf(build).color as Record<string, unknown>).type).toBe(
      'nominal'
    );
  });

  it('dashes series when color is taken', () => {
    const build = buildChart(
      options({
        color: { by: 'trial' },
        y: [
          { kind: 'metric', name: 'test:loss', statistic: 'last' },
          { kind: 'metric', name: 'test:loss', statistic: 'min' }
        ]
      }),
      components,
      {},
      SIZE
    );

    expect(encodingOf(build).strokeDash).toEqual({
      field: 'series',
      title: 'Metric'
    });
  });
});

describe('axes of a single value', () => {
  const scaleOfAxis = (build: IChartBuild, axis: 'x' | 'y') =>
    (encodingOf(build)[axis] as Record<string, unknown>).scale as Record<
      string,
      unknown
    >;

  it('widens a one-point domain around the value', () => {
    const build = buildChart(options(), [training(8, 0.25)], {}, SIZE);

    expect(scaleOfAxis(build, 'x').domain).toEqual([7, 9]);
    expect(scaleOfAxis(build, 'y').domain).toEqual([0.225, 0.275]);
  });

  it('ticks whole numbers only on an axis of integers', () => {
    const build = buildChart(options(), components, {}, SIZE);
    const axisOf = (axis: 'x' | 'y') =>
      (encodingOf(build)[axis] as Record<string, unknown>).axis;

    expect(axisOf('x')).toEqual({ tickMinStep: 1 });
    expect(axisOf('y')).toBeUndefined();
  });

  it('widens a domain of zero by one each way', () => {
    const build = buildChart(
      options(),
      [training(2, 0), training(5, 0)],
      {},
      SIZE
    );

    expect(scaleOfAxis(build, 'y').domain).toEqual([-1, 1]);
    expect(scaleOfAxis(build, 'x').domain).toBeUndefined();
  });

  it('doubles and halves a one-value log domain', () => {
    const build = buildChart(
      options({ logY: true }),
      [training(2, 4), training(5, 4)],
      {},
      SIZE
    );

    expect(scaleOfAxis(build, 'y').domain).toEqual([2, 8]);
  });

  it('leaves the domain to Vega when values differ', () => {
    const build = buildChart(options(), components, {}, SIZE);

    expect(scaleOfAxis(build, 'x').domain).toBeUndefined();
    expect(scaleOfAxis(build, 'y').domain).toBeUndefined();
  });
});

describe('log scales', () => {
  it('sets a log scale on y', () => {
    const build = buildChart(options({ logY: true }), components, {}, SIZE);

    expect((encodingOf(build).y as Record<string, unknown>).scale).toEqual({
      type: 'log',
      padding: 8
    });
  });

  it('leaves zero and negative values out with a notice', () => {
    const awkward = [training(2, 0), training(5, -1), training(10, 0.1)];
    const build = buildChart(options({ logY: true }), awkward, {}, SIZE);

    expect(build.pointCount).toBe(1);
    expect(build.notices).toEqual([
      { kind: 'log-excluded', axis: 'y', count: 2 }
    ]);
  });

  it('never draws a left-out value at 0', () => {
    const awkward = [training(2, 0), training(10, 0.1)];
    const build = buildChart(options({ logY: true }), awkward, {}, SIZE);

    expect(build.rows.map(row => row.y)).toEqual([null, 0.1]);
  });

  it('leaves step 0 out of a log x axis', () => {
    const build = buildChart(
      options({ dataType: 'series', logX: true }),
      [training(2)],
      seriesOf([training(2)]),
      SIZE
    );

    expect(build.notices).toEqual([
      { kind: 'log-excluded', axis: 'x', count: 1 }
    ]);
    expect(build.pointCount).toBe(2);
  });
});

describe('awkward summaries', () => {
  it('lists a component missing the metric', () => {
    const missing = {
      ...training(20),
      metrics: { 'test:accuracy': summary(1) }
    } as ITrialComponent;
    const build = buildChart(options(), [training(2), missing], {}, SIZE);

    expect(build.leftOut).toEqual([
      {
        component: 'training-20',
        label: 'Training (cnn-20)',
        field: 'test:loss_last',
        reason: 'missing'
      }
    ]);
    expect(build.pointCount).toBe(1);
  });

  it('lists a component missing the x parameter', () => {
    const missing = { ...training(20), parameters: {} } as ITrialComponent;
    const build = buildChart(options(), [training(2), missing], {}, SIZE);

    expect(build.leftOut[0].field).toBe('hidden_channels');
  });

  it.each<[MetricValue, string]>([
    [null, 'NaN'],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity']
  ])('leaves out a statistic of %s, never as 0', (value, text) => {
    const build = buildChart(
      options(),
      [training(2, value), training(5)],
      {},
      SIZE
    );

    expect(build.rows.map(row => row.component)).toEqual(['training-5']);
    expect(build.leftOut[0]).toMatchObject({
      reason: 'not-finite',
      value: text
    });
  });

  it('reports no data when everything is left out', () => {
    const build = buildChart(options(), [training(2, null)], {}, SIZE);

    expect(build.spec).toBeNull();
    expect(build.notices).toEqual([{ kind: 'no-data' }]);
  });

  it('draws a single component as a marker', () => {
    const build = buildChart(options(), [training(2)], {}, SIZE);

    expect(build.pointCount).toBe(1);
    expect(markOf(build).point).toBeTruthy();
  });
});

describe('time series', () => {
  const two = [training(2), training(5)];

  it('has one line per component', () => {
    const build = buildChart(
      options({ dataType: 'series' }),
      two,
      seriesOf(two),
      SIZE
    );

    expect(new Set(build.rows.map(row => row.line)).size).toBe(2);
    expect(encodingOf(build).detail).toEqual({ field: 'line' });
  });

  it('colors lines by component by default', () => {
    const build = buildChart(
      options({ dataType: 'series' }),
      two,
      seriesOf(two),
      SIZE
    );

    expect((encodingOf(build).color as Record<string, unknown>).field).toBe(
      'label'
    );
  });

  it('colors lines by metric with several metrics', () => {
    const series = {
      'training-2': {
        'test:loss': points([1, 2]),
        'test:accuracy': points([3, 4])
      }
    };
    const build = buildChart(
      options({ dataType: 'series', metrics: ['test:loss', 'test:accuracy'] }),
      [training(2)],
      series,
      SIZE
    );

    expect((encodingOf(build).color as Record<string, unknown>).field).toBe(
      'series'
    );
    expect(build.pointCount).toBe(4);
  });

  it('orders points by step when logged out of order', () => {
    const series = {
      'training-2': { 'test:loss': points([30, 10, 20], [3, 1, 2]) }
    };
    const build = buildChart(
      options({ dataType: 'series' }),
      [training(2)],
      series,
      SIZE
    );

    expect(build.rows.map(row => row.step)).toEqual([1, 2, 3]);
    expect(build.rows.map(row => row.y)).toEqual([10, 20, 30]);
  });

  it('keeps logging order within one step', () => {
    const series = {
      'training-2': { 'test:loss': points([5, 6, 1], [1, 1, 0]) }
    };
    const build = buildChart(
      options({ dataType: 'series' }),
      [training(2)],
      series,
      SIZE
    );

    expect(build.rows.map(row => row.y)).toEqual([1, 5, 6]);
  });

  it.each<[MetricValue]>([[null], ['Infinity'], ['-Infinity']])(
    'breaks the line at %s instead of drawing 0',
    value => {
      const series = {
        'training-2': { 'test:loss': points([1, value, 3]) }
      };
      const build = buildChart(
        options({ dataType: 'series' }),
        [training(2)],
        series,
        SIZE
      );

      expect(build.rows.map(row => row.y)).toEqual([1, null, 3]);
      expect(build.pointCount).toBe(2);
    }
  );

  it('keeps the recorded text of non-finite values', () => {
    const series = {
      'training-2': { 'test:loss': points([null, 'Infinity', '-Infinity']) }
    };
    const build = buildChart(
      options({ dataType: 'series' }),
      [training(2)],
      series,
      SIZE
    );

    expect(build.rows.map(row => row.value)).toEqual([
      'NaN',
      'Infinity',
      '-Infinity'
    ]);
    expect(build.notices).toContainEqual({
      kind: 'non-finite',
      nan: 1,
      infinite: 2,
      marked: true
    });
  });

  it('labels infinite points with their edge', () => {
    const series = {
      'training-2': { 'test:loss': points([1, 'Infinity', null, '-Infinity']) }
    };
    const build = buildChart(
      options({ dataType: 'series' }),
      [training(2)],
      series,
      SIZE
    );

    expect(build.rows.map(row => row.edge)).toEqual([
      undefined,
      '+∞',
      undefined,
      '−∞'
    ]);
  });

  it('marks +∞ at the top edge and −∞ at the bottom', () => {
    const series = {
      'training-2': { 'test:loss': points([1, 'Infinity', 3, '-Infinity']) }
    };
    const build = buildChart(
      options({ dataType: 'series' }),
      [training(2)],
      series,
      SIZE
    );

    const layers = edgeLayersOf(build);
    expect(layers.map(layer => layer.transform)).toEqual([
      [{ filter: { field: 'edge', equal: '+∞' } }],
      [{ filter: { field: 'edge', equal: '−∞' } }]
    ]);
    expect(layers.map(layer => layer.mark.shape)).toEqual([
      'triangle-up',
      'triangle-down'
    ]);
    expect(layers.map(layer => layer.encoding.y)).toEqual([
      { value: 0 },
      { value: 'height' }
    ]);
    expect(layers[0].mark.yOffset).toBeGreaterThan(0);
    expect(layers[1].mark.yOffset).toBeLessThan(0);
  });

  it('shows the infinity in the edge tooltip', () => {
    const series = {
      'training-2': { 'test:loss': points([1, 'Infinity']) }
    };
    const build = buildChart(
      options({ dataType: 'series' }),
      [training(2)],
      series,
      SIZE
    );

    const tooltip = edgeLayersOf(build)[0].encoding.tooltip as {
      field: string;
      title: string;
    }[];
    expect(tooltip).toContainEqual({
      field: 'edge',
      type: 'nominal',
      title: 'Value'
    });
  });

  it('places edge marks on the x axis and colors of the lines', () => {
    const series = {
      'training-2': { 'test:loss': points([1, 2, 'Infinity']) }
    };
    const build = buildChart(
      options({ dataType: 'series', logX: true }),
      [training(2)],
      series,
      SIZE
    );

    const spec = specOf(build);
    const layers = spec.layer as Record<string, Record<string, unknown>>[];
    const main = layers[layers.length - 1].encoding;
    const edge = edgeLayersOf(build)[0].encoding;
    expect(edge.x).toEqual(main.x);
    expect(edge.color).toEqual(main.color);
  });

  it('keeps the line the main layer next to edge marks', () => {
    const series = {
      'training-2': { 'test:loss': points([1, 'Infinity', 3]) }
    };
    const build = buildChart(
      options({ dataType: 'series', smoothing: 0.5 }),
      [training(2)],
      series,
      SIZE
    );

    const layers = specOf(build).layer as Record<string, unknown>[];
    expect(layers).toHaveLength(4);
    expect(markOf(build).type).toBe('line');
    expect(layers[layers.length - 1].params).toBeDefined();
  });

  it('adds no edge marks without infinite values', () => {
    const series = {
      'training-2': { 'test:loss': points([1, null, 3]) }
    };
    const build = buildChart(
      options({ dataType: 'series' }),
      [training(2)],
      series,
      SIZE
    );

    expect(specOf(build).layer).toBeUndefined();
    expect(build.notices).toContainEqual({
      kind: 'non-finite',
      nan: 1,
      infinite: 0,
      marked: true
    });
  });

  it('leaves infinite values out of histograms', () => {
    const series = {
      'training-2': { 'test:loss': points([1, 'Infinity', 3]) }
    };
    const build = buildChart(
      options({ dataType: 'series', chartType: 'histogram' }),
      [training(2)],
      series,
      SIZE
    );

    expect(specOf(build).layer).toBeUndefined();
    expect(build.notices).toContainEqual({
      kind: 'non-finite',
      nan: 0,
      infinite: 1,
      marked: false
    });
  });

  it('marks infinite values in small metric charts', () => {
    const build = buildMetricChart(
      'test:loss',
      points([1, '-Infinity', 3]),
      SIZE
    );

    const layers = edgeLayersOf(build);
    expect(layers).toHaveLength(2);
    expect(layers[1].mark.size).toBeLessThan(80);
  });

  it('marks a single point', () => {
    const series = { 'training-2': { 'test:loss': points([0.5]) } };
    const build = buildChart(
      options({ dataType: 'series' }),
      [training(2)],
      series,
      SIZE
    );

    expect(build.pointCount).toBe(1);
    expect(markOf(build).point).toBeTruthy();
  });

  it('marks a point isolated between gaps in a long series', () => {
    const values: MetricValue[] = Array.from({ length: 200 }, (_, i) => i + 1);
    values[99] = null;
    values[101] = null;
    const series = { 'training-2': { 'test:loss': points(values) } };
    const build = buildChart(
      options({ dataType: 'series' }),
      [training(2)],
      series,
      SIZE
    );

    expect(markOf(build).point).toBeTruthy();
  });

  it('draws long series without markers', () => {
    const values = Array.from({ length: 200 }, (_, i) => i + 1);
    const series = { 'training-2': { 'test:loss': points(values) } };
    const build = buildChart(
      options({ dataType: 'series' }),
      [training(2)],
      series,
      SIZE
    );

    expect(markOf(build).point).toBeUndefined();
  });

  it('lists a component missing the metric', () => {
    const build = buildChart(
      options({ dataType: 'series' }),
      two,
      { 'training-2': { 'test:loss': points([1, 2]) } },
      SIZE
    );

    expect(build.leftOut).toEqual([
      {
        component: 'training-5',
        label: 'Training (cnn-5)',
        field: 'test:loss',
        reason: 'missing'
      }
    ]);
  });

  it.each<[TimeAxis, number[], string]>([
    ['step', [0, 1, 2], 'quantitative'],
    ['wall_time', [1000000, 1010000, 1020000], 'temporal'],
    ['relative_time', [0, 10, 20], 'quantitative']
  ])('puts %s on the x axis', (timeAxis, expected, type) => {
    const build = buildChart(
      options({ dataType: 'series', timeAxis }),
      [training(2)],
      seriesOf([training(2)]),
      SIZE
    );

    expect(build.rows.map(row => row.x)).toEqual(expected);
    expect((encodingOf(build).x as Record<string, unknown>).type).toBe(type);
  });

  it('measures relative time from the first point of any metric', () => {
    const series = {
      'training-2': {
        'test:loss': [{ step: 0, timestamp: 1050, value: 1 }],
        'test:accuracy': [{ step: 0, timestamp: 1000, value: 1 }]
      }
    };
    const build = buildChart(
      options({ dataType: 'series', timeAxis: 'relative_time' }),
      [training(2)],
      series,
      SIZE
    );

    expect(build.rows[0].x).toBe(50);
  });

  it('smooths with a moving average over a faint raw line', () => {
    const series = { 'training-2': { 'test:loss': points([0, 10, 10]) } };
    const build = buildChart(
      options({ dataType: 'series', smoothing: 0.5 }),
      [training(2)],
      series,
      SIZE
    );

    expect(build.rows.map(row => row.y)).toEqual([0, 5, 7.5]);
    expect(build.rows.map(row => row.raw)).toEqual([0, 10, 10]);
    expect((specOf(build).layer as unknown[]).length).toBe(2);
  });

  it('draws series as scatter and bars', () => {
    const scatter = buildChart(
      options({ dataType: 'series', chartType: 'scatter' }),
      [training(2)],
      seriesOf([training(2)]),
      SIZE
    );
    const bar = buildChart(
      options({ dataType: 'series', chartType: 'bar' }),
      [training(2)],
      seriesOf([training(2)]),
      SIZE
    );

    expect(markOf(scatter).type).toBe('point');
    expect(markOf(bar).type).toBe('bar');
  });

  it('bins the values of a series histogram', () => {
    const build = buildChart(
      options({ dataType: 'series', chartType: 'histogram' }),
      [training(2)],
      seriesOf([training(2)]),
      SIZE
    );

    expect((encodingOf(build).x as Record<string, unknown>).bin).toEqual({
      maxbins: 30
    });
  });

  it('asks for a metric', () => {
    const build = buildChart(
      options({ dataType: 'series', metrics: [] }),
      [training(2)],
      {},
      SIZE
    );

    expect(build.notices).toEqual([{ kind: 'incomplete', missing: 'metrics' }]);
  });
});

describe('parallel coordinates', () => {
  it('scales each axis from its minimum to its maximum', () => {
    const build = buildChart(
      options({ chartType: 'parallel' }),
      [training(2), training(10), training(32)],
      {},
      SIZE
    );
    const channels = build.rows.filter(row => row.x === 'hidden_channels');

    expect(channels.map(row => row.y)).toEqual([0, 8 / 30, 1]);
    expect(channels.map(row => row.value)).toEqual(['2', '10', '32']);
  });

  it('draws one line per component', () => {
    const build = buildChart(
      options({ chartType: 'parallel' }),
      components,
      {},
      SIZE
    );

    expect(new Set(build.rows.map(row => row.line)).size).toBe(5);
    expect(build.pointCount).toBe(10);
  });

  it('keeps the axis order', () => {
    const build = buildChart(
      options({ chartType: 'parallel' }),
      components,
      {},
      SIZE
    );
    const x = encodingOf(build).x as Record<string, unknown>;

    expect(x.sort).toEqual(['hidden_channels', 'test:loss_last']);
  });

  it('leaves out a component missing a dimension', () => {
    const missing = { ...training(20), metrics: {} } as ITrialComponent;
    const build = buildChart(
      options({ chartType: 'parallel' }),
      [training(2), missing],
      {},
      SIZE
    );

    expect(build.leftOut.map(entry => entry.component)).toEqual([
      'training-20'
    ]);
  });

  it('places a constant axis mid-height', () => {
    const build = buildChart(
      options({
        chartType: 'parallel',
        dimensions: [
          { kind: 'parameter', name: 'hidden_channels' },
          { kind: 'metric', name: 'test:loss', statistic: 'count' }
        ]
      }),
      [training(2), training(5)],
      {},
      SIZE
    );

    expect(
      build.rows.filter(row => row.x !== 'hidden_channels').map(row => row.y)
    ).toEqual([0.5, 0.5]);
  });

  it('asks for two axes', () => {
    const build = buildChart(
      options({ chartType: 'parallel', dimensions: [] }),
      components,
      {},
      SIZE
    );

    expect(build.notices).toEqual([
      { kind: 'incomplete', missing: 'dimensions' }
    ]);
  });
});

describe('smooth', () => {
  it('returns the values unchanged at 0', () => {
    expect(smooth([1, 5, 2], 0)).toEqual([1, 5, 2]);
  });

  it('skips gaps', () => {
    expect(smooth([0, null, 10], 0.5)).toEqual([0, null, 5]);
  });
});

describe('exports', () => {
  it('writes CSV with non-finite values as text', () => {
    const series = { 'training-2': { 'test:loss': points([1, null]) } };
    const build = buildChart(
      options({ dataType: 'series' }),
      [training(2)],
      series,
      SIZE
    );
    const lines = chartCsv(build.rows).trim().split('\r\n');

    expect(lines[0]).toBe('component,label,trial,series,x,y,value,step,raw');
    expect(lines[2]).toBe(
      'training-2,Training (cnn-2),cnn-2,test:loss,1,,NaN,1,'
    );
  });

  it('defuses formulas in CSV text cells', () => {
    const hostile = {
      ...training(2),
      display_name: '=HYPERLINK("x")'
    } as ITrialComponent;
    const build = buildChart(options(), [hostile], {}, SIZE);

    expect(chartCsv(build.rows).split('\r\n')[1]).toContain(
      `"'=HYPERLINK(""x"") (cnn-2)"`
    );
  });

  it('adds the Vega-Lite 5 schema for standalone files', () => {
    const build = buildChart(options(), components, {}, SIZE);
    const spec = standaloneSpec(build.spec!);

    expect(spec.$schema).toBe(
      'https://vega.github.io/schema/vega-lite/v5.json'
    );
    expect((spec.data as { values: unknown[] }).values).toHaveLength(5);
  });
});

describe('buildMetricChart', () => {
  it('draws one line of the metric without zoom', () => {
    const build = buildMetricChart('loss', points([3, 2, 1]), SIZE);

    expect(build.pointCount).toBe(3);
    expect(specOf(build).params).toBeUndefined();
  });

  it('reports an empty series', () => {
    const build = buildMetricChart('loss', [], SIZE);

    expect(build.spec).toBeNull();
  });
});

describe('legend placement', () => {
  function legendOf(width: number): Record<string, unknown> {
    const build = buildChart(options(), components, {}, { width, height: 300 });
    const config = build.spec?.config as { legend: Record<string, unknown> };
    return config.legend;
  }

  it('lists entries one per line below a narrow chart', () => {
    expect(legendOf(NARROW_CHART_WIDTH - 1)).toMatchObject({
      orient: 'bottom',
      direction: 'vertical'
    });
  });

  it('puts the legend right of a wide chart', () => {
    expect(legendOf(NARROW_CHART_WIDTH + 200)).toMatchObject({
      orient: 'right'
    });
  });
});
