/**
 * Exact sampling of the discrete Laplace distribution, for the noise on published sums.
 *
 * Floating-point Laplace samplers (inverse CDF on a double) leak through the low bits of their output and have
 * holes and bias in their tails (Mironov 2012). This sampler never touches floating point: it follows
 * Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1
 * and 2, with every parameter an exact rational of BigInts and every coin drawn from `node:crypto`.
 *
 * The distribution with scale t > 0 on the integers: P(Z = z) = (1 − e^{−1/t}) / (1 + e^{−1/t}) · e^{−|z|/t}.
 * Added to an integer-valued sum whose value one person can change by at most Δ, it gives (Δ/t)-differential
 * privacy; the aggregation uses Δ = the weekly-hours cap in grid units and t = Δ / ε.
 */
import { randomBytes } from 'node:crypto';

/** An exact non-negative rational number num/den (den > 0). */
export interface Rational {
  num: bigint;
  den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

export function rational(num: bigint, den: bigint = 1n): Rational {
  if (den <= 0n || num < 0n) throw new RangeError('rational: expected num >= 0 and den > 0');
  const divisor = gcd(num, den) || 1n;
  return { num: num / divisor, den: den / divisor };
}

/**
 * The decimal a configuration value was written as ("0.8" is 8/10, not the double nearest to 0.8), so that
 * the privacy parameters are exactly the ones the operator chose.
 */
export function rationalFromNumber(value: number): Rational {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`rationalFromNumber: expected a finite value >= 0, got ${value}`);
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) throw new RangeError(`rationalFromNumber: cannot read ${value}`);
  const [, whole, fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText) - fraction.length;
  const digits = BigInt(whole! + fraction);
  return exponent >= 0 ? rational(digits * 10n ** BigInt(exponent)) : rational(digits, 10n ** BigInt(-exponent));
}

export const multiply = (a: Rational, b: Rational): Rational => rational(a.num * b.num, a.den * b.den);
export const divide = (a: Rational, b: Rational): Rational => rational(a.num * b.den, a.den * b.num);
export const subtract = (a: Rational, b: Rational): Rational => rational(a.num * b.den - b.num * a.den, a.den * b.den);
export const toNumber = (a: Rational): number => Number(a.num) / Number(a.den);

/** Uniform random integers from `node:crypto`, unbiased by rejection, read from a pooled buffer for speed. */
export class CryptoRandom {
  #pool = Buffer.alloc(0);
  #offset = 0;

  #bytes(count: number): Buffer {
    if (this.#offset + count > this.#pool.length) {
      this.#pool = randomBytes(Math.max(4096, count));
      this.#offset = 0;
    }
    const slice = this.#pool.subarray(this.#offset, this.#offset + count);
    this.#offset += count;
    return slice;
  }

  /** A uniform integer in [0, n). */
  below(n: bigint): bigint {
    if (n <= 0n) throw new RangeError('below: n must be positive');
    if (n === 1n) return 0n;
    const bits = (n - 1n).toString(2).length;
    if (bits <= 32) {
      // Fast path: 32-bit draws masked to the bit length of n − 1, so that at most half are rejected.
      const limit = Number(n);
      const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
      for (;;) {
        const candidate = (this.#bytes(4).readUInt32LE(0) & mask) >>> 0;
        if (candidate < limit) return BigInt(candidate);
      }
    }
    const byteCount = Math.ceil(bits / 8);
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      const candidate = BigInt(`0x${this.#bytes(byteCount).toString('hex')}`) & mask;
      if (candidate < n) return candidate;
    }
  }
}

/** True with probability num/den (0 <= num <= den). */
export function bernoulli(num: bigint, den: bigint, random: CryptoRandom): boolean {
  return random.below(den) < num;
}

/** True with probability exp(−num/den), exactly (CKS Algorithm 1). */
export function bernoulliExp(num: bigint, den: bigint, random: CryptoRandom): boolean {
  if (num <= den) {
    // P(K odd) = Σ_j (−γ)^j / j! = e^{−γ}, where K is the first k with a failed Bernoulli(γ/k).
    let k = 1n;
    while (bernoulli(num, den * k, random)) k += 1n;
    return k % 2n === 1n;
  }
  // e^{−γ} = (e^{−1})^{⌊γ⌋} · e^{−(γ−⌊γ⌋)}, each factor from the branch above.
  for (let i = 0n; i < num / den; i += 1n) {
    if (!bernoulliExp(1n, 1n, random)) return false;
  }
  return bernoulliExp(num % den, den, random);
}

/**
 * One draw of the discrete Laplace distribution with scale `scale` (CKS Algorithm 2): P(z) ∝ e^{−|z|/scale}.
 */
export function sampleDiscreteLaplace(scale: Rational, random: CryptoRandom): bigint {
  if (scale.num <= 0n) throw new RangeError('sampleDiscreteLaplace: scale must be positive');
  const t = scale.num;
  const s = scale.den;
  for (;;) {
    // X = U + t·V is geometric with P(X = x) ∝ e^{−x/t}: U uniform below t, kept with probability e^{−U/t}...
    const u = random.below(t);
    if (!bernoulliExp(u, t, random)) continue;
    // ...and V geometric with P(V = v) ∝ e^{−v}.
    let v = 0n;
    while (bernoulliExp(1n, 1n, random)) v += 1n;
    // ⌊X/s⌋ is then geometric with ratio e^{−s/t}; a random sign, rejecting "−0", makes it two-sided.
    const magnitude = (u + t * v) / s;
    const negative = bernoulli(1n, 2n, random);
    if (negative && magnitude === 0n) continue;
    return negative ? -magnitude : magnitude;
  }
}

/** Variance of the discrete Laplace distribution with scale t: 2e^{−1/t} / (1 − e^{−1/t})². */
export function discreteLaplaceVariance(scale: number): number {
  const q = Math.exp(-1 / scale);
  return (2 * q) / (1 - q) ** 2;
}

/** P(Z = z) of the discrete Laplace distribution with scale t. */
export function discreteLaplaceProbability(scale: number, z: number): number {
  const q = Math.exp(-1 / scale);
  return ((1 - q) / (1 + q)) * q ** Math.abs(z);
}
