import type { LogLevel } from 'fastify';

const SEVERITY: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * The log level of routes that are called all the time (health checks, the polled dashboard, metrics,
 * public statistics): their request lines would drown everything else, so they log from `warn` up — but
 * never more than the configured `LOG_LEVEL` allows.
 */
export function quietLogLevel(configured: string): LogLevel {
  const level = configured as LogLevel;
  return SEVERITY.indexOf(level) > SEVERITY.indexOf('warn') ? level : 'warn';
}
