/**
 * Unit tests of the trial component list's model: the layout of a
 * selection, the statistic of each metric column, the sort cycle and "Only
 * columns that differ", with in-memory fetch functions.
 */

import { IPage } from '../src/api';
import {
  IComponentColumns,
  IComponentQuery,
  IComponentSelection,
  IMetricSummary,
  ITrialComponent
} from '../src/api/components';
import {
  ComponentTableModel,
  defaultLayout,
  normalizeSelection,
  parseLayout,
  selectionKey
} from '../src/models/table';
import { FakeLive } from './fakelive';

function summary(min: number, max: number, last: number): IMetricSummary {
  return { min, max, avg: (min + max) / 2, std_dev: 1, last, count: 3 };
}

/**
 * Three Training components with the same learning rate and different
 * optimizers and accuracies.
 */
const ROWS: ITrialComponent[] = [
  {
    name: 'train-2',
    display_name: 'Training',
    trials: ['cnn-2'],
    experiments: ['mnist-demo'],
    status: 'Completed',
    parameters: { lr: 0.01, optimizer: 'sgd' },
    metrics: { 'test:accuracy': summary(60, 75, 70) }
  },
  {
    name: 'train-10',
    display_name: 'Training',
    trials: ['cnn-10'],
    experiments: ['mnist-demo'],
    status: 'Completed',
    parameters: { lr: 0.01, optimizer: 'adam' },
    metrics: { 'test:accuracy': summary(80, 95, 88) }
  },
  {
    name: 'train-32',
    display_name: 'Training',
    trials: ['cnn-32'],
    experiments: ['mnist-demo'],
    status: 'Completed',
    parameters: { lr: 0.01, optimizer: 'sgd' },
    metrics: { 'test:accuracy': summary(85, 90, 89) }
  }
];

const COLUMNS: IComponentColumns = {
  parameters: [
    { name: 'lr', type: 'number' },
    { name: 'optimizer', type: 'string' }
  ],
  metrics: [{ name: 'test:accuracy' }],
  artifacts: []
};

/**
 * A table model over ROWS whose page requests are recorded.
 */
function tableModel(options: Partial<ComponentTableModel.IOptions> = {}) {
  const queries: IComponentQuery[] = [];
  const model = new ComponentTableModel({
    selection: { experiments: ['mnist-demo'] },
    fetchColumns: async () => COLUMNS,
    fetchPage: async (query): Promise<IPage<ITrialComponent>> => {
      queries.push(query);
      return { items: ROWS, total: ROWS.length, next_cursor: null };
    },
    ...options
  });
  return { model, queries };
}

describe('selection keys', () => {
  it('takes a single name given as a string', () => {
    const selection = {
      experiments: 'mnist-demo',
      trials: ['t1', 3]
    } as unknown as IComponentSelection;

    expect(normalizeSelection(selection)).toEqual({
      experiments: ['mnist-demo'],
      trials: ['t1'],
      unassigned: false
    });
  });

  it('ignore the order and repeats of names', () => {
    expect(selectionKey({ trials: ['b', 'a', 'a'] })).toBe(
      selectionKey({ trials: ['a', 'b'], unassigned: false })
    );
  });

  it('tell experiments from trials of the same name', () => {
    expect(selectionKey({ experiments: ['a'] })).not.toBe(
      selectionKey({ trials: ['a'] })
    );
  });

  it('fill every field of a selection', () => {
    expect(normalizeSelection({ trials: ['b', 'a'] })).toEqual({
      experiments: [],
      trials: ['a', 'b'],
      unassigned: false
    });
  });
});

describe('parseLayout', () => {
  it('returns the default layout for nothing stored', () => {
    expect(parseLayout(undefined)).toEqual(defaultLayout());
  });

  it('keeps the valid fields of a stored layout', () => {
    const layout = parseLayout({
      hiddenGroups: ['parameters', 'no-such-group'],
      widths: { name: 120, lr: -5 },
      statistics: { 'test:accuracy': 'max', 'test:loss': 'median' },
      sort: { key: 'metrics.test:accuracy', order: 'ascending' },
      onlyDiffering: true
    });

    expect(layout.hiddenGroups).toEqual(['parameters']);
    expect(layout.widths).toEqual({ name: 120 });
    expect(layout.statistics).toEqual({ 'test:accuracy': 'max' });
    expect(layout.sort).toEqual({
      key: 'metrics.test:accuracy',
      order: 'ascending'
    });
    expect(layout.onlyDiffering).toBe(true);
  });

  it('drops a sort with an unknown order', () => {
    expect(parseLayout({ sort: { key: 'name', order: 'up' } }).sort).toBeNull();
  });
});

