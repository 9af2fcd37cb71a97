/**
 * Console rendering of run events: one line per finished target, then a summary. Colour through
 * chalk only when the stream is a TTY and NO_COLOR is unset (chalk's own detection, made explicit).
 * Every string from a report line (input, reasons, network-state reasons) and every path is
 * escaped with `safeText` (escape.ts): they come from the network or from input files.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { RunEvent, RunSummary } from '../runner/run.js';
import type { BaselineRound } from '../model/index.js';
import { VANTAGE_SENTENCE, VANTAGE_TEXT } from '../outage/index.js';
import { BLOCKED_LABELS, LABEL_TEXT, type VerdictLabel } from '../runner/labels.js';
import { safeText } from './escape.js';

/** Creates a chalk instance for a stream: colour only on a TTY without NO_COLOR. */
export function chalkFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): ChalkInstance {
  const colour = stream.isTTY === true && env['NO_COLOR'] === undefined && env['TERM'] !== 'dumb';
  return new Chalk({ level: colour ? 1 : 0 });
}

function paint(c: ChalkInstance, label: VerdictLabel, text: string): string {
  if (label === 'accessible') return c.green(text);
  if (label === 'down' || label === 'inconclusive') return c.yellow(text);
  if (BLOCKED_LABELS.has(label)) return c.red.bold(text);
  return text;
}

/** One line for a finished target: `[ 3/30] DNS tampering   https://x/  (1.2 s) reason`. */
export function renderEvent(e: RunEvent, c: ChalkInstance): string | null {
  if (e.kind === 'start') {
    const skipped = e.skipped > 0 ? ` (${e.skipped} already in the report, skipped)` : '';
    return `Measuring ${e.total} target${e.total === 1 ? '' : 's'}${skipped}...`;
  }
  if (e.kind === 'baseline') return e.repeated === true ? null : renderRound(e.round, c); // repeated rounds: one line
  if (e.kind === 'error') return c.red(`internal error while measuring ${safeText(e.target)}: ${safeText(e.message, 500)} (its line records the failure; please report this bug)`);
  const width = String(e.total).length;
  const counter = `[${String(e.done).padStart(width)}/${e.total}]`;
  const label = paint(c, e.label, LABEL_TEXT[e.label].padEnd(22));
  const status = e.record.verdict.status === 'confirmed' ? c.bold(' (confirmed)') : '';
  // The input, reasons (page titles, server headers, error messages) come from the network or input files.
  const reason = e.record.verdict.reasons[0] !== undefined ? safeText(e.record.verdict.reasons[0]) : undefined;
  const secs = `${e.record.test_runtime.toFixed(1)} s`;
  return `${c.dim(counter)} ${label} ${safeText(e.record.input)}${status} ${c.dim(`(${secs})`)}${reason ? `\n${' '.repeat(counter.length + 1)}${c.dim(reason)}` : ''}`;
}

/** The closing summary: counts per verdict and where the report is. */
export function renderSummary(s: RunSummary, reportPath: string | null, c: ChalkInstance): string {
  const lines: string[] = [];
  lines.push('');
  lines.push(c.bold(s.interrupted ? `Interrupted: ${s.measured} of ${s.total} targets measured.` : `Done: ${s.measured} target${s.measured === 1 ? '' : 's'} measured.`));
  const order: VerdictLabel[] = ['accessible', 'dns', 'tcp_ip', 'tls', 'http-failure', 'http-diff', 'throttling', 'anomaly', 'down', 'inconclusive'];
  for (const label of order) {
    const n = s.counts[label];
    if (n) lines.push(`  ${paint(c, label, LABEL_TEXT[label].padEnd(22))} ${n}`);
  }
  const last = s.rounds.filter((r) => r.when !== 'after').at(-1);
  const after = s.rounds.find((r) => r.when === 'after');
  if (last !== undefined && last.state !== 'normal') {
    lines.push(c.yellow.bold(`  Network: ${VANTAGE_SENTENCE[last.state]}`));
    lines.push(c.dim(`  (${VANTAGE_TEXT[last.state]}: ${safeText(last.reason)})`));
    lines.push(c.yellow('  Per-site verdicts from then on are "inconclusive": nothing here is evidence of blocking.'));
  }
  if (after !== undefined && after.state !== 'normal' && after.state !== last?.state) {
    lines.push(c.yellow(`  After the run: ${VANTAGE_SENTENCE[after.state]} Verdicts near the end may be affected.`));
  }
  const inconclusive = s.counts.inconclusive ?? 0;
  if (inconclusive > 0 && inconclusive === s.measured) {
    lines.push(c.yellow('  Every verdict is inconclusive: nothing could be compared with a control (offline, no usable helper or DoH, or no resolver answered). Nothing here is evidence of blocking.'));
  }
  if (reportPath) lines.push(`Report: ${safeText(reportPath)}`);
  if (s.interrupted && reportPath) lines.push(`Resume with: censorprobe run --resume -o ${safeText(reportPath)} (and the same targets)`);
  return lines.join('\n');
}

/**
 * One line for a baseline round: `Network check (before): normal, 10 of 10 checks as expected`, or
 * for any other state its one plain sentence (docs/network-state.md); never "OK" next to a failure state.
 */
export function renderRound(r: BaselineRound, c: ChalkInstance): string {
  const ok = r.results.filter((x) => x.ok).length;
  if (r.state === 'normal') return c.dim(`Network check (${r.when}): normal, ${ok} of ${r.results.length} checks as expected`);
  return c.yellow(`Network (${r.when}): ${VANTAGE_SENTENCE[r.state]} Per-site verdicts are "inconclusive" while this lasts.`);
}
