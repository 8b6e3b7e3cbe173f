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
 *   people: the target group), gynaecology / obstetrics 7, paediatrics 6, emergency 5, diagnostics /
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
import { DOMAIN, figures, GRID_PER_HOUR, LEVELS, measure, noisePlan, unitOf, type CellData, type Level } from '../src/services/statistics-method.js';
import { NOT_SPECIFIED, STATE_CODES } from '../src/services/taxonomy.js';

const PEOPLE = 5000;
const RELEASES = Number(process.env.BENCH_RELEASES ?? 200);
const EPSILON = Number(process.env.BENCH_EPSILON ?? 1);
const K_MIN = 10;
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

type Key = string;
const keyOf = (unit: { state_code: string | null; department_group: string | null; profession: string | null }): Key =>
  `${unit.state_code ?? '*'}|${unit.department_group ?? '*'}|${unit.profession ?? '*'}`;

/** The truth of every unit of every level: people and mean clipped hours. */
function truths(cap: number): Map<Level, Map<Key, { n: number; actual: number; overtime: number }>> {
  const out = new Map<Level, Map<Key, { n: number; actual: number; planned: number; overtime: number }>>();
  for (const level of LEVELS) {
    const units = new Map<Key, { n: number; actual: number; planned: number; overtime: number }>();
    for (const p of people) {
      const key = keyOf(unitOf(level, p));
      const u = units.get(key) ?? { n: 0, actual: 0, planned: 0, overtime: 0 };
      u.n += 1;
      u.actual += clip(p.actual, cap);
      u.planned += clip(p.planned, cap);
      units.set(key, u);
    }
    for (const u of units.values()) {
      u.actual /= u.n * GRID_PER_HOUR;
      u.planned /= u.n * GRID_PER_HOUR;
      u.overtime = u.actual - u.planned;
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

// ---- v2 (the current method) ----
const plan = noisePlan(EPSILON, CAP);
const cells = new Map<Key, CellData>();
for (const p of people) {
  const key = keyOf(p);
  const cell = cells.get(key) ?? { state_code: p.state_code, department_group: p.department_group, profession: p.profession, n_users: 0, actual_sum: 0, planned_sum: 0 };
  cell.n_users += 1;
  cell.actual_sum += clip(p.actual, CAP);
  cell.planned_sum += clip(p.planned, CAP);
  cells.set(key, cell);
}
const truthV2 = truths(CAP);
const v2 = new Tally();
/** The target: Germany by department group, for the group of about 500 people. */
const TARGET = 'anaesthesiologie_intensiv';
const targetKey = keyOf({ state_code: null, department_group: TARGET, profession: null });
const targetSamples: { a: number; o: number }[] = [];
const started = performance.now();
for (let r = 0; r < RELEASES; r++) {
  for (const figure of figures(measure([...cells.values()], plan, random), plan, K_MIN)) {
    const truth = truthV2.get(figure.level)!.get(keyOf(figure.unit));
    v2.display(figure.level, truth !== undefined, figure.displayed);
    if (!truth || !figure.displayed) continue;
    if (figure.level === 'department_group' && keyOf(figure.unit) === targetKey) targetSamples.push({ a: figure.actual_ci_half, o: figure.overtime_ci_half });
    v2.add(figure.level, {
      actualHalf: figure.actual_ci_half,
      overtimeHalf: figure.overtime_ci_half,
      actualCovered: Math.abs(figure.actual_mean - truth.actual) <= figure.actual_ci_half,
      overtimeCovered: Math.abs(figure.overtime_mean - truth.overtime) <= figure.overtime_ci_half,
      actualError: figure.actual_mean - truth.actual,
      overtimeError: figure.overtime_mean - truth.overtime,
    });
  }
}
const v2Seconds = (performance.now() - started) / 1000;

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
      v1.add(level, {
        actualHalf: figure.ciA,
        overtimeHalf: figure.ciO,
        actualCovered: Math.abs(figure.actual - truth.actual) <= figure.ciA,
        overtimeCovered: Math.abs(figure.overtime - truth.overtime) <= figure.ciO,
        actualError: figure.actual - truth.actual,
        overtimeError: figure.overtime - truth.overtime,
      });
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
console.log(`# Statistics utility: ${PEOPLE} people, EPSILON = ${EPSILON}, K_MIN = ${K_MIN}, ${RELEASES} releases (v2 ${fmt(v2Seconds, 1)} s)\n`);
console.log('| Level | Method | Units with people | Displayed | Median ± actual (h) | Median ± overtime (h) | Coverage actual | Coverage overtime | Bias actual (h) | Bias overtime (h) |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const level of LEVELS) {
  for (const [name, tally] of [['v2', v2], ['v1', v1]] as const) {
    const samples = tally.samples.get(level) ?? [];
    const shown = tally.shown.get(level);
    const displayed = shown ? `${fmt((100 * shown.shown) / shown.eligible, 1)} %` : samples.length > 0 ? '100 %' : 'n/a';
    if (samples.length === 0) {
      console.log(`| ${LABELS[level]} | ${name} | ${unitsWithPeople(level)} | not published | | | | | | |`);
      continue;
    }
    console.log(
      `| ${LABELS[level]} | ${name} | ${unitsWithPeople(level)} | ${displayed} | ${fmt(median(samples.map((s) => s.actualHalf)))} | ${fmt(median(samples.map((s) => s.overtimeHalf)))} | ` +
        `${fmt(mean(samples.map((s) => (s.actualCovered ? 1 : 0))), 3)} | ${fmt(mean(samples.map((s) => (s.overtimeCovered ? 1 : 0))), 3)} | ` +
        `${fmt(mean(samples.map((s) => s.actualError)))} | ${fmt(mean(samples.map((s) => s.overtimeError)))} |`,
    );
  }
}
const phantoms = v2.shown.get('cell')?.phantoms ?? 0;
console.log(`\nv2: empty cells displayed (noisy count ≥ ${K_MIN} out of nobody): ${fmt(phantoms / RELEASES, 2)} per release, of ${DOMAIN.length - cells.size} empty cells.`);
console.log(`Target group (${TARGET}, ${truthV2.get('department_group')!.get(targetKey)!.n} people):`);
console.log(`  v2 median 90% half-width: actual ± ${fmt(median(targetSamples.map((s) => s.a)))} h, overtime ± ${fmt(median(targetSamples.map((s) => s.o)))} h (target ± 2.5 h)`);
