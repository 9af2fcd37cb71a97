/**
 * Human labels for verdicts, shared by the console and `analyze` summaries.
 */
import type { Verdict } from '../model/index.js';

/** One label per verdict kind (the words the README uses). */
export type VerdictLabel =
  | 'accessible'
  | 'dns'
  | 'tcp_ip'
  | 'tls'
  | 'http-failure'
  | 'http-diff'
  | 'throttling'
  | 'down'
  | 'inconclusive'
  | 'anomaly';

/** Maps a verdict to its label: the blocking layer when there is one, else its status. */
export function verdictLabel(v: Verdict): VerdictLabel {
  if (v.blocking !== null) return v.blocking;
  if (v.status === 'down') return 'down';
  if (v.status === 'inconclusive') return 'inconclusive';
  if (v.accessible === true) return 'accessible';
  return v.status === 'ok' ? 'accessible' : 'anomaly';
}

/** Sentence-case descriptions for the console summary. */
export const LABEL_TEXT: Record<VerdictLabel, string> = {
  accessible: 'accessible',
  dns: 'DNS tampering',
  tcp_ip: 'TCP/IP blocking',
  tls: 'TLS/SNI interference',
  'http-failure': 'HTTP failure',
  'http-diff': 'blockpage / HTTP diff',
  throttling: 'throttling',
  down: 'website down',
  inconclusive: 'inconclusive',
  anomaly: 'anomaly',
};

/** Labels that claim interference (used for exit codes and colour). */
export const BLOCKED_LABELS: ReadonlySet<VerdictLabel> = new Set(['dns', 'tcp_ip', 'tls', 'http-failure', 'http-diff', 'throttling', 'anomaly']);
