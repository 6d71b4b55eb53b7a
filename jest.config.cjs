/**
 * Jest runs the unit tests of the Lab extension's models (labextension/test) with ts-jest.
 *
 * JupyterLab's packages ship ES modules, so they are transformed too; everything else in
 * node_modules is loaded as it is.
 */
const esModules = [
  '@jupyterlab',
  '@jupyter',
  '@lumino',
  'lib0',
  'y-protocols',
  'yjs',
  'vega',
  'vega-[a-z-]+',
  'd3-[a-z-]+',
  'internmap',
  'delaunator',
  'robust-predicates'
].join('|');

module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/labextension/test'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.[jt]sx?$': [
      'ts-jest',
      { tsconfig: '<rootDir>/tsconfig.test.json', diagnostics: { warnOnly: false } }
    ]
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esModules})/)`],
  moduleNameMapper: { '\\.(css|svg)$': '<rootDir>/labextension/test/stub.cjs' }
};
