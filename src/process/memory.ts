/**
 * The V8 memory flags every server process runs with, wherever it was started from: `npm start`
 * (scripts/run.mjs passes them), `node dist/server.js` and the Docker image (src/server.ts starts its workers
 * with them). With V8's defaults the process grows to 190-260 MB under load although its live heap stays
 * at 30-40 MB: V8 grows the heap while memory is plentiful. A 4 MB young generation and a 128 MB old-space
 * limit keep it near 110 MB at the same throughput (docs/performance.md). A heap limit can only be set when
 * a process starts (v8.setFlagsFromString afterwards does not bound it; measured), hence the flags on the
 * command line of each server process.
 *
 * The list itself is in memory-flags.json, so that scripts/run.mjs (plain JavaScript, no build) reads the
 * very same values.
 */
import flags from './memory-flags.json' with { type: 'json' };

export const MEMORY_FLAGS: readonly string[] = flags;

/** `--max_old_space_size=64` and `--max-old-space-size=64` are the same V8 option. */
const optionName = (arg: string) => arg.split('=')[0]!.replace(/_/g, '-');

/**
 * The memory flags whose option this process was not started with, on its command line or in NODE_OPTIONS.
 * An operator's own value (e.g. `NODE_OPTIONS=--max-old-space-size=512`) wins over ours.
 */
export function missingMemoryFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter((arg) => arg.startsWith('--')).map(optionName));
  return MEMORY_FLAGS.filter((flag) => !given.has(optionName(flag)));
}
