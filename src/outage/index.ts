/**
 * outage/: shutdown and outage detection (issue 5; peers-and-methods 5.2): baseline checks run
 * before and after a run and after a streak of failing targets, the pure vantage decision (local
 * network offline / international connectivity cut / only an allow-list reachable / general
 * degradation / normal) and the pure rewrite of per-target verdicts when the vantage is not normal.
 *
 * Imports: `src/model`, `src/net`, `src/flows`.
 */
export * from './state.js';
export * from './baselines.js';
