/**
 * model/: types only (the wire format and the shapes shared by every layer). Imports nothing at
 * runtime; every other folder may import it.
 */
export * from './failure.js';
export * from './observations.js';
export * from './control.js';
export * from './measurement.js';
export * from './throttling.js';
export * from './resolver.js';
