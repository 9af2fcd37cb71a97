/**
 * model/: types (the wire format and the shapes shared by every layer), plus one module of pure
 * value predicates every layer needs, `ip.ts` (bogon, loopback, NAT64/6to4/Teredo, sinkholes; its
 * only runtime import is ipaddr.js; import it directly), and one parser two layers must share,
 * `refresh.ts` (a refresh declaration as browsers read it: the flow and the classifier). Every
 * other folder may import model/.
 */
export * from './failure.js';
export * from './observations.js';
export * from './control.js';
export * from './measurement.js';
export * from './throttling.js';
export * from './resolver.js';
