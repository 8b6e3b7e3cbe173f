/**
 * The logging interface services use: the subset of pino's API they call, so that the server passes its
 * Fastify logger (whose records the admin log viewer shows) and the CLI passes something small of its own.
 */
export interface Logger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
