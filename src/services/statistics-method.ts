/**
 * The statistics method 'v2-bounded-mean-2026' (issue 13), as pure functions: the public domain of cells,
 * the privacy budget split, the noisy measurements, their consistent combination into every published level
 * and each figure's 90% interval. docs/privacy.md explains it; keep the two in step.
 *
 * Per month, every cell of the domain (state × department group × profession, empty ones included) gets a
 * noisy count; the clipped sums of actual and planned hours are measured, with independent noise, at five
 * levels (Germany, state, department group, profession, cell). A generalized least-squares fit turns these
 * measurements into one set of cell totals, so that every level is the sum of its cells (consistent) and
 * uses every measurement that says something about it. Means are ratios of noisy values (bounded mean:
 * clipped values around the public midpoint cap / 2, so the count's noise barely moves the mean).
 */
import { discreteLaplaceVariance, multiply, rational, rationalFromNumber, sampleDiscreteLaplace, toNumber, type CryptoRandom, type Rational } from './privacy.js';
import { PROFESSION_CODES, SPECIALTY_KEYS, STATE_CODES } from './taxonomy.js';

/** The name of this method, stored with every row it publishes. */
export const METHOD = 'v2-bounded-mean-2026';
/** Rows published by the first method (per state × specialty, exact k, rounded n, no method column). */
export const LEGACY_METHOD = 'v1-laplace-2026';

/** Published hours are on a grid of 1/100 hour. */
export const GRID_PER_HOUR = 100;
/** The multiplier of a figure's standard deviation that gives its 90% interval (verified by simulation in the tests). */
export const Z90 = 1.65;

export const LEVELS = ['germany', 'state', 'department_group', 'profession', 'state_department_group', 'cell'] as const;
export type Level = (typeof LEVELS)[number];
/** The levels whose sums are measured directly; the others are sums of cells only. */
export const MEASURED_LEVELS = ['germany', 'state', 'department_group', 'profession', 'cell'] as const;
type MeasuredLevel = (typeof MEASURED_LEVELS)[number];

export interface CellKey {
  state_code: string;
  department_group: string;
  profession: string;
}

/** Every cell that can exist, known before any data is seen: 16 states × 11 department groups × 3 professions. */
export const DOMAIN: readonly CellKey[] = STATE_CODES.flatMap((state_code) =>
  SPECIALTY_KEYS.flatMap((department_group) => PROFESSION_CODES.map((profession) => ({ state_code, department_group, profession }))),
);

/** The key of the unit of `level` that a cell belongs to (fields not part of the level are null). */
export function unitOf(level: Level, cell: CellKey): CellKey | { state_code: string | null; department_group: string | null; profession: string | null } {
  switch (level) {
    case 'germany':
      return { state_code: null, department_group: null, profession: null };
    case 'state':
      return { state_code: cell.state_code, department_group: null, profession: null };
    case 'department_group':
      return { state_code: null, department_group: cell.department_group, profession: null };
    case 'profession':
      return { state_code: null, department_group: null, profession: cell.profession };
    case 'state_department_group':
      return { state_code: cell.state_code, department_group: cell.department_group, profession: null };
    case 'cell':
      return cell;
  }
}

export type UnitKey = ReturnType<typeof unitOf>;
const keyString = (unit: UnitKey) => `${unit.state_code ?? '*'}|${unit.department_group ?? '*'}|${unit.profession ?? '*'}`;

/**
 * How EPSILON is split, as shares that add up to exactly 1 (docs/privacy.md, "The budget"). The count is
 * measured on cells only (0.72 makes a cell of fewer than K_MIN / 2 people displayed with probability under
 * 1%); the sums mostly at the department-group level, which must reach ±2.5 h for a group of 500 people.
 */
export const BUDGET_SHARES = {
  count: { cell: '0.72' },
  actual: { germany: '0.0025', state: '0.015', department_group: '0.11', profession: '0.0025', cell: '0.01' },
  planned: { germany: '0.0025', state: '0.015', department_group: '0.11', profession: '0.0025', cell: '0.01' },
} as const satisfies { count: { cell: string }; actual: Record<MeasuredLevel, string>; planned: Record<MeasuredLevel, string> };

