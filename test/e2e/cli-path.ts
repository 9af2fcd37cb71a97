/** Paths of the built CLI used by end-to-end tests (`npm test` builds dist/ before vitest). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The CLI binary, as users run it. */
export const CLI = path.join(ROOT, 'bin', 'censorprobe.js');

if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
  throw new Error('dist/ is missing: run `npm run build` first (npm test does it)');
}
