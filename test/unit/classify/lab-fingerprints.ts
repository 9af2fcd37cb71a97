/** The shipped fingerprints plus the lab's (fixtures/fingerprints/lab.jsonl), as `censorprobe lab` runs pass them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFingerprintSet, curatedFingerprints, mergeFingerprintSets, parseFingerprints } from '../../../src/classify/index.js';

const file = join(import.meta.dirname, '../../../fixtures/fingerprints/lab.jsonl');
const parsed = parseFingerprints(readFileSync(file, 'utf8'), file);
if (parsed.errors.length > 0) throw new Error(`lab fingerprints: ${JSON.stringify(parsed.errors)}`);

/** Curated + lab fingerprints. */
export const LAB_FINGERPRINTS = mergeFingerprintSets(curatedFingerprints(), createFingerprintSet(parsed.fingerprints));
