/**
 * A real SMTP server (`smtp-server`) on a random local port, without TLS, that keeps what it receives. Tests
 * point the app at it with `smtp.env` and read sign-in codes out of the delivered messages, exactly as a
 * user would read them from their inbox.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { createTestApp, type TestApp, type TestAppOptions } from './app.js';

export interface DeliveredMessage {
  to: string[];
  raw: string;
  subject: string;
  /** The decoded text/plain part. */
  text: string;
  /** The decoded text/html part. */
  html: string;
  /** False when the server answered the DATA with an error (see `refuseData`). */
  accepted: boolean;
  /** True when the message travelled over TLS (STARTTLS). */
  secure: boolean;
}

export interface TestSmtp {
  port: number;
  /** Environment variables that make the app send through this server. */
  env: Record<string, string>;
  messages: DeliveredMessage[];
  /** Messages (accepted or refused) addressed to `address`, oldest first. */
  messagesTo(address: string): DeliveredMessage[];
  /** The sign-in code of the newest message to `address`; fails when there is none. */
  lastCodeFor(address: string): string;
  /** While true, every message is received in full and then refused with 554 (a mail server rejecting it). */
  refuseData: boolean;
  close(): Promise<void>;
}

export async function startSmtpServer(options: Partial<SMTPServerOptions> = {}): Promise<TestSmtp> {
  const messages: DeliveredMessage[] = [];
  const state = { refuseData: false };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    // The reverse DNS lookup of every client costs ~100 ms per message.
    disableReverseLookup: true,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = (session.envelope.rcptTo || []).map((r) => r.address.toLowerCase());
        const refused = state.refuseData;
        messages.push({ ...parseMessage(Buffer.concat(chunks).toString('utf8')), to, accepted: !refused, secure: session.secure });
        if (refused) {
          const error = new Error('Message rejected by policy') as Error & { responseCode: number };
          error.responseCode = 554;
          callback(error);
        } else {
          callback();
        }
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  const messagesTo = (address: string) => messages.filter((m) => m.to.includes(address.toLowerCase()));
  return {
    port,
    env: { EMAIL__SMTP_HOST: '127.0.0.1', EMAIL__SMTP_PORT: String(port), EMAIL__USE_TLS: 'false' },
    messages,
    messagesTo,
    lastCodeFor(address) {
      const message = messagesTo(address).at(-1);
      if (!message) throw new Error(`no message was delivered to ${address}`);
      return codeIn(message);
    },
    get refuseData() {
      return state.refuseData;
    },
    set refuseData(value: boolean) {
      state.refuseData = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The 6-digit code as the text part shows it (on a line of its own). */
export function codeIn(message: DeliveredMessage): string {
  const code = /^\s+(\d{6})\s*$/m.exec(message.text)?.[1];
  if (!code) throw new Error(`no code in message:\n${message.text}`);
  return code;
}

/** Just enough MIME to read what nodemailer sends: headers, multipart/alternative, QP and base64. */
function parseMessage(raw: string): Omit<DeliveredMessage, 'to' | 'accepted' | 'secure'> {
  const { headers, body } = splitHeaders(raw);
  const parts: Record<string, string> = {};
  const collect = (partHeaders: Map<string, string>, partBody: string) => {
    const type = partHeaders.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (type.toLowerCase().startsWith('multipart/') && boundary) {
      for (const section of partBody.split(`--${boundary}`).slice(1)) {
        if (section.startsWith('--')) break;
        const inner = splitHeaders(section.replace(/^\r?\n/, ''));
        collect(inner.headers, inner.body);
      }
      return;
    }
    const mime = type.split(';')[0]!.trim().toLowerCase();
    parts[mime] = decodeBody(partBody, partHeaders.get('content-transfer-encoding') ?? '7bit');
  };
  collect(headers, body);
  return {
    raw,
    subject: decodeWords(headers.get('subject') ?? ''),
    text: parts['text/plain'] ?? '',
    html: parts['text/html'] ?? '',
  };
}

function splitHeaders(raw: string): { headers: Map<string, string>; body: string } {
  const end = raw.search(/\r?\n\r?\n/);
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? '' : raw.slice(end).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(body: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

function decodeQuotedPrintable(text: string): string {
  // Literal % first, so that only the =XX escapes turn into percent escapes.
  const escaped = text.replace(/%/g, '%25').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, '%$1');
  return decodeURIComponent(escaped);
}

/** RFC 2047 encoded words, e.g. `=?UTF-8?Q?f=C3=BCr?=`. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

export interface TestAppWithSmtp extends TestApp {
  smtp: TestSmtp;
}

/** A test app that sends its mail to a fresh test SMTP server; `close()` stops both. */
export async function createTestAppWithSmtp(options: TestAppOptions = {}): Promise<TestAppWithSmtp> {
  const smtp = await startSmtpServer();
  const t = await createTestApp({ ...options, env: { ...smtp.env, ...options.env } });
  return {
    ...t,
    smtp,
    async close() {
      await t.close();
      await smtp.close();
    },
  };
}
