import nodemailer from 'nodemailer';
import { withSpan } from './tracing';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Derived from the outbox key: a resend after a lost database write carries the same id. */
  messageId: string;
}

/** Thrown by `send`: `permanent` for a 5xx answer (bad address, refused), else worth retrying. */
export class MailError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string; response: string }>;
  close(): void;
}

/** nodemailer's SMTP transport, pooled and rate-limited so a cycle that notifies 1,000 units does not flood the server. */
export function createMailer(smtpUrl: string, opts: { ratePerSecond?: number; timeoutMs?: number } = {}): Mailer {
  const url = new URL(smtpUrl);
  const port = Number(url.port || (url.protocol === 'smtps:' ? 465 : 25));
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port,
    secure: url.protocol === 'smtps:',
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    pool: true,
    maxConnections: 4,
    rateDelta: 1000,
    rateLimit: opts.ratePerSecond ?? 50,
    connectionTimeout: opts.timeoutMs ?? 10_000,
    greetingTimeout: opts.timeoutMs ?? 10_000,
    socketTimeout: opts.timeoutMs ?? 20_000,
    tls: { rejectUnauthorized: url.searchParams.get('tlsVerify') !== 'off' },
    ignoreTLS: url.searchParams.get('starttls') === 'off',
  });
  // No recipient, subject or Message-ID: a trace is no place for who was told what.
  const spanAttributes = { 'server.address': url.hostname, 'server.port': port, 'network.protocol.name': 'smtp' };
  return {
    send: (mail) =>
      // A client span in the trace of the action that asked for the notice (activities/notifications.ts).
      withSpan('SMTP send', spanAttributes, async () => {
        try {
          const info = await transport.sendMail({ ...mail, headers: { 'Auto-Submitted': 'auto-generated' } });
          return { messageId: info.messageId, response: info.response };
        } catch (err) {
          const e = err as { responseCode?: number; message: string; code?: string };
          const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
          throw new MailError(`${e.code ?? ''} ${e.responseCode ?? ''} ${e.message}`.trim(), permanent);
        }
      }),
    close: () => transport.close(),
  };
}
