/**
 * lab/: a real censoring network built from Linux network namespaces, for tests and for
 * `censorprobe lab` (docs/lab.md, docs/lab.md-13). `startLab(scenario)` makes
 * two namespaces joined by a veth pair: **world** holds every server on its public-looking
 * address (on the world's `lo`), the ISP and clean resolvers, the helper's address, the censor
 * (nftables table `inet censorprobe_lab` for drops and rejects, and a userspace DPI middlebox
 * reached by DNAT for SNI/Host/substring rules) and a per-lab CA; **probe** is where
 * `censorprobe run` executes, its system resolver pointed at the ISP resolver through
 * `/etc/netns/<probe-ns>/resolv.conf`. The censor matches only packets arriving from the probe's
 * veth, so the helper (in the world namespace) is never censored. Nothing leaves the namespaces:
 * the world has no default route.
 *
 * May import: model (types), node built-ins, dns-packet, @peculiar/x509, ipaddr.js, ajv.
 * Invariants: needs root, `ip` and `nft` (checkLabSupport); every lab is torn down by stop(), and
 * at process exit if stop() was not called; scenario files are validated before use.
 */
export { checkLabSupport, cleanupStaleLabs, LabError, listLabNamespaces, startLab, PAGES_DIR } from './lab.js';
export type { ExecOptions, ExecResult, Lab, LabSupport, StartLabOptions } from './lab.js';
export { loadScenario, parseScenario, ScenarioError, SCENARIO_SCHEMA, SCENARIOS_DIR } from './scenario.js';
export type {
  CensorRule,
  DnsChanges,
  DnsRule,
  DpiAction,
  DpiActionName,
  DpiActionSpec,
  DpiSimpleActionName,
  DpiMatch,
  DpiRule,
  ExpectedOoni,
  ExpectedOoniExtra,
  ExpectedVerdict,
  NftAction,
  NftRule,
  Scenario,
  WorldChanges,
} from './scenario.js';
export { listScenarios, probeCommand, runScenario, startHelper } from './scenario-runner.js';
export type { RunScenarioOptions, ScenarioRun } from './scenario-runner.js';
export { CLEAN_RESOLVER, HELPER_ADDRESS, HOSTS, ISP_RESOLVER } from './world-hosts.js';
export type { DnsRecord, DnsTable } from './world-hosts.js';
export { decideLabAccess, probeLabAccess, USERNS_ENV, USERNS_SETUP } from './access.js';
export type { LabAccess, LabAccessFacts } from './access.js';
