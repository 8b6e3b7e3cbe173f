#!/usr/bin/env node
// Runs one of the service's entry points (server, cli/migrate, cli/aggregate, ...) the right way for the
// environment: the compiled JavaScript in dist/ when NODE_ENV=production (the Docker image has no
// TypeScript tooling), the TypeScript sources through tsx otherwise. So `npm start`, `npm run migrate`
// and `npm run aggregate` work the same on a laptop, on a VM and inside the container.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: node scripts/run.mjs <entry> [args...]   (e.g. server, cli/aggregate)\n');
  process.exit(2);
}

const production = process.env.NODE_ENV === 'production';
let nodeArgs;
if (production) {
  const built = path.join(root, 'dist', `${entry}.js`);
  if (!existsSync(built)) {
    process.stderr.write(`${path.relative(process.cwd(), built)} is missing: run \`npm run build\` first\n`);
    process.exit(1);
  }
  nodeArgs = [built];
} else {
  nodeArgs = ['--import', 'tsx', path.join(root, 'src', `${entry}.ts`)];
}

// The server runs with the V8 memory flags (src/process/memory.ts explains them; the list is shared with it
// through memory-flags.json). Put first in NODE_OPTIONS, so that an operator's own value there wins.
const env = { ...process.env };
if (entry === 'server') {
  const flagsFile = path.join(root, production ? 'dist' : 'src', 'process', 'memory-flags.json');
  const flags = JSON.parse(readFileSync(flagsFile, 'utf8'));
  env.NODE_OPTIONS = [...flags, env.NODE_OPTIONS ?? ''].join(' ').trim();
}

const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: 'inherit', env });
// Forward stop signals so the server can shut down gracefully when run through npm.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
