/**
 * Sends the login code e-mail. Over real SMTP (nodemailer) when `EMAIL__SMTP_HOST` is set; STARTTLS is then
 * required unless `EMAIL__USE_TLS=false`, so a server that cannot encrypt never receives a code in clear
 * text. Without an SMTP host, development prints the code to the log so that nobody needs a mail server to
 * try the app; every other mode refuses with 503, because a service that claims to have sent a code it
 * never sent leaves users stuck.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.js';
import { serviceUnavailable } from '../errors.js';
import type { Logger } from './logger.js';

export interface LoginCodeMail {
  /** The plain address: it exists only in memory until the mail is handed to the SMTP server. */
  to: string;
  code: string;
  validMinutes: number;
}

export interface Mailer {
  /** Delivers the code or throws 503; never resolves without having delivered it (or logged it in development). */
  sendLoginCode(mail: LoginCodeMail): Promise<void>;
}

/** What a development log line with a sign-in code starts with. */
export const SIGN_IN_CODE_MARK = 'SIGN-IN CODE';

const NOT_SENT = 'The sign-in code could not be sent. Please try again in a few minutes.';

export function createMailer(config: Config, logger: Logger): Mailer {
  const { email } = config;
  if (email.smtpHost) return new SmtpMailer(config, logger);
  if (config.nodeEnv === 'development') return new DevelopmentLogMailer(logger);
  return {
    async sendLoginCode() {
      logger.warn({}, 'EMAIL__SMTP_HOST is not set: a sign-in code could not be sent (answered 503)');
      throw serviceUnavailable('E-mail delivery is not configured on this server. Please try again later.');
    },
  };
}

class SmtpMailer implements Mailer {
  readonly #transport: Transporter;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    const { email } = config;
    const implicitTls = email.useTls && email.smtpPort === 465;
    this.#transport = nodemailer.createTransport({
      host: email.smtpHost!,
      port: email.smtpPort,
      secure: implicitTls,
      requireTLS: email.useTls && !implicitTls,
      ignoreTLS: !email.useTls,
      auth: email.smtpUsername ? { user: email.smtpUsername, pass: email.smtpPassword ?? '' } : undefined,
      // A hanging mail server must not hold the request (and the user) for nodemailer's default minutes.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  async sendLoginCode(mail: LoginCodeMail): Promise<void> {
    try {
      await this.#transport.sendMail({ from: this.config.email.fromAddress, to: mail.to, ...loginCodeMessage(mail) });
    } catch (error) {
      // The error text may quote the address (e.g. "550 <x@y> unknown"): log only its code and SMTP status.
      const e = error as { code?: string; responseCode?: number };
      this.logger.warn({ smtpError: e.code ?? 'unknown', smtpStatus: e.responseCode }, 'sign-in code e-mail not delivered');
      throw serviceUnavailable(NOT_SENT);
    }
  }
}

class DevelopmentLogMailer implements Mailer {
  constructor(private readonly logger: Logger) {}

  async sendLoginCode(mail: LoginCodeMail): Promise<void> {
    // The message leads with the code, in words the start-up summary tells the developer to look for.
    this.logger.warn(
      { to: maskAddress(mail.to), code: mail.code },
      `${SIGN_IN_CODE_MARK} ${mail.code} for ${maskAddress(mail.to)} (development: EMAIL__SMTP_HOST is not set, so the code is logged instead of sent)`,
    );
  }
}

/** `doctor@example.org` -> `d***@example.org`: enough to tell test accounts apart in a development log. */
function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return `${address.slice(0, 1)}***${address.slice(at)}`;
}

/** The login code e-mail in German and English, as plain text and simple HTML. */
export function loginCodeMessage({ code, validMinutes }: { code: string; validMinutes: number }) {
  const subject = 'Ihr Anmeldecode für Open Working Hours / Your Open Working Hours sign-in code';
  const german = {
    intro: 'Ihr Anmeldecode für Open Working Hours lautet:',
    validity: `Der Code ist ${validMinutes} Minuten gültig und kann nur einmal verwendet werden.`,
    ignore: 'Wenn Sie keinen Code angefordert haben, können Sie diese E-Mail ignorieren.',
  };
  const english = {
    intro: 'Your Open Working Hours sign-in code is:',
    validity: `The code is valid for ${validMinutes} minutes and can be used only once.`,
    ignore: 'If you did not request a code, you can ignore this e-mail.',
  };
  const text = [german, english]
    .map((l) => `${l.intro}\n\n    ${code}\n\n${l.validity}\n${l.ignore}\n`)
    .join('\n----------------------------------------\n\n');
  const block = (l: typeof german, lang: string) =>
    `<div lang="${lang}"><p>${l.intro}</p>` +
    `<p style="font-size:28px;font-weight:bold;letter-spacing:6px;font-family:monospace">${code}</p>` +
    `<p>${l.validity}<br>${l.ignore}</p></div>`;
  const html =
    `<!doctype html><html><body style="font-family:sans-serif;color:#222">` +
    `${block(german, 'de')}<hr>${block(english, 'en')}</body></html>`;
  return { subject, text, html };
}