/** The exact ε of each measurement and the scale of its discrete Laplace noise (in grid units, exact). */
export interface NoisePlan {
  epsilon: Rational;
  /** The count's ε and noise scale (sensitivity 1). */
  count: { epsilon: Rational; scale: Rational; variance: number };
  /** Per measured level: ε and noise scale of the sum Σ(2x − cap) (sensitivity cap), same for actual and planned. */
  sums: Record<'actual' | 'planned', Record<MeasuredLevel, { epsilon: Rational; scale: Rational; variance: number }>>;
  capGrid: number;
}

export function noisePlan(epsilon: number, weeklyHoursCap: number): NoisePlan {
  const total = rationalFromNumber(epsilon);
  // Exactly, from the decimal as written, and rounded down: clipping then keeps every person within the sensitivity.
  const cap = multiply(rationalFromNumber(weeklyHoursCap), rational(BigInt(GRID_PER_HOUR)));
  const capGrid = Number(cap.num / cap.den);
  const part = (share: string, sensitivity: bigint) => {
    const eps = multiply(total, rationalFromNumber(Number(share)));
    const scale = rational(sensitivity * eps.den, eps.num);
    // A floor keeps the least-squares weights finite when ε is so large that the noise is exactly zero.
    return { epsilon: eps, scale, variance: Math.max(discreteLaplaceVariance(toNumber(scale)), 1e-9) };
  };
  const sums = (shares: Record<MeasuredLevel, string>) =>
    Object.fromEntries(MEASURED_LEVELS.map((level) => [level, part(shares[level], BigInt(capGrid))])) as NoisePlan['sums']['actual'];
  return {
    epsilon: total,
    count: part(BUDGET_SHARES.count.cell, 1n),
    sums: { actual: sums(BUDGET_SHARES.actual), planned: sums(BUDGET_SHARES.planned) },
    capGrid,
  };
}

/** The true totals of a cell: people and clipped sums in grid units. */
export interface CellData extends CellKey {
  n_users: number;
  actual_sum: number;
  planned_sum: number;
}

/** One published figure (any level), in hours; `displayed` decides whether it is shown. */
export interface Figure {
  level: Level;
  unit: UnitKey;
  /** The noisy count (integer). */
  n_noisy: number;
  displayed: boolean;
  actual_mean: number;
  planned_mean: number;
  overtime_mean: number;
  actual_ci_half: number;
  planned_ci_half: number;
  overtime_ci_half: number;
}

/** The raw noisy measurements of a month (what the noise touched; everything else is post-processing). */
export interface Measurements {
  /** Per DOMAIN cell, the noisy count. */
  counts: number[];
  /** Per quantity and measured level, the noisy Σ(2x − cap) of each unit, keyed by unit. */
  sums: Record<'actual' | 'planned', Record<MeasuredLevel, Map<string, number>>>;
}

/** Draws every noisy measurement of the month, for every cell and unit of the domain, empty ones included. */
export function measure(cells: readonly CellData[], plan: NoisePlan, random: CryptoRandom, domain: readonly CellKey[] = DOMAIN): Measurements {
  const byKey = new Map(cells.map((c) => [keyString(c), c]));
  const data = domain.map((key) => byKey.get(keyString(key)) ?? { ...key, n_users: 0, actual_sum: 0, planned_sum: 0 });
  const noise = (scale: Rational) => Number(sampleDiscreteLaplace(scale, random));
  const counts = data.map((cell) => cell.n_users + noise(plan.count.scale));
  const sums = {} as Measurements['sums'];
  for (const quantity of ['actual', 'planned'] as const) {
    sums[quantity] = {} as Record<MeasuredLevel, Map<string, number>>;
    for (const level of MEASURED_LEVELS) {
      const totals = new Map<string, number>();
      for (const cell of data) {
        const key = keyString(unitOf(level, cell));
        const sum = quantity === 'actual' ? cell.actual_sum : cell.planned_sum;
        totals.set(key, (totals.get(key) ?? 0) + 2 * sum - cell.n_users * plan.capGrid);
      }
      const scale = plan.sums[quantity][level].scale;
      sums[quantity][level] = new Map([...totals].map(([key, total]) => [key, total + noise(scale)]));
    }
  }
  return { counts, sums };
}

