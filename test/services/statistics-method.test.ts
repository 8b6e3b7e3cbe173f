import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CryptoRandom, sampleDiscreteLaplace, toNumber } from '../../src/services/privacy.js';
import {
  BUDGET_SHARES,
  displayProbability,
  displayThreshold,
  displayThresholds,
  DOMAIN,
  figures,
  LEVELS,
  measure,
  noisePlan,
  noiseTailBound,
  type CellData,
  type CellKey,
  type DisplayRule,
} from '../../src/services/statistics-method.js';

const random = new CryptoRandom();
/** The display rule of the default configuration (K_MIN 10, intervals at most ±10 h). */
const RULE: DisplayRule = { kMin: 10, maxHalfWidthHours: 10 };
/** Every figure whose noisy count reaches its threshold, however wide its interval. */
const COUNT_ONLY: DisplayRule = { kMin: 10, maxHalfWidthHours: Infinity };

/** A small domain (2 states × 2 groups × 2 professions) keeps simulations within seconds; the formulas are the same. */
const SMALL: CellKey[] = [];
for (const state_code of ['BW', 'BY']) for (const department_group of ['chirurgie', 'innere_medizin']) for (const profession of ['physician', 'nurse']) SMALL.push({ state_code, department_group, profession });

/** n people in one cell with weekly hours spread around 52 h actual and 42 h planned (grid units: 1/100 h). */
function peopleIn(key: CellKey, n: number): CellData {
  const actual = Array.from({ length: n }, (_, i) => 4200 + ((i * 37) % 2000));
  const planned = Array.from({ length: n }, (_, i) => 3700 + ((i * 53) % 1000));
  const overtime = actual.map((a, i) => Math.max(-4000, Math.min(4000, a - planned[i]!)));
  return { ...key, n_users: n, actual_sum: actual.reduce((a, b) => a + b, 0), overtime_sum: overtime.reduce((a, b) => a + b, 0) };
}

