// One jest run over every workspace. ESM + ts-jest per ../shared/NOTES.md; `isolatedModules` in the
// tsconfigs makes ts-jest transpile without type-checking (tsc does that in `pnpm typecheck`): fast runs.
const tsTransform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: tsTransform,
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@kepler/(config|protocol|daemon)$': '<rootDir>/../$1/src/index.ts',
    '^@kepler/config/files$': '<rootDir>/../config/src/files.ts',
    '^@kepler/config/grammar$': '<rootDir>/../config/src/grammar.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
const pkg = (name) => ({
  ...common,
  displayName: name,
  rootDir: `packages/${name}`,
  testMatch: ['<rootDir>/src/**/*.test.ts'],
});
export default {
  projects: [
    pkg('config'),
    pkg('protocol'),
    pkg('daemon'),
    pkg('cli'),
    {
      ...common,
      displayName: 'e2e',
      rootDir: 'e2e',
      testMatch: ['<rootDir>/src/**/*.test.ts'],
      moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    },
  ],
};
