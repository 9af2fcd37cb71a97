/**
 * Bogon and loopback predicates for the classifier: a re-export of the one module that owns the IP
 * predicates for every layer (src/model/ip.ts; docs/measurement-model.md), so that the probe never
 * dials what the classifier calls a bogon.
 */
export { isBogon, isLoopback } from '../model/ip.js';
