import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CryptoRandom } from '../../src/services/privacy.js';
import { displayProbability, DOMAIN, figures, LEVELS, measure, noisePlan, type CellData, type CellKey } from '../../src/services/statistics-method.js';

const random = new CryptoRandom();

describe('statistics method v2', () => {
  test('the domain is every state × department group × profession, and every cell and level gets a figure, empty ones included', () => {
    assert.equal(DOMAIN.length, 16 * 11 * 3);
    const plan = noisePlan(1, 80);
    const all = figures(measure([], plan, random), plan, 10);
    const per = Object.fromEntries(LEVELS.map((level) => [level, all.filter((f) => f.level === level).length]));
    assert.deepEqual(per, { germany: 1, state: 16, department_group: 11, profession: 3, state_department_group: 176, cell: 528 });
  });

  test('the split adds up to EPSILON exactly, and a cell of fewer than K_MIN / 2 people is displayed with probability under 1%', () => {
    const plan = noisePlan(1, 80);
    const sum = (r: { num: bigint; den: bigint }[]) => r.reduce((a, b) => a + Number(b.num) / Number(b.den), 0);
    const parts = [plan.count.epsilon, ...Object.values(plan.sums.actual).map((p) => p.epsilon), ...Object.values(plan.sums.planned).map((p) => p.epsilon)];
    assert.ok(Math.abs(sum(parts) - 1) < 1e-12);
    // 4 people: P(Z ≥ 6) = e^{-6·0.72} / (1 + e^{-0.72})
    assert.ok(displayProbability(4, 10, 0.72) < 0.01);
    assert.ok(Math.abs(displayProbability(4, 10, 0.72) - Math.exp(-4.32) / (1 + Math.exp(-0.72))) < 1e-15);
    assert.ok(displayProbability(0, 10, 0.72) < displayProbability(4, 10, 0.72));
    assert.ok(displayProbability(10, 10, 0.72) > 0.5);
    // Empirically with the real sampler: 4 people, 20 000 draws of the count's noise.
    const m = 20_000;
    let shown = 0;
    const cells: CellData[] = [{ ...DOMAIN[0]!, n_users: 4, actual_sum: 0, planned_sum: 0 }];
    const tiny = DOMAIN.slice(0, 1);
    for (let i = 0; i < m; i++) if (figures(measure(cells, plan, random, tiny), plan, 10, tiny).find((f) => f.level === 'cell')!.displayed) shown++;
    assert.ok(shown / m < 0.012, `${shown} of ${m} displayed`);
  });

  test('every level is the sum of its cells: marginals equal the post-processed cells', () => {
    const plan = noisePlan(1, 80);
    const cells: CellData[] = DOMAIN.slice(0, 60).map((key, i) => ({ ...key, n_users: 5 + (i % 30), actual_sum: (5 + (i % 30)) * 5200, planned_sum: (5 + (i % 30)) * 4200 }));
    const all = figures(measure(cells, plan, random), plan, 10);
    const cellFigures = all.filter((f) => f.level === 'cell');
    const germany = all.find((f) => f.level === 'germany')!;
    // Counts add up exactly; the weighted means of the cells give Germany's mean (up to the 1/100-hour rounding).
    assert.equal(germany.n_noisy, cellFigures.reduce((a, f) => a + f.n_noisy, 0));
    for (const state of ['BW', 'BY']) {
      const fig = all.find((f) => f.level === 'state' && f.unit.state_code === state)!;
      const members = cellFigures.filter((f) => f.unit.state_code === state);
      assert.equal(fig.n_noisy, members.reduce((a, f) => a + f.n_noisy, 0));
      const sums = members.reduce((a, f) => a + (f.actual_mean - 40) * Math.max(f.n_noisy, 1), 0);
      const expected = 40 + sums / Math.max(fig.n_noisy, 1);
      // Cells with a noisy count below 1 are divided by 1: compare only when no cell is below 1.
      if (members.every((f) => f.n_noisy >= 1)) assert.ok(Math.abs(fig.actual_mean - expected) < 0.01 * members.length, `${fig.actual_mean} vs ${expected}`);
    }
  });

  test('coverage: every figure (actual, planned, overtime, each level) lies within its 90% interval at least 90% of the time, for every group size', () => {
    // A small domain keeps the simulation within seconds; the interval formula is the same for any domain.
    const domain: CellKey[] = [];
    for (const state_code of ['BW', 'BY']) for (const department_group of ['chirurgie', 'innere_medizin']) for (const profession of ['physician', 'nurse']) domain.push({ state_code, department_group, profession });
    const plan = noisePlan(1, 80);
    const draws = 1500;
    for (const n of [10, 25, 100, 500]) {
      // n people in the first cell, around 52 h actual and 42 h planned (in grid units, clipped to [0, 8000]).
      const actual = Array.from({ length: n }, (_, i) => 4200 + ((i * 37) % 2000));
      const planned = Array.from({ length: n }, (_, i) => 3700 + ((i * 53) % 1000));
      const cells: CellData[] = [{ ...domain[0]!, n_users: n, actual_sum: actual.reduce((a, b) => a + b, 0), planned_sum: planned.reduce((a, b) => a + b, 0) }];
      const truth = { actual: cells[0]!.actual_sum / n / 100, planned: cells[0]!.planned_sum / n / 100 };
      const hits = new Map<string, { covered: number; total: number }>();
      for (let d = 0; d < draws; d++) {
        for (const f of figures(measure(cells, plan, random, domain), plan, 10, domain)) {
          // The figures that contain the n people (and only them): the first cell and every level above it.
          const contains =
            f.level === 'germany' ||
            (f.unit.state_code ?? 'BW') === 'BW' && (f.unit.department_group ?? 'chirurgie') === 'chirurgie' && (f.unit.profession ?? 'physician') === 'physician';
          if (!contains || !f.displayed) continue;
          for (const [q, value, half, trueValue] of [
            ['actual', f.actual_mean, f.actual_ci_half, truth.actual],
            ['planned', f.planned_mean, f.planned_ci_half, truth.planned],
            ['overtime', f.overtime_mean, f.overtime_ci_half, truth.actual - truth.planned],
          ] as const) {
            const key = `${f.level}/${q}`;
            const h = hits.get(key) ?? { covered: 0, total: 0 };
            h.total++;
            // The published value is rounded to 1/100 h: allow that rounding.
            if (Math.abs(value - trueValue) <= half + 0.01) h.covered++;
            hits.set(key, h);
          }
        }
      }
      for (const [key, h] of hits) {
        if (h.total < 200) continue;
        // The binomial standard error at 1500 draws is 0.008: require the measured coverage above 0.9 − 2 SE.
        const se = Math.sqrt((0.9 * 0.1) / h.total);
        assert.ok(h.covered / h.total >= 0.9 - 2 * se, `n = ${n}, ${key}: coverage ${(h.covered / h.total).toFixed(3)} over ${h.total}`);
      }
    }
  });
});
