/**
 * The statistics method 'v2-bounded-mean-2026' (issue 13), as pure functions: the public domain of cells,
 * the privacy budget split, the noisy measurements, their consistent combination into every published level,
 * each figure's 90% interval and the display rule. docs/privacy.md explains it; keep the two in step.
 *
 * Per month, every cell of the domain (state × department group × profession, empty ones included) gets a
 * noisy count; the clipped sums of actual hours and of overtime are measured, with independent noise, at
 * several levels (state, department group, profession, state × department group, cell). A generalized
 * least-squares fit turns these measurements into one set of cell totals, so that every level is the sum of
 * its cells (consistent) and uses every measurement that says something about it. Means are ratios of noisy
 * values (bounded mean: values clipped around a public midpoint, so the count's noise barely moves the mean).
 * Planned hours are actual − overtime, so that planned + overtime = actual in every published row.
 */
import { discreteLaplaceVariance, multiply, rational, rationalFromNumber, sampleDiscreteLaplace, toNumber, type CryptoRandom, type Rational } from './privacy.js';
import { PROFESSION_CODES, SPECIALTY_KEYS, STATE_CODES } from './taxonomy.js';

/**
 * Who counts in a month and with what number, for clients: said once here and shown in /docs (the routes
 * that record time and the statistics routes), in GET /stats/summary and in the README.
 */
export const WHO_COUNTS =
  'A person counts in a month\'s statistics through complete weeks: a week sent with POST /finalized-weeks, or an ISO ' +
  'week (Monday to Sunday) whose seven days are all confirmed with POST /work-events. Days off must be confirmed ' +
  'with 0 minutes: a week with an unconfirmed day is incomplete and does not count. A week belongs to the month of ' +
  'its Thursday. A person\'s figure for the month is their mean weekly planned hours, actual hours and overtime over ' +
  'their complete weeks in it; each person counts in exactly one cell per month (state × department group × ' +
  'profession of their profile when the month is published).';

/** The name of this method, stored with every row it publishes. */
export const METHOD = 'v2-bounded-mean-2026';
/** Rows published by the first method (per state × specialty, exact k, rounded n, no method column). */
export const LEGACY_METHOD = 'v1-laplace-2026';

/** Published hours are on a grid of 1/100 hour. */
export const GRID_PER_HOUR = 100;
/**
 * The multiplier of a figure's standard deviation that gives its 90% interval. 1.645 is the 90% point of
 * the normal distribution, which the errors follow closely; 1.7 keeps a margin for what is not normal (the
 * Laplace tails of small groups, figures selected by their own noisy count), so that the coverage is at least
 * 90% for every group size (verified by simulation in the tests, measured by bench:privacy).
 */
export const Z90 = 1.7;
/** A unit of fewer than K_MIN / 2 people is displayed with at most this probability (the display rule). */
export const SMALL_UNIT_DISPLAY_PROBABILITY = 0.01;

export const LEVELS = ['germany', 'state', 'department_group', 'profession', 'state_department_group', 'cell'] as const;
export type Level = (typeof LEVELS)[number];
/** The two measured quantities: each person's mean weekly actual hours and overtime (planned = actual − overtime). */
export const QUANTITIES = ['actual', 'overtime'] as const;
export type Quantity = (typeof QUANTITIES)[number];

export interface CellKey {
  state_code: string;
  department_group: string;
  profession: string;
}

/** Every cell that can exist, known before any data is seen: 16 states × 11 department groups × 3 professions. */
export const DOMAIN: readonly CellKey[] = STATE_CODES.flatMap((state_code) =>
  SPECIALTY_KEYS.flatMap((department_group) => PROFESSION_CODES.map((profession) => ({ state_code, department_group, profession }))),
);

export type UnitKey = { state_code: string | null; department_group: string | null; profession: string | null };

/** The key of the unit of `level` that a cell belongs to (fields not part of the level are null). */
export function unitOf(level: Level, cell: CellKey): UnitKey {
  const state = level === 'state' || level === 'state_department_group' || level === 'cell';
  const group = level === 'department_group' || level === 'state_department_group' || level === 'cell';
  const profession = level === 'profession' || level === 'cell';
  return {
    state_code: state ? cell.state_code : null,
    department_group: group ? cell.department_group : null,
    profession: profession ? cell.profession : null,
  };
}

