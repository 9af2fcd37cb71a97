/**
 * First-run consent: before the first measurement on a machine, `censorprobe run` explains what the
 * probe does and what its report reveals, and asks. The answer is remembered in the user's
 * configuration directory (`$XDG_CONFIG_HOME/censorprobe/consent.json`, else
 * `~/.config/censorprobe/consent.json`; XDG Base Directory Specification). `--yes` consents for one
 * run (scripts); a run without a terminal never waits for an answer: it says how to consent and
 * exits 2. OONI Probe asks the same way before its first run ("informed consent" onboarding).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Io } from './io.js';

/** Bump when the explanation changes in substance: everyone is asked again. */
export const CONSENT_VERSION = 1;

/** The explanation shown before the first run (plain text, one paragraph a line). */
export const CONSENT_TEXT = [
  'censorprobe tests whether web sites can be reached from this network: it resolves their names, connects to',
  'them and fetches their pages, then compares each step with a control measured from an uncensored place.',
  '',
  'What others can see and what the report reveals:',
  '  - Your network operator, and anyone who watches this network, can see which sites were tested, and when.',
  '    In some countries testing blocked sites may draw attention or be unlawful.',
  '  - The report (a JSONL file you keep) lists the sites, the answers your network gave, and the verdicts.',
  '    It contains no IP address of yours: this machine\'s addresses are replaced by [scrubbed].',
  '  - Nothing is uploaded: you decide whether to share the report.',
].join('\n');

/** The directory where censorprobe keeps per-user settings, or null when neither XDG_CONFIG_HOME nor HOME is set. */
export function configDir(env: NodeJS.ProcessEnv): string | null {
  const xdg = env['XDG_CONFIG_HOME'];
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'censorprobe');
  const home = env['HOME'];
  if (home !== undefined && home !== '') return path.join(home, '.config', 'censorprobe');
  return null;
}

/** The consent file of {@link configDir}. */
export function consentFile(env: NodeJS.ProcessEnv): string | null {
  const dir = configDir(env);
  return dir === null ? null : path.join(dir, 'consent.json');
}

/** True when a consent of the current {@link CONSENT_VERSION} is recorded. Never throws. */
export async function hasConsent(env: NodeJS.ProcessEnv): Promise<boolean> {
  const file = consentFile(env);
  if (file === null) return false;
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as { version?: unknown };
    return v.version === CONSENT_VERSION;
  } catch {
    return false;
  }
}

/** Records consent; returns the file, or null when it could not be written (the run still goes on). */
export async function recordConsent(env: NodeJS.ProcessEnv, now: Date = new Date()): Promise<string | null> {
  const file = consentFile(env);
  if (file === null) return null;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify({ version: CONSENT_VERSION, accepted_at: now.toISOString() })}\n`, { mode: 0o600 });
    return file;
  } catch {
    return null;
  }
}

/**
 * ensureConsent decides whether the run may measure: true with `--yes` or a recorded consent; on
 * a terminal it shows {@link CONSENT_TEXT}, asks, and records a yes. Without a terminal nobody can
 * answer (a script, a pipeline): the text is printed on stderr with how to silence it (--yes) and
 * the run goes on without recording anything, so the first interactive run still asks (the
 * volunteer's first look at the probe is a terminal; docs/report-format.md, "Privacy"). Never hangs:
 * the question is asked only when both standard input and the human output are terminals.
 */
export async function ensureConsent(io: Io, human: NodeJS.WritableStream & { isTTY?: boolean }, yes: boolean): Promise<boolean> {
  if (yes || (await hasConsent(io.env))) return true;
  const where = consentFile(io.env) ?? '(no HOME: cannot be remembered)';
  if (io.stdin.isTTY !== true || human.isTTY !== true) {
    io.stderr.write(`${CONSENT_TEXT}\n\n`);
    io.stderr.write(`censorprobe: no terminal to ask, so measuring on; pass --yes (or set CENSORPROBE_YES=1) to skip this notice, or run 'censorprobe run' once in a terminal to record your answer in ${where}\n`);
    return true;
  }
  human.write(`${CONSENT_TEXT}\n\n`);
  const rl = createInterface({ input: io.stdin, output: human, terminal: false });
  const answer = await new Promise<string>((resolve) => {
    rl.question('Run the measurements now? [y/N] ', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  if (!/^\s*y(es)?\s*$/i.test(answer)) {
    human.write('Nothing measured.\n');
    return false;
  }
  const saved = await recordConsent(io.env);
  human.write(saved !== null ? `Consent recorded in ${saved} (delete the file to be asked again).\n` : 'Consent could not be saved: you will be asked again next time (or pass --yes).\n');
  return true;
}
