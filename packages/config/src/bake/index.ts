/** Stage 4, bake: `NormalizedConfig` -> `BakedConfig`, and the defaults it applies. */
export { type BakeInput, bakeNormalized } from './bake.js';
export * from './defaults.js';
