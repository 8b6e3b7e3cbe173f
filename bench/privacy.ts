/**
 * Utility benchmark of the statistics method (issue 13): how precise and how honest the published figures
 * are, for a synthetic month, with the real noise sampler, compared with the first method (v1).
 *
 *   npm run bench:privacy                          # EPSILON=1, 200 releases
 *   BENCH_RELEASES=50 BENCH_EPSILON=0.5 npm run bench:privacy
 *
 * The population: 5,000 people, drawn once from a fixed seed (the same population every run), spread
 * roughly the way German hospital staff are:
 * - states in proportion to their population (hospital staff follow it closely): NW 21.6 %, BY 15.9,
 *   BW 13.4, NI 9.6, HE 7.6, SN 4.9, RP 4.9, BE 4.4, SH 3.5, BB 3.0, ST 2.6, TH 2.5, HH 2.2, MV 1.9, SL 1.2,
 *   HB 0.8;
 * - department groups as the staff of German hospital departments (internal medicine and surgery are the
 *   largest): internal medicine 25 %, surgery 20, neurology / psychiatry 12, anaesthesiology / ICU 10 (500
 *   people: the issue's target group), gynaecology / obstetrics 7, paediatrics 6, emergency 5, diagnostics /
 *   radiology 5, other 4, ENT / eyes / MKG 3, not specified 3;
 * - professions: nurses 55 %, physicians 35 %, other 10 %;
 * - each person's mean weekly hours: actual ~ Normal(52, 10), planned ~ Normal(42, 5), independent, on the
 *   1/100-hour grid, clipped to [0, WEEKLY_HOURS_CAP] as the service clips them.
 *
 * For each level (Germany, state, department group, profession, state × department group, cell) and every
 * displayed figure of a unit with people in it, over all releases: the median 90% half-width of actual hours
 * and of overtime, the coverage (how often the true mean lies within the published interval) and the bias
 * (the mean of published − true). The truth is the mean of the people counted, clipped at the method's cap.
 *
 * v1 (the method on main before issue 13): per state × specialty cell, exact count, k = 10 on it, cap 100 h,
 * discrete Laplace on the clipped sums with ε 0.8 (actual) and 0.2 (planned), the mean clamped to [0, cap],
 * n rounded down to a multiple of 5, intervals cap·ln 10 / (ε·n) and cap·ln 20·(1/ε_a + 1/ε_p) / n for
 * overtime. It had no levels: its Germany, state and department-group figures are what the public page made
 * of the published cells (means weighted by n, intervals as the root of the sum of squared weighted ones);
 * it had no professions.
 */
import { CryptoRandom, multiply, rational, rationalFromNumber, sampleDiscreteLaplace } from '../src/services/privacy.js';
import {
  BUDGET_SHARES,
  displayThresholds,
  DOMAIN,
  figures,
  GRID_PER_HOUR,
  LEVELS,
  measure,
  noisePlan,
  overtimeBound,
  unitOf,
  type BudgetShares,
  type CellData,
  type Level,
} from '../src/services/statistics-method.js';
import { NOT_SPECIFIED, STATE_CODES } from '../src/services/taxonomy.js';

const PEOPLE = 5000;
const RELEASES = Number(process.env.BENCH_RELEASES ?? 200);
const EPSILON = Number(process.env.BENCH_EPSILON ?? 1);
const K_MIN = 10;
const MAX_HALF_WIDTH_HOURS = Number(process.env.BENCH_MAX_HALF_WIDTH_HOURS ?? 10);
const CAP = 80;
const V1_CAP = 100;