const keyString = (unit: UnitKey) => `${unit.state_code ?? '*'}|${unit.department_group ?? '*'}|${unit.profession ?? '*'}`;

/** Shares of EPSILON, as decimals written exactly; a level without a share is not measured. */
export interface BudgetShares {
  /** The count, measured on cells only. */
  count: string;
  /** Per level, the share of each of the two sums (actual and overtime get the same). */
  sums: Partial<Record<Level, string>>;
}

/**
 * How EPSILON is split (docs/privacy.md, "The budget"); count + 2 × Σ sums = 1 exactly. The count's share,
 * with each level's display threshold, keeps groups of fewer than K_MIN / 2 people hidden (99%); of the sums,
 * the department groups get what a group of 500 people needs for ±2.5 h, the states and professions what
 * makes them quotable, and the cells the rest: the cells also carry the state × department group rows the app
 * shows (bench:privacy measured this to be better for those rows than measuring them directly). Germany is
 * not measured on its own: the sum of the other levels is already precise.
 */
export const BUDGET_SHARES: BudgetShares = {
  count: '0.3',
  sums: { state: '0.07', department_group: '0.095', profession: '0.015', cell: '0.17' },
};

/** One noisy measurement's ε, discrete Laplace scale (grid units, exact) and variance. */
export interface Measurement {
  epsilon: Rational;
  scale: Rational;
  variance: number;
}

/** The exact ε and noise of every measurement. */
export interface NoisePlan {
  epsilon: Rational;
  shares: BudgetShares;
  /** The count's ε and noise (sensitivity 1). */
  count: Measurement;
  /** Per measured level: the noise of each sum, Σ(2x − cap) for actual and Σ 2o for overtime (sensitivity cap). */
  sums: Partial<Record<Level, Measurement>>;
  /** The levels whose sums are measured (a share above 0). */
  measuredLevels: Level[];
  capGrid: number;
}

export function noisePlan(epsilon: number, weeklyHoursCap: number, shares: BudgetShares = BUDGET_SHARES): NoisePlan {
  const total = rationalFromNumber(epsilon);
  // Exactly, from the decimal as written, and rounded down: clipping then keeps every person within the sensitivity.
  const cap = multiply(rationalFromNumber(weeklyHoursCap), rational(BigInt(GRID_PER_HOUR)));
  const capGrid = Number(cap.num / cap.den);
  const part = (share: string, sensitivity: bigint): Measurement => {
    const eps = multiply(total, rationalFromNumber(Number(share)));
    const scale = rational(sensitivity * eps.den, eps.num);
    // A floor keeps the least-squares weights finite when ε is so large that the noise is exactly zero.
    return { epsilon: eps, scale, variance: Math.max(discreteLaplaceVariance(toNumber(scale)), 1e-9) };
  };
  const measuredLevels = LEVELS.filter((level) => Number(shares.sums[level] ?? 0) > 0);
  return {
    epsilon: total,
    shares,
    count: part(shares.count, 1n),
    sums: Object.fromEntries(measuredLevels.map((level) => [level, part(shares.sums[level]!, BigInt(capGrid))])),
    measuredLevels,
    capGrid,
  };
}

/** The ε a plan spends per person: the count once, and each measured level's share for each of the two sums. */
export function spentEpsilon(plan: NoisePlan): number {
  return toNumber(plan.count.epsilon) + 2 * plan.measuredLevels.reduce((total, level) => total + toNumber(plan.sums[level]!.epsilon), 0);
}

/** The bound of a person's clipped overtime, in grid units: |overtime| ≤ cap / 2, so 2·overtime stays within the sensitivity. */
export const overtimeBound = (capGrid: number) => Math.floor(capGrid / 2);

/**
 * The true totals of a cell, in grid units: people, Σ actual (each clipped to [0, cap]) and Σ overtime (each
 * actual − planned, both clipped to [0, cap], then clipped to ±cap / 2).
 */
