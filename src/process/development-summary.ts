import type { Config } from '../config.js';
import { SIGN_IN_CODE_MARK } from '../services/mailer.js';

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
