/**
 * The console side of the control preflight (src/runner/control-preflight.ts;
 * docs/network-state.md): one plain sentence per problem, and whether the run may go on.
 */
import { EXIT } from './exit-codes.js';
import { isIP } from 'node:net';
import type { ChalkInstance } from 'chalk';
import type { RunConfig } from '../runner/config.js';

/** Exit code when the `--control` helper cannot be reached and the user did not ask to go on. */
export const EXIT_CONTROL_UNREACHABLE = EXIT.UNAVAILABLE;

/** Options of {@link preflightControl}. */
export interface PreflightCliOptions {
  /** Go on with measuring when the helper cannot be reached (`--continue-without-control`). */
  continueWithoutControl: boolean;
  /** Print a line for the user (stdout, or stderr with --json). */
  say: (line: string) => void;
  /** Print an error line (stderr). */
  complain: (line: string) => void;
  c: ChalkInstance;
  /** -q: leave out notes (problems are still said). Default false. */
  quiet?: boolean;
}

/**
 * Checks the run's control before measuring. Returns null to go on, or the exit code to stop
 * with ({@link EXIT_CONTROL_UNREACHABLE} when the helper is unreachable and the user did not pass
 * `--continue-without-control`). DoH resolvers that cannot be reached are reported once and the
 * run goes on: the DNS control is then "unavailable" in every line.
 */
export async function preflightControl(config: RunConfig, opts: PreflightCliOptions): Promise<number | null> {
  const { checkHelper, checkDohResolvers } = await import('../runner/control-preflight.js');
  const common = { timeoutMs: Math.min(5000, config.timeouts.controlMs), ...(config.extraCa.length > 0 ? { extraCa: config.extraCa } : {}) };
  if (config.controlUrl !== null) {
    const h = await checkHelper(config.controlUrl, common);
    if (h.reachable) return null;
    const line = `The control helper ${config.controlUrl} cannot be reached (${h.failure ?? 'no answer'}): without it no verdict can be compared with a control.`;
    if (!opts.continueWithoutControl) {
      opts.complain(`${line} Nothing was measured. Check the URL, or pass --continue-without-control to measure anyway.`);
      return EXIT_CONTROL_UNREACHABLE;
    }
    opts.say(opts.c.yellow(`${line} Going on (--continue-without-control): verdicts will be "inconclusive" where a control is needed.`));
    return null;
  }
  if (config.dohResolvers.length === 0) return null;
  // A resolver named by a host name is found through the system resolver, the one that may be
  // tampering (docs/network-state.md section 3): say so once, the user chose it.
  const byName = config.dohResolvers.filter((u) => isIP(new URL(u).hostname.replace(/^\[|\]$/g, '')) === 0);
  if (byName.length > 0 && opts.quiet !== true) {
    opts.say(opts.c.dim(`Note: ${byName.join(', ')} ${byName.length === 1 ? 'is' : 'are'} looked up through the system resolver; a DoH URL with an IP address avoids that.`));
  }
  const d = await checkDohResolvers(config.dohResolvers, common);
  if (d.unavailable) {
    const why = d.resolvers.map((r) => `${r.url} (${r.failure ?? 'no answer'})`).join(', ');
    opts.say(opts.c.yellow(`The DNS control is unavailable: no DNS-over-HTTPS resolver can be reached (${why}). This is not an outage and not DNS blocking of the sites; DNS answers cannot be checked in this run.`));
  }
  return null;
}
