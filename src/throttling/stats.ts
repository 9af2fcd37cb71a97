/**
 * Small statistics for the throttling decision: median, the one-sided Mann-Whitney U test and the
 * two-sample Kolmogorov-Smirnov test. Pure; no dependencies.
 *
 * Sources: Mann & Whitney (1947), "On a test of whether one of two random variables is
 * stochastically larger than the other", Ann. Math. Statist. 18(1) (exact null distribution by the
 * recursion of their eq. 1; normal approximation with tie correction as in Lehmann, Nonparametrics
 * (1975) ch. 1); KS asymptotics as in Numerical Recipes 3rd ed. section 14.3.3 (`probks`),
 * used by Wehe (`testHypothesis.py`, docs/throttling.md).
 */

/** median of `xs` (mean of the two middle values for an even count); NaN for an empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Coefficient of variation (population standard deviation / mean); NaN when empty or mean 0. */
export function coefficientOfVariation(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (mean === 0) return Number.NaN;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
  return Math.sqrt(variance) / mean;
}

/** The result of a one-sided test: the statistic and its p-value. */
export interface TestResult {
  statistic: number;
  p: number;
}

/** Largest n + m for which the exact U distribution is computed (C(40,20) ≈ 1.4e11 fits a double exactly). */
const EXACT_MAX_TOTAL = 40;

/**
 * mannWhitneyLess: one-sided Mann-Whitney U test of H1 "values in `a` tend to be SMALLER than in
 * `b`". U = #{(x, y) : x > y} + 0.5 #{x = y} over x in a, y in b (small U supports H1); p = P(U <=
 * observed) under H0. Exact (no ties, n + m <= 40) by counting arrangements; otherwise the normal
 * approximation with tie correction and continuity correction 0.5. Example: 5 vs 5 fully separated
 * → U = 0, p = 1/252 ≈ 0.00397; one inversion → U = 1, p = 2/252 ≈ 0.0079 (docs/throttling.md
 * rule 4). Returns p = 1 when either sample is empty. Throws on non-finite values (programmer error).
 */
export function mannWhitneyLess(a: readonly number[], b: readonly number[]): TestResult {
  for (const v of [...a, ...b]) if (!Number.isFinite(v)) throw new RangeError(`mannWhitneyLess: non-finite value ${v}`);
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { statistic: Number.NaN, p: 1 };
  let u = 0;
  let ties = false;
  for (const x of a) for (const y of b) {
    if (x > y) u += 1;
    else if (x === y) {
      u += 0.5;
      ties = true;
    }
  }
  const pooled = [...a, ...b];
  const anyTie = ties || new Set(pooled).size !== pooled.length;
  if (!anyTie && n + m <= EXACT_MAX_TOTAL) return { statistic: u, p: exactUCdf(u, n, m) };
  // Normal approximation with tie correction.
  const N = n + m;
  const counts = new Map<number, number>();
  for (const v of pooled) counts.set(v, (counts.get(v) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of counts.values()) tieTerm += t ** 3 - t;
  const mean = (n * m) / 2;
  const variance = ((n * m) / 12) * (N + 1 - tieTerm / (N * (N - 1)));
  if (variance <= 0) return { statistic: u, p: 1 };
  const z = (u + 0.5 - mean) / Math.sqrt(variance);
  return { statistic: u, p: Math.min(1, normalCdf(z)) };
}

/** P(U <= u) for sample sizes n, m with no ties: counts of arrangements with U = k over C(n+m, n). */
function exactUCdf(u: number, n: number, m: number): number {
  // f[i][j][k]: arrangements of i a's and j b's with U = k; f(i,j,k) = f(i-1,j,k-j) + f(i,j-1,k)
  // (the largest element is an a, beating all j b's, or a b).
  const maxU = n * m;
  let prev: number[][] = Array.from({ length: m + 1 }, () => new Array<number>(maxU + 1).fill(0));
  for (let j = 0; j <= m; j++) (prev[j] as number[])[0] = 1; // i = 0
  for (let i = 1; i <= n; i++) {
    const cur: number[][] = Array.from({ length: m + 1 }, () => new Array<number>(maxU + 1).fill(0));
    for (let j = 0; j <= m; j++) {
      const row = cur[j] as number[];
      for (let k = 0; k <= maxU; k++) {
        const fromA = k - j >= 0 ? ((prev[j] as number[])[k - j] as number) : 0;
        const fromB = j > 0 ? ((cur[j - 1] as number[])[k] as number) : 0;
        row[k] = fromA + fromB;
      }
    }
    prev = cur;
  }
  const dist = prev[m] as number[];
  let total = 0;
  let below = 0;
  for (let k = 0; k <= maxU; k++) {
    const c = dist[k] as number;
    total += c;
    if (k <= u) below += c;
  }
  return below / total;
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf approximation, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * ksTwoSample: two-sample Kolmogorov-Smirnov test (two-sided). Statistic D = sup |F_a - F_b|;
 * p from the asymptotic Kolmogorov distribution with Stephens' small-sample correction
 * (Numerical Recipes `kstwo`/`probks`). Returns p = 1 when a sample is empty.
 */
export function ksTwoSample(a: readonly number[], b: readonly number[]): TestResult {
  if (a.length === 0 || b.length === 0) return { statistic: Number.NaN, p: 1 };
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i] as number, y[j] as number);
    while (i < x.length && (x[i] as number) <= v) i++;
    while (j < y.length && (y[j] as number) <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const en = Math.sqrt((x.length * y.length) / (x.length + y.length));
  return { statistic: d, p: kolmogorovQ((en + 0.12 + 0.11 / en) * d) };
}

/** Q_KS(λ) = 2 Σ_{j>=1} (-1)^{j-1} exp(-2 j² λ²), clamped to [0, 1]. */
function kolmogorovQ(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  let sign = 1;
  for (let j = 1; j <= 100; j++) {
    const term = sign * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}
