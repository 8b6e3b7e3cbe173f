/** Start-up shared by the server and the command-line tools: configuration errors end the process cleanly. */
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../config.js';

export function configOrExit(): Config {
  try {
    loadDotEnv();
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Refusing to start: invalid configuration\n${error.problems.map((p) => `  - ${p}\n`).join('')}`);
    } else {
      process.stderr.write(`Refusing to start: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  }
}

/** Prints one line for an unexpected failure instead of a stack trace, and exits non-zero. */
export function exitWithError(what: string, error: unknown): never {
  process.stderr.write(`${what}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