describe('statistics method v2', () => {
  test('the domain is every state × department group × profession, and every cell and level gets a figure, empty ones included', () => {
    assert.equal(DOMAIN.length, 16 * 11 * 3);
    const plan = noisePlan(1, 80);
    const all = figures(measure([], plan, random), plan, RULE);
    const per = Object.fromEntries(LEVELS.map((level) => [level, all.filter((f) => f.level === level).length]));
    assert.deepEqual(per, { germany: 1, state: 16, department_group: 11, profession: 3, state_department_group: 176, cell: 528 });
  });

  test('the split adds up to EPSILON exactly: the count once, each measured sum twice (actual and overtime)', () => {
    for (const epsilon of [1, 0.5, 2.5]) {
      const plan = noisePlan(epsilon, 80);
      const parts = [plan.count.epsilon, ...plan.measuredLevels.flatMap((level) => [plan.sums[level]!.epsilon, plan.sums[level]!.epsilon])];
      // Exact rationals: Σ num/den compared with ε without rounding.
      const lcm = parts.reduce((d, p) => (d * p.den) / gcd(d, p.den), 1n);
      const total = parts.reduce((sum, p) => sum + (p.num * lcm) / p.den, 0n);
      const expected = noisePlan(epsilon, 80).epsilon;
      assert.equal(total * expected.den, expected.num * lcm, `ε = ${epsilon}`);
    }
    assert.deepEqual(noisePlan(1, 80).measuredLevels, ['state', 'department_group', 'profession', 'cell']);
    assert.equal(BUDGET_SHARES.count, '0.3');
  });

  test('a cell of fewer than K_MIN / 2 people is displayed with probability under 1%, and so is a state × department group', () => {
    const plan = noisePlan(1, 80);
    const epsilonCount = toNumber(plan.count.epsilon);
    const thresholds = displayThresholds(plan, 10);
    assert.equal(thresholds.cell, 18, 'the smallest threshold with P(4 + Z ≥ t) < 1% at ε_count = 0.3');
    assert.ok(displayProbability(4, thresholds.cell, epsilonCount) < 0.01);
    assert.ok(displayProbability(4, thresholds.cell - 1, epsilonCount) >= 0.01, 'one lower would break the bound');
    assert.ok(displayProbability(0, thresholds.cell, epsilonCount) < displayProbability(4, thresholds.cell, epsilonCount));
    assert.ok(displayProbability(30, thresholds.cell, epsilonCount) > 0.95, 'a cell of 30 people is (count-wise) almost always shown');
    for (const level of LEVELS) assert.ok(thresholds[level] >= 10, `${level}: at least K_MIN`);

    // Empirically with the real sampler: 4 people in one cell of a one-cell domain, 20 000 releases.
    const tiny = DOMAIN.slice(0, 1);
    const draws = 20_000;
    let shown = 0;
    for (let i = 0; i < draws; i++) {
      const counts = measure([peopleIn(tiny[0]!, 4)], plan, random, tiny).counts;
      if (counts[0]! >= thresholds.cell) shown++;
    }
    assert.ok(shown / draws < 0.012, `${shown} of ${draws} displayed`);

    // A state × department group sums the noise of its 3 cells: its threshold comes from the exact distribution of that sum.
    const sd = thresholds.state_department_group;
    let sdShown = 0;
    for (let i = 0; i < draws; i++) {
      let noisy = 4;
      for (let c = 0; c < 3; c++) noisy += Number(sampleDiscreteLaplace(plan.count.scale, random));
      if (noisy >= sd) sdShown++;
    }
    assert.ok(sdShown / draws < 0.012, `state × department group: ${sdShown} of ${draws} displayed at threshold ${sd}`);
    assert.ok(noiseTailBound(3, sd - 4, epsilonCount) < 0.01 && noiseTailBound(3, sd - 5, epsilonCount) >= 0.01);
  });

  test('the tail of a sum of noises is exact by convolution (checked by simulation) and the Chernoff bound lies above it', () => {
    const epsilon = 0.3;
    const scale = noisePlan(1, 80).count.scale;
    const draws = 40_000;
    const sums = Array.from({ length: draws }, () => {
      let s = 0;
      for (let c = 0; c < 3; c++) s += Number(sampleDiscreteLaplace(scale, random));
      return s;
    });
    for (const k of [1, 5, 10, 15]) {
      const p = noiseTailBound(3, k, epsilon);
      const measured = sums.filter((s) => s >= k).length / draws;
      assert.ok(Math.abs(measured - p) < 4 * Math.sqrt((p * (1 - p)) / draws) + 1e-4, `P(S ≥ ${k}): exact ${p}, measured ${measured}`);
    }
    // 200 cells exceed the exact computation's limit: the Chernoff bound takes over and is never below the exact tail of fewer cells.
    assert.ok(noiseTailBound(200, 60, epsilon) >= noiseTailBound(100, 60, epsilon));
    assert.ok(displayThreshold(528, 10, epsilon) > displayThreshold(48, 10, epsilon));
  });

  test('a figure is displayed only when every interval is within the maximum half-width', () => {
    const plan = noisePlan(1, 80);
    const cells = [peopleIn(SMALL[0]!, 25), peopleIn(SMALL[1]!, 400)];
    for (let i = 0; i < 20; i++) {
      const all = figures(measure(cells, plan, random, SMALL), plan, RULE, SMALL);
      for (const f of all.filter((f) => f.displayed)) assert.ok(Math.max(f.actual_ci_half, f.planned_ci_half, f.overtime_ci_half) <= 10, JSON.stringify(f));
      // 25 people in a cell: far too imprecise at EPSILON=1 (about ± 20 h); counted, never shown.
      const small = all.find((f) => f.level === 'cell' && f.unit.profession === 'physician' && f.unit.department_group === 'chirurgie' && f.unit.state_code === 'BW')!;
      assert.ok(small.actual_ci_half > 10 && !small.displayed);
    }
    // Without the maximum the same cell is shown whenever its noisy count reaches the threshold.
    const relaxed = figures(measure(cells, plan, random, SMALL), plan, COUNT_ONLY, SMALL).find((f) => f.level === 'cell' && f.n_noisy >= 18);
    assert.ok(relaxed?.displayed);
  });

  test('every level is the sum of its cells, and planned + overtime = actual in every figure', () => {
    const plan = noisePlan(1, 80);
    const cells: CellData[] = DOMAIN.slice(0, 60).map((key, i) => peopleIn(key, 5 + (i % 30)));
    const all = figures(measure(cells, plan, random), plan, RULE);
    const cellFigures = all.filter((f) => f.level === 'cell');
    const germany = all.find((f) => f.level === 'germany')!;
    assert.equal(germany.n_noisy, cellFigures.reduce((a, f) => a + f.n_noisy, 0));
    for (const state of ['BW', 'BY']) {
      const fig = all.find((f) => f.level === 'state' && f.unit.state_code === state)!;
      const members = cellFigures.filter((f) => f.unit.state_code === state);
      assert.equal(fig.n_noisy, members.reduce((a, f) => a + f.n_noisy, 0));
      // The cells' centred sums (mean − 40) × count add up to the state's (to the 1/100-hour rounding of each cell).
      if (members.every((f) => f.n_noisy >= 1) && fig.n_noisy >= 1) {
        const sums = members.reduce((a, f) => a + (f.actual_mean - 40) * f.n_noisy, 0);
        assert.ok(Math.abs(fig.actual_mean - (40 + sums / fig.n_noisy)) < 0.01 * members.length, `${state}: ${fig.actual_mean}`);
      }
    }
    for (const f of all) assert.equal(Math.round(f.planned_mean * 100 + f.overtime_mean * 100), Math.round(f.actual_mean * 100));
  });

  test('coverage: every displayed figure (actual, planned, overtime, each level) lies within its 90% interval at least 90% of the time, for every group size', () => {
    const plan = noisePlan(1, 80);
    const draws = 3000;
    for (const n of [20, 60, 150, 400, 1500]) {
      const cell = peopleIn(SMALL[0]!, n);
      const truth = { actual: cell.actual_sum / n / 100, overtime: cell.overtime_sum / n / 100 };
      const hits = new Map<string, { covered: number; total: number }>();
      for (let d = 0; d < draws; d++) {
        for (const f of figures(measure([cell], plan, random, SMALL), plan, RULE, SMALL)) {
          // The figures that contain the n people (and only them): the first cell and every level above it.
          const contains =
            (f.unit.state_code ?? 'BW') === 'BW' && (f.unit.department_group ?? 'chirurgie') === 'chirurgie' && (f.unit.profession ?? 'physician') === 'physician';
          if (!contains || !f.displayed) continue;
          for (const [q, value, half, trueValue] of [
            ['actual', f.actual_mean, f.actual_ci_half, truth.actual],
            ['planned', f.planned_mean, f.planned_ci_half, truth.actual - truth.overtime],
            ['overtime', f.overtime_mean, f.overtime_ci_half, truth.overtime],
          ] as const) {
            const key = `${f.level}/${q}`;
            const h = hits.get(key) ?? { covered: 0, total: 0 };
            h.total++;
            // The published value is rounded to 1/100 h: allow that rounding.
            if (Math.abs(value - trueValue) <= half + 0.005) h.covered++;
            hits.set(key, h);
          }
        }
      }
      for (const [key, h] of hits) {
        if (h.total < 500) continue;
        // Monte Carlo error: at 3000 draws one standard error is 0.0055; 3.5 of them keep this test from failing by chance.
        const se = Math.sqrt((0.9 * 0.1) / h.total);
        assert.ok(h.covered / h.total >= 0.9 - 3.5 * se, `n = ${n}, ${key}: coverage ${(h.covered / h.total).toFixed(3)} over ${h.total}`);
      }
    }
  });
});

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
