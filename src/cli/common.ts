/** Start-up shared by the server and the command-line tools: configuration errors end the process cleanly. */
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../config.js';
import { SIGN_IN_CODE_MARK } from '../services/mailer.js';

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

/**
 * What a developer needs after `npm start`, in plain words, printed once next to the JSON log lines: where
 * the service listens, the API docs, where sign-in codes go and whether the admin page is on.
 */
export function developmentSummary(config: Config, url: string): string {
  const codes = config.email.smtpHost
    ? `sent by e-mail through ${config.email.smtpHost}`
    : `no SMTP server is set (EMAIL__SMTP_HOST), so codes are written to this log: look for "${SIGN_IN_CODE_MARK}"`;
  const admin = config.adminPassword
    ? `${url}/admin (user ${config.adminUsername})`
    : `disabled: set ADMIN_PASSWORD to enable ${url}/admin`;
  return [
    `Open Working Hours backend (${config.nodeEnv}) is running.`,
    `  Listening on   ${url}`,
    `  API docs       ${config.docsEnabled ? `${url}/docs` : 'off (DOCS_ENABLED=false)'}`,
    `  Sign-in codes  ${codes}`,
    `  Admin page     ${admin}`,
    '',
  ].join('\n');
}
