/**
 * The noise sampler against the discrete Laplace formulas. Tolerances are about 6 standard errors: a correct
 * sampler fails with probability below one in a hundred million, a scale off by 5% fails every time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { noisePlan } from '../../src/services/statistics-method.js';
import {
  CryptoRandom,
  bernoulliExp,
  discreteLaplaceProbability,
  discreteLaplaceVariance,
  rational,
  rationalFromNumber,
  sampleDiscreteLaplace,
  type Rational,
} from '../../src/services/privacy.js';

const random = new CryptoRandom();
const draws = (scale: Rational, n: number) => Array.from({ length: n }, () => Number(sampleDiscreteLaplace(scale, random)));
const TOLERANCE_SE = 6;

describe('exact discrete Laplace sampler', () => {
  // Any use of Math.random by the sampler would throw here.
  const originalRandom = Math.random;
  before(() => {
    Math.random = () => {
      throw new Error('Math.random must not be used for privacy noise');
    };
  });
  after(() => {
    Math.random = originalRandom;
  });

  test('configured decimals become exact rationals, and the production scales follow cap × 100 / ε part', () => {
    assert.deepEqual(rationalFromNumber(0.8), { num: 4n, den: 5n });
    assert.deepEqual(rationalFromNumber(1e9), { num: 1_000_000_000n, den: 1n });
    assert.deepEqual(rationalFromNumber(2.5e-7), { num: 1n, den: 4_000_000n });
    assert.deepEqual(rationalFromNumber(1e21), { num: 10n ** 21n, den: 1n });
    const defaults = noisePlan(1, 80);
    assert.deepEqual(defaults.count.epsilon, { num: 3n, den: 10n }, 'ε_count = 0.3');
    assert.deepEqual(defaults.count.scale, { num: 10n, den: 3n }, 'sensitivity 1 / 0.3');
    assert.deepEqual(defaults.sums.department_group!.scale, rational(8000n * 1000n, 95n), '80 h × 100 grid / 0.095');
    assert.deepEqual(defaults.sums.profession!.scale, rational(8000n * 1000n, 15n), '80 h × 100 grid / 0.015');
    assert.equal(defaults.capGrid, 8000);
    const odd = noisePlan(0.3, 99.995);
    assert.equal(odd.capGrid, 9999, 'a cap between grid points is rounded down, never up');
    assert.deepEqual(odd.sums.department_group!.scale, rational(9999n * 10000n, 285n), '9999 / (0.3 × 0.095)');
  });

  test('Bernoulli(exp(−γ)) has exactly the probability exp(−γ)', () => {
    const n = 40_000;
    for (const [num, den] of [
      [1n, 3n],
      [1n, 1n],
      [5n, 2n],
    ] as const) {
      const p = Math.exp(-Number(num) / Number(den));
      let hits = 0;
      for (let i = 0; i < n; i++) if (bernoulliExp(num, den, random)) hits++;
      const se = Math.sqrt((p * (1 - p)) / n);
      assert.ok(Math.abs(hits / n - p) < TOLERANCE_SE * se, `γ = ${num}/${den}: ${hits / n} vs ${p}`);
    }
    assert.ok(Array.from({ length: 1000 }, () => bernoulliExp(0n, 1n, random)).every(Boolean), 'γ = 0 is always true');
  });

  test('at the production scale (12 500 grid units): mean 0, variance 2e^{−1/t}/(1−e^{−1/t})², symmetric', () => {
    const t = 12_500;
    const n = 40_000;
    const sample = draws(rational(BigInt(t)), n);
    assert.ok(sample.every(Number.isInteger), 'values lie on the grid');
    const variance = discreteLaplaceVariance(t);
    const sd = Math.sqrt(variance);
    const mean = sample.reduce((a, b) => a + b, 0) / n;
    assert.ok(Math.abs(mean) < (TOLERANCE_SE * sd) / Math.sqrt(n), `mean ${mean}`);

    // The sample variance of a Laplace variable has relative standard error √((kurtosis − 1)/n) = √(5/n).
    const sampleVariance = sample.reduce((a, z) => a + (z - mean) ** 2, 0) / (n - 1);
    const relative = sampleVariance / variance - 1;
    assert.ok(Math.abs(relative) < TOLERANCE_SE * Math.sqrt(5 / n), `variance off by ${(relative * 100).toFixed(2)}%`);
    // The same test rejects the scale of the total ε (10 000) or a scale 5% too small.
    for (const wrong of [10_000, t * 0.95]) {
      assert.ok(Math.abs(sampleVariance / discreteLaplaceVariance(wrong) - 1) > TOLERANCE_SE * Math.sqrt(5 / n), `would accept ${wrong}`);
    }

    const positive = sample.filter((z) => z > 0);
    const negative = sample.filter((z) => z < 0).map((z) => -z);
    const signs = positive.length + negative.length;
    assert.ok(Math.abs(positive.length - negative.length) < TOLERANCE_SE * Math.sqrt(signs), `${positive.length} positive, ${negative.length} negative`);
    const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // |Z| is close to geometric with mean and standard deviation ≈ t.
    const se = t * Math.sqrt(1 / positive.length + 1 / negative.length);
    assert.ok(Math.abs(meanOf(positive) - meanOf(negative)) < TOLERANCE_SE * se, 'both sides have the same magnitude');
  });

  test('at a fractional scale (3/2) the frequencies match P(z) = (1−q)/(1+q)·q^|z| with q = e^{−2/3}', () => {
    const scale = rational(3n, 2n);
    const n = 60_000;
    const sample = draws(scale, n);
    const counts = new Map<number, number>();
    for (const z of sample) counts.set(z, (counts.get(z) ?? 0) + 1);
    for (let z = -4; z <= 4; z++) {
      const p = discreteLaplaceProbability(1.5, z);
      const observed = (counts.get(z) ?? 0) / n;
      assert.ok(Math.abs(observed - p) < TOLERANCE_SE * Math.sqrt((p * (1 - p)) / n), `P(${z}): ${observed} vs ${p}`);
    }
    const mean = sample.reduce((a, b) => a + b, 0) / n;
    const variance = sample.reduce((a, z) => a + (z - mean) ** 2, 0) / (n - 1);
    assert.ok(Math.abs(mean) < (TOLERANCE_SE * Math.sqrt(discreteLaplaceVariance(1.5))) / Math.sqrt(n));
    assert.ok(Math.abs(variance / discreteLaplaceVariance(1.5) - 1) < TOLERANCE_SE * Math.sqrt(5 / n));
  });

  test('a negligible scale (a huge ε) gives exactly zero', () => {
    const plan = noisePlan(1e12, 80);
    assert.ok(draws(plan.sums.cell!.scale, 2000).every((z) => z === 0));
    assert.ok(draws(plan.count.scale, 2000).every((z) => z === 0));
  });

  test('uniform integers are unbiased, also beyond 32 bits', () => {
    const n = 30_000;
    for (const bound of [3n, 2n ** 40n + 7n]) {
      let low = 0;
      for (let i = 0; i < n; i++) {
        const x = random.below(bound);
        assert.ok(x >= 0n && x < bound);
        if (x < bound / 2n) low++;
      }
      assert.ok(Math.abs(low / n - Number(bound / 2n) / Number(bound)) < TOLERANCE_SE * Math.sqrt(0.25 / n));
    }
  });
});
