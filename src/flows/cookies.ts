/**
 * The cookie jar of one measured redirect chain: cookies set by a response are sent with the later
 * requests of the same chain, as a browser does (RFC 6265, implemented by tough-cookie). Without it
 * a site that sets a cookie and redirects to itself until the cookie comes back loops until the
 * redirect limit, for the probe and the helper alike, and looks down (docs/measurement-model.md,
 * "Redirects and cookies"). One jar per measurement: nothing is kept between targets or runs.
 */
import { createRequire } from 'node:module';
import type { CookieJar } from 'tough-cookie';
import type { HeadersList } from '../model/observations.js';

/**
 * tough-cookie, loaded on the first Set-Cookie of the process: with its public-suffix list
 * (tldts) it costs ~60 ms of start-up, which a run whose sites set no cookie need not pay
 * (`npm run bench`: start-up of `run`).
 */
let cookieJarClass: typeof CookieJar | null = null;
function newJar(): CookieJar {
  cookieJarClass ??= (createRequire(import.meta.url)('tough-cookie') as typeof import('tough-cookie')).CookieJar;
  return new cookieJarClass();
}

/** Cap on Set-Cookie headers taken from one response (a hostile server cannot grow the jar without bound). */
const MAX_SET_COOKIE_PER_RESPONSE = 50;
/** Cap on one Set-Cookie header value, bytes (browsers cap a cookie at 4096 bytes, RFC 6265 section 6.1). */
const MAX_SET_COOKIE_BYTES = 8192;

/** ChainCookies: the jar of one redirect chain. */
export interface ChainCookies {
  /** The `Cookie` header value for a request to `url`, or null when no cookie applies. Never throws. */
  headerFor(url: string): string | null;
  /** Stores the `Set-Cookie` headers of a response to `url` (invalid ones are ignored). Never throws. */
  store(url: string, headers: HeadersList): void;
}

/**
 * createChainCookies returns an empty in-memory jar (public-suffix checks on, as browsers do). The
 * tough-cookie jar is made on the first `Set-Cookie` only: most chains never see one, and an empty
 * jar's lookup for every hop was a measurable part of a target's CPU (`npm run bench`).
 */
export function createChainCookies(): ChainCookies {
  let jar: CookieJar | null = null;
  return {
    headerFor(url) {
      if (jar === null) return null; // nothing stored: no cookie applies
      try {
        const value = jar.getCookieStringSync(url);
        return value === '' ? null : value;
      } catch {
        return null;
      }
    },
    store(url, headers) {
      const setCookies = headers.filter(([k, v]) => k.toLowerCase() === 'set-cookie' && v.length <= MAX_SET_COOKIE_BYTES).slice(0, MAX_SET_COOKIE_PER_RESPONSE);
      if (setCookies.length === 0) return;
      jar ??= newJar();
      for (const [, value] of setCookies) {
        try {
          jar.setCookieSync(value, url, { ignoreError: true });
        } catch {
          // an unparsable cookie is ignored, as browsers do
        }
      }
    },
  };
}