describe('ComponentTableModel', () => {
  it('loads the columns and rows', async () => {
    const { model } = tableModel();

    await model.load();

    expect(model.status).toBe('ready');
    expect(model.rowCount).toBe(3);
    expect(model.columnTexts('parameters.optimizer')).toEqual([
      'sgd',
      'adam',
      'sgd'
    ]);
    model.dispose();
  });

  it('starts from the stored layout of its selection', async () => {
    const layout = {
      ...defaultLayout(),
      hiddenGroups: ['parameters' as const]
    };
    const { model } = tableModel({ layout });

    await model.load();

    expect(model.visibleColumns.some(c => c.group === 'parameters')).toBe(
      false
    );
    expect(model.isGroupVisible('parameters')).toBe(false);
    model.dispose();
  });

  it('reports every layout change', async () => {
    const { model } = tableModel();
    await model.load();
    const layouts: string[][] = [];
    model.layoutChanged.connect((_, layout) =>
      layouts.push(layout.hiddenColumns)
    );

    model.setColumnVisible('parameters.lr', false);

    expect(layouts).toEqual([['parameters.lr']]);
    expect(model.visibleColumns.some(c => c.key === 'parameters.lr')).toBe(
      false
    );
    model.dispose();
  });

  it('moves a column within its group at once', async () => {
    const { model } = tableModel();
    await model.load();
    const keys = (): string[] =>
      model.visibleColumns
        .filter(c => c.group === 'parameters')
        .map(c => c.key);
    const [first, second] = keys();

    model.moveColumn(second, -1);
    const once = keys();
    model.moveColumn(first, -1);

    expect(once.slice(0, 2)).toEqual([second, first]);
    expect(keys().slice(0, 2)).toEqual([first, second]);
    model.dispose();
  });

  describe('live notices', () => {
    const wait = (ms: number) =>
      new Promise(resolve => setTimeout(resolve, ms));

    it.each([
      ['its experiment is deleted', 'experiment', 'mnist-demo', 1],
      ['another experiment is deleted', 'experiment', 'cifar-demo', 0]
    ] as const)(
      'refetches when %s',
      async (_, resourceType, name, refetches) => {
        const live = new FakeLive();
        const { model, queries } = tableModel({ live });
        await model.load();
        const before = queries.length;

        live.send({ resource_type: resourceType, name, action: 'deleted' });
        await wait(ComponentTableModel.LIVE_DEBOUNCE_MS + 50);

        expect(queries.length - before).toBe(refetches);
        model.dispose();
      }
    );
  });

  describe('statistics', () => {
    it('show the default statistic of the options', async () => {
      const { model } = tableModel({ defaultStatistic: 'max' });
      await model.load();

      expect(model.columnTexts('metrics.test:accuracy')).toEqual([
        '75',
        '95',
        '90'
      ]);
      model.dispose();
    });

    it('show Last unless the options name another', async () => {
      const { model } = tableModel();
      await model.load();

      expect(model.columnTexts('metrics.test:accuracy')).toEqual([
        '70',
        '88',
        '89'
      ]);
      model.dispose();
    });

    it('change per metric column', async () => {
      const { model } = tableModel();
      await model.load();
      const column = model.columns.find(
        c => c.key === 'metrics.test:accuracy'
      )!;

      model.setStatistic('test:accuracy', 'min');

      expect(model.statisticOf(column)).toBe('min');
      expect(model.layout.statistics).toEqual({ 'test:accuracy': 'min' });
      expect(model.columnTexts('metrics.test:accuracy')).toEqual([
        '60',
        '80',
        '85'
      ]);
      model.dispose();
    });

    it('sort again by the new statistic', async () => {
      const { model, queries } = tableModel();
      await model.load();
      model.toggleSort('metrics.test:accuracy');

      model.setStatistic('test:accuracy', 'max');
      await Promise.resolve();

      expect(queries.at(-1)?.sort_by).toBe('metrics.test:accuracy.Max');
      model.dispose();
    });
  });

  describe('sort', () => {
    it('cycles descending, ascending, descending', async () => {
      const { model, queries } = tableModel();
      await model.load();
      const orders: (string | undefined)[] = [];

      for (let click = 0; click < 3; click++) {
        expect(model.toggleSort('metrics.test:accuracy')).toBe(true);
        await Promise.resolve();
        orders.push(queries.at(-1)?.sort_order);
      }

      expect(orders).toEqual(['Descending', 'Ascending', 'Descending']);
      expect(queries.at(-1)?.sort_by).toBe('metrics.test:accuracy.Last');
      model.dispose();
    });

    it('starts descending on another column', async () => {
      const { model } = tableModel();
      await model.load();
      model.toggleSort('name');
      model.toggleSort('name');

      model.toggleSort('parameters.lr');

      expect(model.sort).toEqual({ key: 'parameters.lr', order: 'descending' });
      model.dispose();
    });

    it('rejects an unknown column', async () => {
      const { model } = tableModel();
      await model.load();

      expect(model.toggleSort('no-such-column')).toBe(false);
      expect(model.sort).toBeNull();
      model.dispose();
    });

    it('requests a stored sort from the first page', async () => {
      const layout = {
        ...defaultLayout(),
        sort: { key: 'parameters.lr', order: 'ascending' as const }
      };
      const { model, queries } = tableModel({ layout });

      await model.load();

      expect(queries[0].sort_by).toBe('parameters.lr');
      expect(queries[0].sort_order).toBe('Ascending');
      model.dispose();
    });
  });

  describe('only columns that differ', () => {
    const keysOf = (model: ComponentTableModel): string[] =>
      model.visibleColumns.map(c => c.key);

    it('hides the columns equal in every loaded row', async () => {
      const { model } = tableModel();
      await model.load();

      model.setOnlyDiffering(true);

      expect(keysOf(model)).toContain('parameters.optimizer');
      expect(keysOf(model)).toContain('name');
      expect(keysOf(model)).not.toContain('parameters.lr');
      expect(keysOf(model)).not.toContain('display_name');
      expect(model.comparison).toEqual({ basis: 'loaded', rows: 3 });
      model.dispose();
    });

    it('compares the selected rows when two are selected', async () => {
      const { model } = tableModel();
      await model.load();
      model.setOnlyDiffering(true);

      await model.selectRow(0, 'replace');
      await model.selectRow(2, 'toggle');

      // train-2 and train-32 both use sgd.
      expect(keysOf(model)).not.toContain('parameters.optimizer');
      expect(keysOf(model)).toContain('metrics.test:accuracy');
      expect(model.comparison).toEqual({ basis: 'selected', rows: 2 });
      model.dispose();
    });

    it('shows every column again when turned off', async () => {
      const { model } = tableModel();
      await model.load();
      const all = keysOf(model);
      model.setOnlyDiffering(true);

      model.setOnlyDiffering(false);

      expect(keysOf(model)).toEqual(all);
      model.dispose();
    });
  });

  describe('row selection', () => {
    it('selects a range with Shift-click', async () => {
      const { model } = tableModel();
      await model.load();

      await model.selectRow(2, 'replace');
      await model.selectRow(0, 'range');

      expect([...model.selectedNames].sort()).toEqual([
        'train-10',
        'train-2',
        'train-32'
      ]);
      model.dispose();
    });

    it('exports only the selected rows', async () => {
      const { model } = tableModel();
      await model.load();
      await model.selectRow(1, 'replace');

      const query = model.exportQuery();

      expect(query.search_expression).toEqual({
        Filters: [
          { Name: 'TrialComponentName', Operator: 'In', Value: ['train-10'] }
        ]
      });
      model.dispose();
    });
  });
});
