/**
 * The Node.js versions we support (issue 12.18): 20 from 20.19, 22 from 22.12, and 24 (the LTS the Docker
 * image runs). CI runs the whole suite on the machine's Node 20 and on Node 24 (.ci/run); these checks keep
 * `engines`, the lockfile and the docs honest about it, so that a dependency upgrade that drops one of
 * these lines fails here instead of in an operator's `npm ci`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../helpers/process.js';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const packageJson = JSON.parse(read('package.json')) as { engines: { node: string } };
const lockfile = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { engines?: { node?: string }; dev?: boolean }>;
};

const SUPPORTED = '^20.19.0 || >=22.12.0';
/** The oldest release of each supported line: if a dependency accepts these, it accepts the whole line. */
const OLDEST_SUPPORTED = ['20.19.0', '22.12.0', '24.0.0'];

/**
 * Dependencies that declare `node >=22` but run on Node 20.19: both are pure ECMAScript modules without a
 * single import, required from CommonJS (light-my-request inside fastify, @fastify/static inside the
 * Swagger UI). What they need from Node is `require()` of an ES module, which Node 20 has without a flag
 * from 20.19.0 (the reason our floor is 20.19, not 20.12). docs/deployment.md says so for operators.
 */
const DECLARE_22_BUT_RUN_ON_20_19: Record<string, string> = {
  cookie: 'light-my-request',
  'content-disposition': '@fastify/static',
};

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text.split('.').map((part) => Number(part));
  return [major, minor, patch];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Whether `version` satisfies one comparator such as `>=18`, `^20.19.0`, `20`, `10.x`, `*`. */
function satisfiesComparator(version: Version, comparator: string): boolean {
  const match = /^(>=|<=|>|<|=|\^|~)?v?([\d.x*]+)$/.exec(comparator);
  assert.ok(match, `unsupported engines comparator "${comparator}"`);
  const [, op = '', bound] = match;
  const parts = bound!.split('.').filter((part) => part !== 'x' && part !== '*');
  if (parts.length === 0) return true;
  const low = parseVersion(parts.join('.'));
  if (op === '>=') return compare(version, low) >= 0;
  if (op === '>') return compare(version, low) > 0;
  if (op === '<') return compare(version, low) < 0;
  if (op === '<=') return compare(version, low) <= 0;
  if (op === '^') return version[0] === low[0] && compare(version, low) >= 0;
  // `~1.2`, `=1.2` and a bare `1.2`: equal in the parts given.
  return parts.every((part, index) => version[index] === Number(part)) && compare(version, low) >= 0;
}

/** Whether `version` satisfies an npm range: `||`-separated sets of space-separated comparators. */
function satisfies(version: string, range: string): boolean {
  const parsed = parseVersion(version);
  return range.split('||').some((set) =>
    set
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .every((comparator) => satisfiesComparator(parsed, comparator)),
  );
}

describe('supported Node.js versions', () => {
  test('engines says 20.19+, 22.12+ and 24, in package.json and the lockfile alike', () => {
    assert.equal(packageJson.engines.node, SUPPORTED);
    assert.equal(lockfile.packages['']!.engines?.node, SUPPORTED, 'run `npm install --package-lock-only`');
    for (const version of OLDEST_SUPPORTED) assert.ok(satisfies(version, SUPPORTED), version);
    for (const version of ['20.18.3', '21.7.0', '22.11.0', '18.20.0']) assert.ok(!satisfies(version, SUPPORTED), version);
  });

  test('the Node running this suite is one we support', () => {
    assert.ok(satisfies(process.versions.node, SUPPORTED), `Node ${process.versions.node} is outside ${SUPPORTED}`);
  });

  test('every dependency accepts every supported line, except the two documented ones on Node 20', () => {
    const refusing: string[] = [];
    for (const [location, entry] of Object.entries(lockfile.packages)) {
      const range = entry.engines?.node;
      if (!location || !range) continue;
      const name = location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
      for (const version of OLDEST_SUPPORTED) {
        if (satisfies(version, range)) continue;
        if (version.startsWith('20.') && name in DECLARE_22_BUT_RUN_ON_20_19) continue;
        refusing.push(`${name} (${range}) refuses Node ${version}`);
      }
    }
    assert.deepEqual(refusing, []);
  });

  test('the two packages that declare Node 22 load on this Node where the service loads them', () => {
    const deployment = read('docs/deployment.md');
    for (const [name, dependent] of Object.entries(DECLARE_22_BUT_RUN_ON_20_19)) {
      // Resolved from the package that requires it, the way fastify and the Swagger UI load it at run time.
      const requireFromDependent = createRequire(createRequire(path.join(ROOT, 'package.json')).resolve(`${dependent}/package.json`));
      const loaded = requireFromDependent(name) as Record<string, unknown>;
      assert.ok(Object.keys(loaded).length > 0, `${name} loaded through ${dependent}`);
      assert.match(deployment, new RegExp(`\\b${name}\\b`), `docs/deployment.md explains ${name}`);
    }
  });
});