export interface CellData extends CellKey {
  n_users: number;
  actual_sum: number;
  overtime_sum: number;
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
  /** Per domain cell, the noisy count. */
  counts: number[];
  /** Per quantity and measured level, the noisy sum of each unit, keyed by unit. */
  sums: Record<Quantity, Partial<Record<Level, Map<string, number>>>>;
}

/** Draws every noisy measurement of the month, for every cell and unit of the domain, empty ones included. */
export function measure(cells: readonly CellData[], plan: NoisePlan, random: CryptoRandom, domain: readonly CellKey[] = DOMAIN): Measurements {
  const byKey = new Map(cells.map((c) => [keyString(c), c]));
  const data = domain.map((key) => byKey.get(keyString(key)) ?? { ...key, n_users: 0, actual_sum: 0, overtime_sum: 0 });
  const noise = (scale: Rational) => Number(sampleDiscreteLaplace(scale, random));
  const counts = data.map((cell) => cell.n_users + noise(plan.count.scale));
  // Centred on the public midpoints (cap / 2 for actual hours, 0 for overtime) and doubled to stay on the grid.
  const centred: Record<Quantity, (cell: CellData) => number> = {
    actual: (cell) => 2 * cell.actual_sum - cell.n_users * plan.capGrid,
    overtime: (cell) => 2 * cell.overtime_sum,
  };
  const sums: Measurements['sums'] = { actual: {}, overtime: {} };
  for (const quantity of QUANTITIES) {
    for (const level of plan.measuredLevels) {
      const totals = new Map<string, number>();
      for (const cell of data) {
        const key = keyString(unitOf(level, cell));
        totals.set(key, (totals.get(key) ?? 0) + centred[quantity](cell));
      }
      const scale = plan.sums[level]!.scale;
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
  readonly #members = new Map<Level, Map<string, number[]>>();
  readonly #unitVariances = new Map<string, number>();

  constructor(
    readonly domain: readonly CellKey[],
    readonly variances: Partial<Record<Level, number>>,
  ) {
    this.size = domain.length;
    const n = this.size;
    const matrix = new Float64Array(n * n);
    for (const [level, variance] of Object.entries(variances) as [Level, number][]) {
      const units = new Map<string, number[]>();
      domain.forEach((cell, i) => {
        const key = keyString(unitOf(level, cell));
        units.set(key, [...(units.get(key) ?? []), i]);
      });
      this.#members.set(level, units);
      const weight = 1 / variance;
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
  fit(measured: Partial<Record<Level, Map<string, number>>>): Float64Array {
    const rhs = new Float64Array(this.size);
    for (const [level, units] of this.#members) {
      const weight = 1 / this.variances[level]!;
      for (const [key, members] of units) {
        const value = measured[level]!.get(key)!;
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
      if (i === j && !(s > 0)) throw new Error('statistics method: the measured levels do not determine every cell (give the cell level a share)');
      L[i * n + j] = i === j ? Math.sqrt(s) : s / L[j * n + j]!;
    }
  }
  return L;
}

/** The fit depends only on the domain and the variances: computed once per process and reused. */
const fits = new Map<readonly CellKey[], Map<string, LeastSquares>>();
function leastSquares(domain: readonly CellKey[], plan: NoisePlan): LeastSquares {
  const variances = Object.fromEntries(plan.measuredLevels.map((level) => [level, plan.sums[level]!.variance]));
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

/** What decides whether a figure is shown (docs/privacy.md, "The display rule"). */
export interface DisplayRule {
  /** K_MIN: a unit is shown only when its noisy count is at least this (and at least its threshold). */
  kMin: number;
  /** A unit is shown only when each of its three 90% intervals is at most ± this many hours. */
  maxHalfWidthHours: number;
}

/**
 * Every figure of every level from the month's measurements (post-processing only). For a unit with noisy
 * count N̂ (the sum of its cells' noisy counts) and estimated centred sums Ŝ: mean = midpoint + Ŝ / N̂, and
 * its error is exactly (ΔS − d·ΔN) / N̂ where d = true mean − midpoint; the 90% interval is
 * Z90 · √(Var ΔS + d̂² · Var ΔN) / N̂. A unit is displayed when N̂ reaches its display threshold and every
 * interval is within the rule's maximum.
 */
export function figures(measurements: Measurements, plan: NoisePlan, rule: DisplayRule, domain: readonly CellKey[] = DOMAIN): Figure[] {
  const fit = leastSquares(domain, plan);
  const units = unitsByLevel(domain);
  // Estimates of the doubled centred sums per cell; halved below.
  const actual = fit.fit(measurements.sums.actual);
  const overtime = fit.fit(measurements.sums.overtime);
  const mid = plan.capGrid / 2;
  // Public parameters only: one threshold per level, the same for every unit of it.
  const thresholds = displayThresholds(plan, rule.kMin, domain);
  const out: Figure[] = [];
  for (const level of LEVELS) {
    for (const { unit, key, members } of units.get(level)!) {
      let n = 0;
      let sa = 0;
      let so = 0;
      for (const i of members) {
        n += measurements.counts[i]!;
        sa += actual[i]! / 2;
        so += overtime[i]! / 2;
      }
      const varN = members.length * plan.count.variance;
      // Both quantities have the same noise, so the same least-squares variance.
      const varS = fit.varianceOf(key, members) / 4;
      const denominator = Math.max(n, 1);
      const clampD = (d: number) => Math.min(Math.max(d, -mid), mid);
      const da = clampD(sa / denominator);
      const dOvertime = clampD(so / denominator);
      const actualGrid = Math.round(mid + sa / denominator);
      const overtimeGrid = Math.round(so / denominator);
      const half = (variance: number) => ceilHours((Z90 * Math.sqrt(variance)) / denominator);
      const figure: Figure = {
        level,
        unit,
        n_noisy: n,
        displayed: false,
        actual_mean: toHours(actualGrid),
        // From the two grid values, so that planned + overtime = actual to the cent (the app shows it so).
        planned_mean: toHours(actualGrid - overtimeGrid),
        overtime_mean: toHours(overtimeGrid),
        actual_ci_half: half(varS + da * da * varN),
        // planned = actual − overtime: its error is the difference of the two errors.
        planned_ci_half: half(2 * varS + (da - dOvertime) ** 2 * varN),
        overtime_ci_half: half(varS + dOvertime * dOvertime * varN),
      };
      figure.displayed =
        n >= thresholds[level] &&
        Math.max(figure.actual_ci_half, figure.planned_ci_half, figure.overtime_ci_half) <= rule.maxHalfWidthHours;
      out.push(figure);
    }
  }
  return out;
}

/** ln E[e^{λZ}] for discrete Laplace noise with parameter ε (q = e^{−ε}), for 0 ≤ λ < ε. */
function logMoment(lambda: number, epsilon: number): number {
  const q = Math.exp(-epsilon);
  return 2 * Math.log1p(-q) - Math.log1p(-q * Math.exp(lambda)) - Math.log1p(-q * Math.exp(-lambda));
}

/** Above this many support points the exact distribution of a sum of noises is not computed (Chernoff instead). */
const EXACT_SUPPORT_LIMIT = 20_000;

/**
 * P(Z₁ + … + Z_m ≥ k), or an upper bound of it, for m independent discrete Laplace noises with parameter ε:
 * exact for m = 1 (e^{−εk} / (1 + e^{−ε}) for k ≥ 1); by convolution of the distributions (truncated where
 * the mass left out is below 1e-15) while the support stays small; otherwise the Chernoff bound
 * min_λ E[e^{λZ}]^m e^{−λk}, which is larger than the exact value, so a threshold from it is only stricter.
 */
export function noiseTailBound(m: number, k: number, epsilon: number): number {
  if (k <= 0) return 1;
  const q = Math.exp(-epsilon);
  if (m === 1) return q ** k / (1 + q);
  const tails = exactTails(m, epsilon);
  if (tails) return k < tails.length ? tails[k]! : 0;
  return chernoffTail(m, k, epsilon);
}

const exactTailCache = new Map<string, Float64Array | null>();
/** tails[k] = P(Z₁ + … + Z_m ≥ k) for k ≥ 0, or null when the support would be too large. */
function exactTails(m: number, epsilon: number): Float64Array | null {
  const cacheKey = `${m}|${epsilon}`;
  if (exactTailCache.has(cacheKey)) return exactTailCache.get(cacheKey)!;
  const q = Math.exp(-epsilon);
  // One noise on [−L, L]: the mass beyond is 2q^{L+1} / (1 + q) < 1e-15 / m.
  const L = Math.ceil(Math.log(1e-15 / m) / Math.log(q));
  let tails: Float64Array | null = null;
  if (m * L <= EXACT_SUPPORT_LIMIT) {
    const base = new Float64Array(2 * L + 1);
    for (let z = -L; z <= L; z++) base[z + L] = ((1 - q) / (1 + q)) * q ** Math.abs(z);
    let sum = base;
    for (let i = 1; i < m; i++) {
      const next = new Float64Array(sum.length + base.length - 1);
      for (let a = 0; a < sum.length; a++) {
        const pa = sum[a]!;
        if (pa === 0) continue;
        for (let b = 0; b < base.length; b++) next[a + b]! += pa * base[b]!;
      }
      sum = next;
    }
    // sum[i] is P(S = i − mL); tails from the top.
    const offset = m * L;
    tails = new Float64Array(offset + 2);
    let acc = 0;
    for (let i = sum.length - 1; i >= offset; i--) {
      acc += sum[i]!;
      tails[i - offset] = acc;
    }
  }
  exactTailCache.set(cacheKey, tails);
  return tails;
}

function chernoffTail(m: number, k: number, epsilon: number): number {
  // The exponent is convex in λ on (0, ε): golden-section search.
  const f = (lambda: number) => m * logMoment(lambda, epsilon) - lambda * k;
  let lo = 0;
  let hi = epsilon * (1 - 1e-12);
  const ratio = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 200; i++) {
    const a = hi - ratio * (hi - lo);
    const b = lo + ratio * (hi - lo);
    if (f(a) < f(b)) hi = b;
    else lo = a;
  }
  return Math.min(1, Math.exp(f((lo + hi) / 2)));
}

const thresholds = new Map<string, number>();
/**
 * The smallest noisy count at which a unit of `cells` domain cells may be displayed: at least kMin, and high
 * enough that a unit of fewer than kMin / 2 people is displayed with probability under 1%. It depends only on
 * public parameters, never on the data.
 */
export function displayThreshold(cells: number, kMin: number, epsilonCount: number): number {
  const cacheKey = `${cells}|${kMin}|${epsilonCount}`;
  const cached = thresholds.get(cacheKey);
  if (cached !== undefined) return cached;
  const small = Math.ceil(kMin / 2) - 1;
  const shown = (t: number) => noiseTailBound(cells, t - small, epsilonCount) < SMALL_UNIT_DISPLAY_PROBABILITY;
  let hi = Math.max(kMin, 1);
  while (!shown(hi)) hi *= 2;
  let lo = Math.max(kMin, 1);
  while (lo < hi) {
    const t = Math.floor((lo + hi) / 2);
    if (shown(t)) hi = t;
    else lo = t + 1;
  }
  thresholds.set(cacheKey, lo);
  return lo;
}

/** The display threshold of each level for the domain's units (all units of a level have as many cells). */
export function displayThresholds(plan: NoisePlan, kMin: number, domain: readonly CellKey[] = DOMAIN): Record<Level, number> {
  const epsilonCount = toNumber(plan.count.epsilon);
  const units = unitsByLevel(domain);
  return Object.fromEntries(
    LEVELS.map((level) => [level, displayThreshold(Math.max(...units.get(level)!.map((u) => u.members.length)), kMin, epsilonCount)]),
  ) as Record<Level, number>;
}

/**
 * P(a cell of n people reaches the count threshold) = P(n + Z ≥ threshold) for the count's discrete Laplace
 * noise Z with parameter ε_count: P(Z ≥ k) = e^{−ε k} / (1 + e^{−ε}) for k ≥ 1.
 */
export function displayProbability(n: number, threshold: number, epsilonCount: number): number {
  const k = threshold - n;
  // By symmetry, P(Z ≥ k) = 1 − P(Z ≥ 1 − k) for k ≤ 0.
  return k > 0 ? noiseTailBound(1, k, epsilonCount) : 1 - noiseTailBound(1, 1 - k, epsilonCount);
}
