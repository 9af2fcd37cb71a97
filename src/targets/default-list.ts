/**
 * The built-in default target list, measured when the user names no targets.
 *
 * Curated by us (not copied from the Citizen Lab lists, which are CC BY-NC-SA 4.0): a small, broad
 * sample of sites that censors commonly block, plus a few "baseline" sites that are rarely blocked
 * anywhere, so a run can tell a local outage or shutdown from per-site blocking (docs/verdict-rules.md
 * section 2, docs/network-state.md). Category codes are Citizen Lab's new codes
 * (`lists/00-LEGEND-new_category_codes.csv`; docs/verdict-rules.md). Citizen Lab has no
 * "baseline" code, so baselines carry the closest real code and `baseline: true`.
 */
import type { Target } from '../model/index.js';

/** DefaultTargetEntry is one documented entry of the default list. */
export interface DefaultTargetEntry {
  /** Normalised URL (as {@link normalizeUrl} would return it). */
  url: string;
  /** Citizen Lab category code (new legend, 31 codes). */
  category_code: string;
  /** True for sites that are rarely blocked: if they all fail, suspect an outage, not blocking. */
  baseline: boolean;
  /** Why the entry is in the list. */
  note: string;
}

/** DEFAULT_TARGET_ENTRIES is the curated default list (31 entries), grouped by theme. */
export const DEFAULT_TARGET_ENTRIES: readonly DefaultTargetEntry[] = Object.freeze([
  // International news (NEWS): the outlets most often blocked during crises.
  { url: 'https://www.bbc.com/news', category_code: 'NEWS', baseline: false, note: 'BBC News, international edition; blocked in Russia, China, Iran.' },
  { url: 'https://www.reuters.com/', category_code: 'NEWS', baseline: false, note: 'Reuters, wire service.' },
  { url: 'https://www.dw.com/', category_code: 'NEWS', baseline: false, note: 'Deutsche Welle, international broadcaster; blocked in Russia and China.' },
  { url: 'https://www.rferl.org/', category_code: 'NEWS', baseline: false, note: 'Radio Free Europe/Radio Liberty; its national services (e.g. azadliq.org) are widely blocked.' },
  { url: 'https://www.aljazeera.com/', category_code: 'NEWS', baseline: false, note: 'Al Jazeera English; blocked at times in several Gulf states.' },
  { url: 'https://meduza.io/', category_code: 'NEWS', baseline: false, note: 'Meduza, independent Russian-language media; blocked in Russia since 2022.' },
  { url: 'https://www.voanews.com/', category_code: 'NEWS', baseline: false, note: 'Voice of America.' },
  // Social networking (GRP), media sharing (MMED) and communication tools (COMT).
  { url: 'https://www.facebook.com/', category_code: 'GRP', baseline: false, note: 'Facebook; often blocked during protests and elections.' },
  { url: 'https://www.instagram.com/', category_code: 'GRP', baseline: false, note: 'Instagram.' },
  { url: 'https://x.com/', category_code: 'GRP', baseline: false, note: 'X (Twitter); throttled by SNI in Russia in 2021.' },
  { url: 'https://www.youtube.com/', category_code: 'MMED', baseline: false, note: 'YouTube, video sharing.' },
  { url: 'https://www.tiktok.com/', category_code: 'GRP', baseline: false, note: 'TikTok; e.g. blocked in Azerbaijan in 2022 (22 endpoints in lists/az.csv).' },
  { url: 'https://web.whatsapp.com/', category_code: 'COMT', baseline: false, note: 'WhatsApp Web, messaging.' },
  { url: 'https://web.telegram.org/', category_code: 'COMT', baseline: false, note: 'Telegram Web, messaging.' },
  { url: 'https://signal.org/', category_code: 'COMT', baseline: false, note: 'Signal, encrypted messaging; blocked in Iran, China and others.' },
  // Anonymization and circumvention tools (ANON).
  { url: 'https://www.torproject.org/', category_code: 'ANON', baseline: false, note: 'The Tor Project.' },
  { url: 'https://psiphon.ca/', category_code: 'ANON', baseline: false, note: 'Psiphon, circumvention tool.' },
  { url: 'https://protonvpn.com/', category_code: 'ANON', baseline: false, note: 'Proton VPN.' },
  { url: 'https://www.wireguard.com/', category_code: 'ANON', baseline: false, note: 'WireGuard VPN protocol.' },
  { url: 'https://getlantern.org/', category_code: 'ANON', baseline: false, note: 'Lantern, circumvention tool.' },
  // Human rights and press freedom groups (HUMR).
  { url: 'https://www.amnesty.org/', category_code: 'HUMR', baseline: false, note: 'Amnesty International.' },
  { url: 'https://www.hrw.org/', category_code: 'HUMR', baseline: false, note: 'Human Rights Watch.' },
  { url: 'https://rsf.org/', category_code: 'HUMR', baseline: false, note: 'Reporters Without Borders (press freedom).' },
  { url: 'https://cpj.org/', category_code: 'HUMR', baseline: false, note: 'Committee to Protect Journalists.' },
  { url: 'https://www.article19.org/', category_code: 'HUMR', baseline: false, note: 'ARTICLE 19 (freedom of expression).' },
  { url: 'https://www.accessnow.org/', category_code: 'HUMR', baseline: false, note: 'Access Now (digital rights, #KeepItOn shutdown tracking).' },
  // Baselines: rarely blocked; all failing together points at an outage, not at censorship.
  { url: 'https://www.wikipedia.org/', category_code: 'CULTR', baseline: true, note: 'Wikipedia portal; a large, widely reachable HTTPS site (CULTR is the closest code).' },
  { url: 'https://www.gnu.org/', category_code: 'FILE', baseline: true, note: 'GNU Project; free software, hosted outside the large CDNs (FILE covers the old SFTWR code).' },
  { url: 'https://example.com/', category_code: 'CTRL', baseline: true, note: 'IANA example domain (RFC 2606); static, tiny, stable content.' },
  { url: 'http://connectivitycheck.gstatic.com/generate_204', category_code: 'CTRL', baseline: true, note: 'Android captive-portal check (a CTRL row of Citizen Lab global.csv); cleartext HTTP, answers 204.' },
  { url: 'http://captive.apple.com/', category_code: 'CTRL', baseline: true, note: 'Apple captive-portal check; cleartext HTTP, answers a fixed "Success" page.' },
] satisfies DefaultTargetEntry[]);

/** DEFAULT_TARGETS is {@link DEFAULT_TARGET_ENTRIES} as targets (source `default`), in list order. */
export const DEFAULT_TARGETS: readonly Target[] = Object.freeze(
  DEFAULT_TARGET_ENTRIES.map((entry): Target => ({ url: entry.url, category_code: entry.category_code, source: 'default' })),
);

/** isBaselineUrl tells whether a normalised URL is a baseline entry of the default list. */
export function isBaselineUrl(url: string): boolean {
  return DEFAULT_TARGET_ENTRIES.some((entry) => entry.baseline && entry.url === url);
}