/**
 * The generalized least-squares combination of the measured levels (weights 1 / variance): M = Σ_ℓ w_ℓ Σ_u
 * 1_u 1_uᵀ over the domain cells, its Cholesky factor, and M⁻¹ (whose block sums are the variances of every
 * level's estimate; they depend only on the split, never on the data).
 */
class LeastSquares {
  readonly size: number;
  readonly #factor: Float64Array;
  readonly inverse: Float64Array;
  readonly #members = new Map<MeasuredLevel, Map<string, number[]>>();

  readonly #unitVariances = new Map<string, number>();

  constructor(
    readonly domain: readonly CellKey[],
    readonly variances: Record<MeasuredLevel, number>,
  ) {
    this.size = domain.length;
    const n = this.size;
    const matrix = new Float64Array(n * n);
    for (const level of MEASURED_LEVELS) {
      const units = new Map<string, number[]>();
      domain.forEach((cell, i) => {
        const key = keyString(unitOf(level, cell));
        units.set(key, [...(units.get(key) ?? []), i]);
      });
      this.#members.set(level, units);
      const weight = 1 / variances[level];
      for (const members of units.values()) for (const i of members) for (const j of members) matrix[i * n + j]! += weight;
    }
    this.#factor = cholesky(matrix, n);
    this.inverse = new Float64Array(n * n);
    const column = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      column.fill(0);
      column[j] = 1;
      const solved = this.solve(column);
      for (let i = 0; i < n; i++) this.inverse[i * n + j] = solved[i]!;
    }
  }

  /** The cell estimates from one quantity's measurements. */
  fit(measured: Record<MeasuredLevel, Map<string, number>>): Float64Array {
    const rhs = new Float64Array(this.size);
    for (const level of MEASURED_LEVELS) {
      const weight = 1 / this.variances[level];
      for (const [key, members] of this.#members.get(level)!) {
        const value = measured[level].get(key)!;
        for (const i of members) rhs[i]! += weight * value;
      }
    }
    return this.solve(rhs);
  }

  /** Variance of the estimate of the sum over `members` (indices of the domain); data-independent, so cached. */
  varianceOf(key: string, members: number[]): number {
    const cached = this.#unitVariances.get(key);
    if (cached !== undefined) return cached;
    let total = 0;
    for (const i of members) for (const j of members) total += this.inverse[i * this.size + j]!;
    this.#unitVariances.set(key, total);
    return total;
  }

  solve(rhs: Float64Array): Float64Array {
    const n = this.size;
    const L = this.#factor;
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = rhs[i]!;
      for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
      y[i] = s / L[i * n + i]!;
    }
    const x = new Float64Array(n);
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
      x[i] = s / L[i * n + i]!;
    }
    return x;
  }
}

function cholesky(a: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = i === j ? Math.sqrt(s) : s / L[j * n + j]!;
    }
  }
  return L;
}

const fits = new Map<readonly CellKey[], Map<string, LeastSquares>>();
function leastSquares(domain: readonly CellKey[], variances: Record<MeasuredLevel, number>): LeastSquares {
  const byDomain = fits.get(domain) ?? new Map<string, LeastSquares>();
  fits.set(domain, byDomain);
  const key = JSON.stringify(variances);
  let fit = byDomain.get(key);
  if (!fit) byDomain.set(key, (fit = new LeastSquares(domain, variances)));
  return fit;
}

/** Members (domain indices) of every unit of a level. */
function unitsOf(domain: readonly CellKey[], level: Level): { unit: UnitKey; key: string; members: number[] }[] {
  const units = new Map<string, { unit: UnitKey; key: string; members: number[] }>();
  domain.forEach((cell, i) => {
    const unit = unitOf(level, cell);
    const key = keyString(unit);
    const entry = units.get(key) ?? { unit, key: `${level}:${key}`, members: [] };
    entry.members.push(i);
    units.set(key, entry);
  });
  return [...units.values()];
}
const unitCache = new Map<readonly CellKey[], Map<Level, ReturnType<typeof unitsOf>>>();
function unitsByLevel(domain: readonly CellKey[]) {
  let units = unitCache.get(domain);
  if (!units) unitCache.set(domain, (units = new Map(LEVELS.map((level) => [level, unitsOf(domain, level)]))));
  return units;
}

