/**
 * `--fingerprints FILE` (run and analyze): reads fingerprint files (our JSONL, OONI's CSV,
 * Censored Planet's JSONL; format detected per file) and merges them after the curated set.
 */
import { readFile } from 'node:fs/promises';
import {
  createFingerprintSet,
  curatedFingerprints,
  formatFingerprintError,
  mergeFingerprintSets,
  parseFingerprints,
  type FingerprintSet,
} from '../classify/index.js';
import { UsageError } from './options.js';
import { safeText } from './escape.js';

/**
 * loadFingerprintFiles returns the curated set merged with every file (curated ids win on a clash).
 * Throws {@link UsageError} naming `FILE:LINE: reason` for every bad line (all of them, one per
 * line of the message) or an unreadable file.
 */
export async function loadFingerprintFiles(files: readonly string[]): Promise<FingerprintSet> {
  if (files.length === 0) return curatedFingerprints();
  const sets: FingerprintSet[] = [curatedFingerprints()];
  const errors: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--fingerprints ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const parsed = parseFingerprints(text, file);
    errors.push(...parsed.errors.map(formatFingerprintError));
    if (parsed.errors.length === 0 && parsed.fingerprints.length === 0) errors.push(`${file}:1: no fingerprint in the file`);
    sets.push(createFingerprintSet(parsed.fingerprints));
  }
  if (errors.length > 0) {
    throw new UsageError(`bad fingerprint file${errors.length === 1 ? '' : 's'}:\n${errors.map((e) => safeText(e)).join('\n')}`, true); // one escaped line each
  }
  return mergeFingerprintSets(...sets);
}
