/**
 * There is no Docker engine on CI machines, so the image cannot be built here. These checks hold the
 * Docker files to what the service actually does: start command, port, user, health check, and that every
 * variable the service reads is documented where operators look.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { ROOT } from '../helpers/process.js';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const dockerfile = read('Dockerfile');
const compose = read('docker-compose.yml');

/** The final stage of the multi-stage Dockerfile: what actually runs. */
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

/** Every environment variable src/config.ts reads, found in its source. */
function variablesReadByService(): string[] {
  const source = read('src/config.ts');
  const names = new Set<string>();
  for (const match of source.matchAll(/\b(?:read\.\w+|env\.|env\[)\(?'?([A-Z][A-Z0-9_]+)'?/g)) names.add(match[1]!);
  for (const match of source.matchAll(/'([A-Z][A-Z0-9]*(?:__?[A-Z0-9]+)+)'/g)) names.add(match[1]!);
  return [...names].sort();
}

describe('Docker image and compose stack', () => {
  test('both stages are Node 24 (LTS) bookworm-slim; the runtime is production, non-root, port 8000, starting the built server', () => {
    // Node 20 reached end of life in April 2026; the image follows the newest LTS line CI also tests.
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    assert.deepEqual(stages, ['node:24-bookworm-slim', 'node:24-bookworm-slim'], 'build and runtime on the same Node');
    assert.match(dockerfile, /^FROM node:24-bookworm-slim AS build$/m, 'a separate build stage');
    assert.match(dockerfile, /npm prune --omit=dev/, 'runtime gets production dependencies only');
    assert.match(runtimeStage, /NODE_ENV=production/);
    assert.match(runtimeStage, /^USER (node|\d{4,})$/m, 'runs as an unprivileged user');
    const expose = /^EXPOSE (\d+)$/m.exec(runtimeStage)?.[1];
    const config = loadConfig({
      NODE_ENV: 'production',
      SECRET_KEY: 'x'.repeat(32),
      EMAIL_HASH_SECRET: 'y'.repeat(32),
      DATABASE_URL: 'postgres://db/owh',
      EMAIL__SMTP_HOST: 'smtp.example.org',
    });
    assert.equal(Number(expose), config.port, 'EXPOSE matches the default port');
    assert.equal(config.host, '0.0.0.0', 'production listens on all interfaces inside the container');
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtimeStage)![1]!) as string[];
    assert.deepEqual(cmd, ['node', 'dist/server.js']);
    const buildOutput = JSON.parse(read('tsconfig.build.json')).compilerOptions;
    assert.equal(buildOutput.outDir, 'dist');
    assert.equal(buildOutput.rootDir, 'src', 'src/server.ts compiles to dist/server.js');
  });

  test('the health check probes /healthz on the exposed port', () => {
    const healthcheck = /^HEALTHCHECK [\s\S]*?CMD (\[.*\])$/m.exec(runtimeStage);
    assert.ok(healthcheck, 'HEALTHCHECK present');
    assert.match(healthcheck[1]!, /http:\/\/127\.0\.0\.1:8000\/healthz/);
  });

  test('compose: PostgreSQL 15 with a volume and health check; backend waits for it and binds to loopback', () => {
    assert.match(compose, /image: postgres:15\b/);
    assert.match(compose, /- pgdata:\/var\/lib\/postgresql\/data/);
    assert.match(compose, /pg_isready/);
    assert.match(compose, /condition: service_healthy/);
    assert.match(compose, /env_file: \.env/);
    assert.match(compose, /- "127\.0\.0\.1:8000:8000"/);
    assert.doesNotMatch(compose, /- "8000:8000"/, 'never published on all interfaces');
  });

  test('the external cron runs the whole daily maintenance (`npm run maintenance`), not only the aggregation', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    assert.equal(scripts.maintenance, 'node scripts/run.mjs cli/maintenance');
    for (const [file, text] of [['docker-compose.yml', compose], ['docs/deployment.md', read('docs/deployment.md')]] as const) {
      const cronLines = text.split('\n').filter((line) => /^#?\s*\d+ \d+ \* \* \* .*docker compose exec/.test(line) && !/pg_dump/.test(line));
      assert.ok(cronLines.length > 0, `${file} shows a crontab line`);
      for (const line of cronLines) assert.match(line, /npm run maintenance/, `${file}: ${line}`);
    }
  });

  test('every variable the service reads is in .env.example, docker-compose.yml and docs/deployment.md', () => {
    const variables = variablesReadByService();
    assert.ok(variables.length > 25, `found ${variables.length} variables`);
    for (const file of ['.env.example', 'docker-compose.yml', 'docs/deployment.md', 'README.md']) {
      const text = read(file);
      const missing = variables.filter((name) => !new RegExp(`\\b${name}\\b`).test(text));
      assert.deepEqual(missing, [], `${file} does not mention: ${missing.join(', ')}`);
    }
  });
});
