// Two projects: fast unit tests (test/, next to fixtures) and end-to-end suites (suites/)
// that drive a real engine. swc only strips types; `tsc --noEmit` does the type check.
const shared = {
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } },
    ],
  },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};
export default {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/suites/**/*.test.ts'],
      globalTeardown: '<rootDir>/suites/global-teardown.mjs',
    },
  ],
};