const STATE_SHARES: Record<string, number> = {
  NW: 21.6, BY: 15.9, BW: 13.4, NI: 9.6, HE: 7.6, SN: 4.9, RP: 4.9, BE: 4.4,
  SH: 3.5, BB: 3.0, ST: 2.6, TH: 2.5, HH: 2.2, MV: 1.9, SL: 1.2, HB: 0.8,
};
const GROUP_SHARES: Record<string, number> = {
  innere_medizin: 25, chirurgie: 20, neurologie_psychiatrie: 12, anaesthesiologie_intensiv: 10,
  gynaekologie_geburtshilfe: 7, paediatrie: 6, notaufnahme: 5, diagnostik_radiologie: 5, sonstige: 4,
  hno_augen_mkg: 3, [NOT_SPECIFIED]: 3,
};
const PROFESSION_SHARES: Record<string, number> = { nurse: 55, physician: 35, other: 10 };

/** mulberry32: a small seeded generator, so that every run benchmarks the same population. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const uniform = seeded(20260513);
const normal = (mean: number, sd: number) => mean + sd * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
function pick(shares: Record<string, number>): string {
  const total = Object.values(shares).reduce((a, b) => a + b, 0);
  let u = uniform() * total;
  for (const [key, share] of Object.entries(shares)) if ((u -= share) < 0) return key;
  return Object.keys(shares).at(-1)!;
}

interface Person {
  state_code: string;
  department_group: string;
  profession: string;
  /** Unclipped weekly hours on the grid. */
  actual: number;
  planned: number;
}
if (Object.keys(STATE_SHARES).sort().join() !== [...STATE_CODES].sort().join()) throw new Error('STATE_SHARES must list every state');
const people: Person[] = Array.from({ length: PEOPLE }, () => ({
  state_code: pick(STATE_SHARES),
  department_group: pick(GROUP_SHARES),
  profession: pick(PROFESSION_SHARES),
  actual: Math.round(normal(52, 10) * GRID_PER_HOUR),
  planned: Math.round(normal(42, 5) * GRID_PER_HOUR),
}));
const clip = (grid: number, cap: number) => Math.min(Math.max(grid, 0), cap * GRID_PER_HOUR);
/** A person's overtime as the service computes it: clipped actual − clipped planned, clipped to ± `bound` (grid units). */
const overtimeOf = (p: Person, cap: number, bound: number) => Math.min(Math.max(clip(p.actual, cap) - clip(p.planned, cap), -bound), bound);

type Key = string;
const keyOf = (unit: { state_code: string | null; department_group: string | null; profession: string | null }): Key =>
  `${unit.state_code ?? '*'}|${unit.department_group ?? '*'}|${unit.profession ?? '*'}`;

/** The truth of every unit of every level: people and mean clipped hours. */
function truths(cap: number, overtimeClip = Infinity): Map<Level, Map<Key, { n: number; actual: number; overtime: number }>> {
  const out = new Map<Level, Map<Key, { n: number; actual: number; planned: number; overtime: number }>>();
  for (const level of LEVELS) {
    const units = new Map<Key, { n: number; actual: number; planned: number; overtime: number }>();
    for (const p of people) {
      const key = keyOf(unitOf(level, p));
      const u = units.get(key) ?? { n: 0, actual: 0, planned: 0, overtime: 0 };
      u.n += 1;
      u.actual += clip(p.actual, cap);
      u.overtime += overtimeOf(p, cap, overtimeClip);
      units.set(key, u);
    }
    for (const u of units.values()) {
      u.actual /= u.n * GRID_PER_HOUR;
      u.overtime /= u.n * GRID_PER_HOUR;
      u.planned = u.actual - u.overtime;
    }
    out.set(level, units);
  }
  return out;
}

