/**
 * throttling/: pure throttling detection (docs/throttling.md): per-transfer metrics
 * from recorded events, screening of every measurement, the interleaving schedule, statistics
 * (Mann-Whitney U, KS, median) and the decision with attribution. No I/O, no clock: the paired
 * transfers themselves are run by src/flows/paired-transfers.ts.
 *
 * Imports: `src/model` only.
 */
export * from './stats.js';
export * from './metrics.js';
export * from './screening.js';
export * from './schedule.js';
export * from './decision.js';
export * from './slow-server.js';