const toHours = (grid: number) => Math.round(grid) / GRID_PER_HOUR;
const ceilHours = (grid: number) => Math.ceil(grid - 1e-9) / GRID_PER_HOUR;

/**
 * Every figure of every level from the month's measurements (post-processing only). A unit is displayed
 * when its noisy count (the sum of its cells' noisy counts) is at least kMin. For a unit with noisy count N̂
 * and estimated normalised sums Ŝ = Σ(x − cap/2): mean = cap/2 + Ŝ / N̂, and its error is exactly
 * (ΔS − d·ΔN) / N̂ where d = true mean − cap/2; the 90% interval is Z90 · √(Var ΔS + d̂² · Var ΔN) / N̂.
 */
export function figures(measurements: Measurements, plan: NoisePlan, kMin: number, domain: readonly CellKey[] = DOMAIN): Figure[] {
  const variances = (quantity: 'actual' | 'planned') =>
    Object.fromEntries(MEASURED_LEVELS.map((l) => [l, plan.sums[quantity][l].variance])) as Record<MeasuredLevel, number>;
  const fitActual = leastSquares(domain, variances('actual'));
  const fitPlanned = leastSquares(domain, variances('planned'));
  const units = unitsByLevel(domain);
  // Estimates of Σ(2x − cap) per cell; halved below to Σ(x − cap/2).
  const actual = fitActual.fit(measurements.sums.actual);
  const planned = fitPlanned.fit(measurements.sums.planned);
  const mid = plan.capGrid / 2;
  const out: Figure[] = [];
  for (const level of LEVELS) {
    for (const { unit, key, members } of units.get(level)!) {
      let n = 0;
      let sa = 0;
      let sp = 0;
      for (const i of members) {
        n += measurements.counts[i]!;
        sa += actual[i]! / 2;
        sp += planned[i]! / 2;
      }
      const varN = members.length * plan.count.variance;
      const varA = fitActual.varianceOf(key, members) / 4;
      const varP = fitPlanned.varianceOf(key, members) / 4;
      const denominator = Math.max(n, 1);
      const clampD = (d: number) => Math.min(Math.max(d, -mid), mid);
      const da = clampD(sa / denominator);
      const dp = clampD(sp / denominator);
      const actualGrid = Math.round(mid + sa / denominator);
      const plannedGrid = Math.round(mid + sp / denominator);
      out.push({
        level,
        unit,
        n_noisy: n,
        displayed: n >= kMin,
        actual_mean: toHours(actualGrid),
        planned_mean: toHours(plannedGrid),
        // From the two grid values, so that planned + overtime = actual to the cent (the app shows it so).
        overtime_mean: toHours(actualGrid - plannedGrid),
        actual_ci_half: ceilHours((Z90 * Math.sqrt(varA + da * da * varN)) / denominator),
        planned_ci_half: ceilHours((Z90 * Math.sqrt(varP + dp * dp * varN)) / denominator),
        overtime_ci_half: ceilHours((Z90 * Math.sqrt(varA + varP + (da - dp) ** 2 * varN)) / denominator),
      });
    }
  }
  return out;
}

/**
 * P(a cell of n people is displayed) = P(n + Z ≥ kMin) for the count's discrete Laplace noise Z with
 * parameter ε_count: P(Z ≥ k) = e^{−ε k} / (1 + e^{−ε}) for k ≥ 1.
 */
export function displayProbability(n: number, kMin: number, epsilonCount: number): number {
  const k = kMin - n;
  const q = Math.exp(-epsilonCount);
  if (k <= 0) return 1 - q ** (1 - k) / (1 + q);
  return q ** k / (1 + q);
}
