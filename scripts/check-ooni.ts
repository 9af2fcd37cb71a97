/**
 * `npm run check:ooni -- DIR...`: agreement of our OONI analysis with the keys OONI recorded
 * (blocking, accessible, dns_consistency) on every OONI Web Connectivity measurement of any
 * vintage under DIR (`*.json` objects such as `measurement.json`, and JSONL, recursively). Prints
 * the agreement overall and per test version, every unreadable file or record (`FILE: reason`; the
 * batch goes on) and every differing case with the reason; exit code 0 when everything agrees and
 * everything was read, 1 otherwise, 2 on bad usage (a path that does not exist).
 * The IP-to-ASN database (`@ip-location-db/asn`) is used after the ASNs OONI recorded, as in
 * `censorprobe analyze`.
 */
import { checkOoniAgreement, formatAgreement } from '../src/ooni/agreement.js';
import { sharedAsnDatabase } from '../src/runner/asn-db.js';

const paths = process.argv.slice(2).filter((a) => a !== '--');
if (paths.length === 0) {
  process.stderr.write('usage: npm run check:ooni -- DIR_OR_FILE...\n');
  process.exit(2);
}
try {
  const summary = await checkOoniAgreement(paths, { asnLookup: sharedAsnDatabase().lookup });
  process.stdout.write(`${formatAgreement(summary)}\n`);
  process.exitCode = summary.cases.length === 0 && summary.total > 0 ? 0 : 1;
} catch (e) {
  process.stderr.write(`check:ooni: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
}
