/**
 * targets/: turns what the user names (URLs on the command line, Citizen Lab test-list CSVs, plain
 * URL lists, standard input) into normalised, de-duplicated {@link Target}s, with `FILE:LINE: reason`
 * errors for every rejected line; supplies the built-in default list when nothing is named.
 *
 * May import: `model/`, csv-parse, and node built-ins (`node:fs/promises` in `load.ts` only). Touches no
 * `process.*` (standard input is injected) and never throws for bad input: rejected lines are data.
 * Invariant: every `Target.url` is the output of {@link normalizeUrl} (http/https, lower-case punycode
 * host, default path `/`, no fragment, no credentials, no default port).
 */
export { normalizeUrl } from './normalize.js';
export type { NormalizeResult } from './normalize.js';
export { parseTargetList, formatTargetError, dedupeTargets, csvHeaderColumns, csvHeaderWithoutUrl, CITIZEN_LAB_HEADER } from './parse.js';
export type { TargetError, ParsedTargets, CsvColumns } from './parse.js';
export { loadTargets } from './load.js';
export type { LoadTargetsOptions } from './load.js';
export { DEFAULT_TARGETS, DEFAULT_TARGET_ENTRIES, isBaselineUrl } from './default-list.js';
export type { DefaultTargetEntry } from './default-list.js';
