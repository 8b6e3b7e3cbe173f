/**
 * docs/architecture.md (issue 12.22) names files to say where each rule lives. A file that moves or goes
 * must take the document with it: every path it names exists, and every directory of src/ is described.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../helpers/process.js';

const doc = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');

describe('docs/architecture.md', () => {
  test('every file and directory it names exists', () => {
    const named = new Set([...doc.matchAll(/`((?:src|test|scripts|docs)\/[\w./*-]*)`/g)].map((match) => match[1]!));
    assert.ok(named.size > 30, `found ${named.size} paths`);
    const missing = [...named].filter((name) => !existsSync(path.join(ROOT, name.replace(/\/?\*.*$/, ''))));
    assert.deepEqual(missing, []);
  });

  test('describes every directory of src/', () => {
    const directories = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `src/${entry.name}/`);
    const undescribed = directories.filter((dir) => !doc.includes(`\`${dir}`));
    assert.deepEqual(undescribed, []);
  });
});
