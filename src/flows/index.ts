/**
 * flows/: step-by-step compositions of the net/ primitives. `measureUrl` measures one target URL
 * (DNS → per address: connect → TLS → one HTTP GET per depth → explicit redirects) and returns the
 * flat observations plus a per-hop summary. Flows never throw for network failures.
 *
 * Imports: `src/net` and `src/model` only (plus tough-cookie for the chain's cookie jar).
 */
export * from './paired-transfers.js';
export { measureUrl, type FlowOptions, type HopResult, type ResolverSpec, type ReusedConnection, type UrlMeasurement } from './measure-url.js';
export * from './defaults.js';
