/**
 * Chi-square distribution functions computed from the regularised incomplete
 * gamma function (series for x < a + 1, continued fraction otherwise), so
 * p-values are exact to ~1e-12 at any degrees of freedom: no lookup tables.
 */
const epsilon = 1e-14;
const maxIterations = 10_000;

/** ln Γ(x) by the Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0. */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0] ?? 0;
  for (let i = 1; i < 9; i++) sum += (c[i] ?? 0) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** P(a, x): the regularised lower incomplete gamma function. */
export function lowerGammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (x < a + 1) {
    // Series: P = e^-x x^a / Γ(a+1) * Σ x^n / ((a+1)...(a+n))
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < maxIterations; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * epsilon) break;
    }
    return Math.min(1, sum * Math.exp(-x + a * Math.log(x) - logGamma(a)));
  }
  return 1 - upperGammaQ(a, x);
}

/** Q(a, x) = 1 - P(a, x), by Lentz's continued fraction (keeps precision in the far tail). */
export function upperGammaQ(a: number, x: number): number {
  if (x < a + 1) return 1 - lowerGammaP(a, x);
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < maxIterations; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < epsilon) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** P(X <= x) for a chi-square variable with k degrees of freedom. */
export function chiSquareCdf(x: number, k: number): number {
  return lowerGammaP(k / 2, x / 2);
}

/** The p-value of a goodness-of-fit statistic: P(X >= x). */
export function chiSquarePValue(x: number, k: number): number {
  return upperGammaQ(k / 2, x / 2);
}

/** The x with P(X >= x) = alpha (bisection; the CDF is monotone). */
export function chiSquareCritical(alpha: number, k: number): number {
  let lo = 0;
  let hi = Math.max(10, k * 10);
  while (chiSquarePValue(hi, k) > alpha) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquarePValue(mid, k) > alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * P(X > x) for a noncentral chi-square (k degrees of freedom, noncentrality λ),
 * as a Poisson(λ/2) mixture of central chi-squares with k + 2j degrees of freedom.
 */
export function noncentralChiSquareSurvival(x: number, k: number, lambda: number): number {
  const half = lambda / 2;
  let total = 0;
  // Sum outward from the Poisson mode so large λ neither underflows nor loses mass.
  const mode = Math.floor(half);
  const weight = (j: number) =>
    Math.exp(-half + j * Math.log(half || 1) - logGamma(j + 1)) * (half === 0 && j > 0 ? 0 : 1);
  for (let j = mode; j < mode + 10_000; j++) {
    const w = weight(j);
    total += w * chiSquarePValue(x, k + 2 * j);
    if (w < 1e-16 && j > mode) break;
  }
  for (let j = mode - 1; j >= 0; j--) {
    const w = weight(j);
    total += w * chiSquarePValue(x, k + 2 * j);
    if (w < 1e-16) break;
  }
  return Math.min(1, total);
}
