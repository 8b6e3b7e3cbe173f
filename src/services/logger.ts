/**
 * The logging interface services use: the subset of pino's API they call, so that the server passes its
 * Fastify logger (whose records reach stdout and the admin log viewer) and command-line tools pass the
 * console.
 */
export interface Logger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export const consoleLogger: Logger = {
  info: (fields, message) => console.log(message ?? '', fields),
  warn: (fields, message) => console.warn(message ?? '', fields),
  error: (fields, message) => console.error(message ?? '', fields),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
