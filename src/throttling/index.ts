/**
 * throttling/: pure throttling detection (issue 5; peers-and-methods 3.5): per-transfer metrics
 * from recorded events, screening of every measurement, the interleaving schedule, statistics
 * (Mann-Whitney U, KS, median) and the decision with attribution. No I/O, no clock: the paired
 * transfers themselves are run by src/runner/paired-transfers.ts.
 *
 * Imports: `src/model` only.
 */
export * from './stats.js';
export * from './metrics.js';
export * from './screening.js';
export * from './schedule.js';
export * from './decision.js';
