/**
 * outage/: the state of the probe's network (docs/network-state.md): baseline checks that want the
 * expected answer, run before and after a run and after a streak of failing targets, the pure
 * vantage decision (offline / captive portal / DNS broken / port 443 cut / international cut /
 * allow-list / general degradation / normal) and the pure rewrite of per-target verdicts when the
 * vantage is not normal.
 *
 * Imports: `src/model`, `src/net`, `src/flows`, `src/classify` (the pure bogon predicate).
 */
export * from './state.js';
export * from './baselines.js';
