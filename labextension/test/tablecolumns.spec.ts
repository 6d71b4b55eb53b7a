/**
 * Unit tests of the trial component list's columns: job setting columns and
 * server sort keys.
 */

import { IComponentColumns } from '../src/api/components';
import { buildColumns, IColumn, sortKeyOf } from '../src/models/tablecolumns';

const FOUND: IComponentColumns = {
  parameters: [{ name: 'lr', type: 'number' }],
  metrics: [{ name: 'loss' }],
  artifacts: [
    { name: 'data', kind: 'input' },
    { name: 'model', kind: 'output' }
  ],
  job_settings: [
    { name: 'host', type: 'string' },
    { name: 'exit_code', type: 'number' }
  ]
};

function columnOf(columns: IColumn[], key: string): IColumn {
  const column = columns.find(item => item.key === key);
  if (column === undefined) {
    throw new Error(`No column ${key}`);
  }
  return column;
}

describe('buildColumns', () => {
  it('lists the job settings of the columns endpoint', () => {
    const columns = buildColumns(FOUND, []);

    const jobColumns = columns.filter(
      column => column.group === 'job_settings'
    );

    expect(jobColumns.map(column => column.key)).toEqual([
      'job.exit_code',
      'job.host'
    ]);
  });

  it('adds job setting keys seen in rows once', () => {
    const columns = buildColumns(FOUND, ['host', 'status']);

    const jobColumns = columns.filter(
      column => column.group === 'job_settings'
    );

    expect(jobColumns.map(column => column.name)).toEqual([
      'exit_code',
      'host',
      'status'
    ]);
  });

  it('accepts a reply without job settings', () => {
    const older: IComponentColumns = { ...FOUND };
    delete older.job_settings;

    const columns = buildColumns(older, ['host']);

    expect(columnOf(columns, 'job.host').kind).toBe('job_setting');
  });
});

describe('sortKeyOf', () => {
  const columns = buildColumns(FOUND, []);

  it.each([
    ['trials', 'trial'],
    ['experiments', 'experiment'],
    ['duration', 'duration'],
    ['name', 'Name'],
    ['input.data', 'input_artifacts.data'],
    ['output.model', 'output_artifacts.model'],
    ['parameters.lr', 'parameters.lr'],
    ['metrics.loss', 'metrics.loss.Max']
  ])('sorts column %s by %s', (key, expected) => {
    expect(sortKeyOf(columnOf(columns, key), 'max')).toBe(expected);
  });

  it('sorts a job setting by its key', () => {
    expect(sortKeyOf(columnOf(columns, 'job.host'), 'max')).toBe(
      'job_settings.host'
    );
  });
});