interface Sample {
  actualHalf: number;
  overtimeHalf: number;
  actualCovered: boolean;
  overtimeCovered: boolean;
  actualError: number;
  overtimeError: number;
}
/** A published figure against the truth of its unit. */
function sampleOf(
  figure: { actual: number; overtime: number; ciA: number; ciO: number },
  truth: { actual: number; overtime: number },
): Sample {
  return {
    actualHalf: figure.ciA,
    overtimeHalf: figure.ciO,
    actualCovered: Math.abs(figure.actual - truth.actual) <= figure.ciA,
    overtimeCovered: Math.abs(figure.overtime - truth.overtime) <= figure.ciO,
    actualError: figure.actual - truth.actual,
    overtimeError: figure.overtime - truth.overtime,
  };
}
class Tally {
  readonly samples = new Map<Level, Sample[]>();
  readonly shown = new Map<Level, { shown: number; eligible: number; phantoms: number }>();
  add(level: Level, sample: Sample) {
    const list = this.samples.get(level) ?? [];
    list.push(sample);
    this.samples.set(level, list);
  }
  display(level: Level, withPeople: boolean, displayed: boolean) {
    const d = this.shown.get(level) ?? { shown: 0, eligible: 0, phantoms: 0 };
    if (withPeople) {
      d.eligible += 1;
      if (displayed) d.shown += 1;
    } else if (displayed) d.phantoms += 1;
    this.shown.set(level, d);
  }
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

const random = new CryptoRandom();

// ---- v2 (the current method), and the same method with every sum measured on the cells only ----
const truthV2 = truths(CAP, overtimeBound(CAP * GRID_PER_HOUR));
/** The issue's target: Germany by department group, for the group of about 500 people. */
const TARGET = 'anaesthesiologie_intensiv';
const targetKey = keyOf({ state_code: null, department_group: TARGET, profession: null });

function benchV2(shares: BudgetShares, maxHalfWidthHours: number) {
  const plan = noisePlan(EPSILON, CAP, shares);
  const cells = new Map<Key, CellData>();
  for (const p of people) {
    const key = keyOf(p);
    const cell = cells.get(key) ?? { state_code: p.state_code, department_group: p.department_group, profession: p.profession, n_users: 0, actual_sum: 0, overtime_sum: 0 };
    cell.n_users += 1;
    cell.actual_sum += clip(p.actual, CAP);
    cell.overtime_sum += overtimeOf(p, CAP, overtimeBound(plan.capGrid));
    cells.set(key, cell);
  }
  const tally = new Tally();
  const target: { a: number; o: number }[] = [];
  const started = performance.now();
  for (let r = 0; r < RELEASES; r++) {
    for (const figure of figures(measure([...cells.values()], plan, random), plan, { kMin: K_MIN, maxHalfWidthHours })) {
      const truth = truthV2.get(figure.level)!.get(keyOf(figure.unit));
      tally.display(figure.level, truth !== undefined, figure.displayed);
      if (figure.level === 'department_group' && keyOf(figure.unit) === targetKey) target.push({ a: figure.actual_ci_half, o: figure.overtime_ci_half });
      if (!truth || !figure.displayed) continue;
      tally.add(figure.level, sampleOf({ actual: figure.actual_mean, overtime: figure.overtime_mean, ciA: figure.actual_ci_half, ciO: figure.overtime_ci_half }, truth));
    }
  }
  return { plan, tally, target, cells: cells.size, seconds: (performance.now() - started) / 1000 };
}
/** Every figure, however wide its interval: what the levels' precision is, before the display rule hides any. */
const NO_PRECISION_RULE = Infinity;
const v2 = benchV2(BUDGET_SHARES, NO_PRECISION_RULE);
const cellsOnlyShares: BudgetShares = { count: BUDGET_SHARES.count, sums: { cell: String((1 - Number(BUDGET_SHARES.count)) / 2) } };
const cellsOnly = benchV2(cellsOnlyShares, NO_PRECISION_RULE);
const v2Shown = benchV2(BUDGET_SHARES, MAX_HALF_WIDTH_HOURS);

// ---- v1 (the method on main before issue 13) ----
const truthV1 = truths(V1_CAP);
const v1 = new Tally();
const capGridV1 = V1_CAP * GRID_PER_HOUR;
const eps = rationalFromNumber(EPSILON);
const epsActual = multiply(eps, rationalFromNumber(0.8));
const epsPlanned = multiply(eps, rationalFromNumber(0.2));
const scaleOf = (e: { num: bigint; den: bigint }) => rational(BigInt(capGridV1) * e.den, e.num);
const scaleActual = scaleOf(epsActual);
const scalePlanned = scaleOf(epsPlanned);
const ceilCent = (hours: number) => Math.ceil(hours * 100 - 1e-9) / 100;
const v1Cells = new Map<Key, { state_code: string; department_group: string; n: number; actual: number; planned: number }>();
for (const p of people) {
  const key = keyOf(unitOf('state_department_group', p));
  const cell = v1Cells.get(key) ?? { state_code: p.state_code, department_group: p.department_group, n: 0, actual: 0, planned: 0 };
  cell.n += 1;
  cell.actual += clip(p.actual, V1_CAP);
  cell.planned += clip(p.planned, V1_CAP);
  v1Cells.set(key, cell);
}
interface V1Row { state_code: string; department_group: string; nPub: number; actual: number; planned: number; overtime: number; ciA: number; ciP: number; ciO: number }
for (let r = 0; r < RELEASES; r++) {
  const rows: V1Row[] = [];
  for (const cell of v1Cells.values()) {
    const shown = cell.n >= K_MIN;
    v1.display('state_department_group', true, shown);
    if (!shown) continue;
    const noisy = (sum: number, scale: typeof scaleActual) =>
      Math.min(Math.max(Math.round((sum + Number(sampleDiscreteLaplace(scale, random))) / cell.n), 0), capGridV1);
    const actual = noisy(cell.actual, scaleActual);
    const planned = noisy(cell.planned, scalePlanned);
    const nPub = Math.floor(cell.n / 5) * 5;
    const eA = 0.8 * EPSILON;
    const eP = 0.2 * EPSILON;
    rows.push({
      state_code: cell.state_code,
      department_group: cell.department_group,
      nPub,
      actual: actual / GRID_PER_HOUR,
      planned: planned / GRID_PER_HOUR,
      overtime: (actual - planned) / GRID_PER_HOUR,
      ciA: ceilCent((V1_CAP * Math.log(10)) / (eA * nPub)),
      ciP: ceilCent((V1_CAP * Math.log(10)) / (eP * nPub)),
      ciO: ceilCent((V1_CAP * Math.log(20) * (1 / eA + 1 / eP)) / nPub),
    });
  }
  // The public page's combination of published cells into a level.
  const combine = (level: Level, members: V1Row[]) => {
    const n = members.reduce((s, m) => s + m.nPub, 0);
    const w = (m: V1Row) => m.nPub / n;
    return {
      actual: members.reduce((s, m) => s + w(m) * m.actual, 0),
      overtime: members.reduce((s, m) => s + w(m) * m.overtime, 0),
      ciA: Math.sqrt(members.reduce((s, m) => s + (w(m) * m.ciA) ** 2, 0)),
      ciO: Math.sqrt(members.reduce((s, m) => s + (w(m) * m.ciO) ** 2, 0)),
      level,
    };
  };
  const byLevel: [Level, (row: V1Row) => Key][] = [
    ['germany', () => keyOf({ state_code: null, department_group: null, profession: null })],
    ['state', (row) => keyOf({ state_code: row.state_code, department_group: null, profession: null })],
    ['department_group', (row) => keyOf({ state_code: null, department_group: row.department_group, profession: null })],
    ['state_department_group', (row) => keyOf({ state_code: row.state_code, department_group: row.department_group, profession: null })],
  ];
  for (const [level, keyFor] of byLevel) {
    const groups = new Map<Key, V1Row[]>();
    for (const row of rows) groups.set(keyFor(row), [...(groups.get(keyFor(row)) ?? []), row]);
    for (const [key, members] of groups) {
      const figure = combine(level, members);
      const truth = truthV1.get(level)!.get(key)!;
      v1.add(level, sampleOf(figure, truth));
    }
  }
}

// ---- report ----
const fmt = (x: number, digits = 2) => (Number.isNaN(x) ? 'n/a' : x.toFixed(digits));
const LABELS: Record<Level, string> = {
  germany: 'Germany',
  state: 'State',
  department_group: 'Department group',
  profession: 'Profession',
  state_department_group: 'State × department group',
  cell: 'Cell (state × group × profession)',
};
const unitsWithPeople = (level: Level) => truthV2.get(level)!.size;
const thresholds = displayThresholds(v2.plan, K_MIN);
console.log(
  `# Statistics utility: ${PEOPLE} people, EPSILON = ${EPSILON}, K_MIN = ${K_MIN}, ${RELEASES} releases ` +
    `(v2 ${fmt(v2.seconds, 1)} s per ${RELEASES})\n`,
);
console.log('Methods: "v2" = the chosen split, every figure whose noisy count reaches its threshold; "v2 shown" = the same');
console.log(`releases as published, i.e. also with every 90% interval at most ±${MAX_HALF_WIDTH_HOURS} h; "v2 cells only" = the same`);
console.log('ε spent on sums measured on the cells only, every other level post-processed; "v1" = the first method.\n');
console.log('| Level | Method | Units with people | Displayed | Median ± actual (h) | Median ± overtime (h) | Coverage actual | Coverage overtime | Bias actual (h) | Bias overtime (h) |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const level of LEVELS) {
  const methods = [['v2', v2.tally], ['v2 shown', v2Shown.tally], ['v2 cells only', cellsOnly.tally], ['v1', v1]] as const;
  for (const [name, tally] of methods) {
    const samples = tally.samples.get(level) ?? [];
    const shown = tally.shown.get(level);
    const displayed = shown ? `${fmt((100 * shown.shown) / shown.eligible, 1)} %` : samples.length > 0 ? '100 %' : 'n/a';
    if (samples.length === 0) {
      console.log(`| ${LABELS[level]} | ${name} | ${unitsWithPeople(level)} | ${name === 'v1' ? 'not published' : displayed} | | | | | | |`);
      continue;
    }
    console.log(
      `| ${LABELS[level]} | ${name} | ${unitsWithPeople(level)} | ${displayed} | ${fmt(median(samples.map((s) => s.actualHalf)))} | ${fmt(median(samples.map((s) => s.overtimeHalf)))} | ` +
        `${fmt(mean(samples.map((s) => (s.actualCovered ? 1 : 0))), 3)} | ${fmt(mean(samples.map((s) => (s.overtimeCovered ? 1 : 0))), 3)} | ` +
        `${fmt(mean(samples.map((s) => s.actualError)))} | ${fmt(mean(samples.map((s) => s.overtimeError)))} |`,
    );
  }
}
const phantoms = v2Shown.tally.shown.get('cell')?.phantoms ?? 0;
console.log(`\nDisplay thresholds (noisy count) per level: ${LEVELS.map((l) => `${l} ${thresholds[l]}`).join(', ')}.`);
console.log(`v2 shown: empty cells displayed: ${fmt(phantoms / RELEASES, 2)} per release, of ${DOMAIN.length - v2.cells} empty cells.`);
console.log(`Target group (${TARGET}, ${truthV2.get('department_group')!.get(targetKey)!.n} people), median 90% half-width (target ± 2.5 h):`);
// A half-width is √(Var ΔS + d²·Var ΔN) / N̂ with variances that do not depend on the data: it scales as 1 / people.
const targetPeople = truthV2.get('department_group')!.get(targetKey)!.n;
const at500 = (half: number) => (half * targetPeople) / 500;
for (const [name, run] of [['v2', v2], ['v2 cells only', cellsOnly]] as const) {
  const a = median(run.target.map((s) => s.a));
  const o = median(run.target.map((s) => s.o));
  console.log(`  ${name}: actual ± ${fmt(a)} h, overtime ± ${fmt(o)} h; for 500 people: actual ± ${fmt(at500(a))} h, overtime ± ${fmt(at500(o))} h`);
}
