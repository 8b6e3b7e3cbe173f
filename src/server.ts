/**
 * Entry point (`node dist/server.js`, `npm start`, the Docker image). Reads the configuration, then either
 * serves in this process or becomes the primary of `WEB_CONCURRENCY` worker processes (node:cluster) that
 * share the port. It becomes a primary also for one worker when it was started without the V8 memory flags
 * (src/process/memory.ts): a process cannot bound its own heap after it started, so it starts one that is.
 * The modules of each side are loaded only on that side, so the primary stays small.
 */
import cluster from 'node:cluster';
import { configOrExit } from './cli/common.js';
import { missingMemoryFlags } from './process/memory.js';

const config = configOrExit();

if (cluster.isPrimary && (config.webConcurrency > 1 || missingMemoryFlags().length > 0)) {
  const { runPrimary } = await import('./process/primary.js');
  runPrimary(config);
} else {
  const { serve } = await import('./process/worker.js');
  await serve(config);
}
