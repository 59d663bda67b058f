import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createNotificationActivities } from '../../activities/notifications';
import { freePort } from '../../dev/ports';
import type { Db } from '../../lib/db';
import type { Mailer } from '../../lib/mailer';

export interface TestSmtp {
  url: string;
  port: number;
  received: ParsedMail[];
  /** Addresses answered 550 at RCPT TO. */
  reject: Set<string>;
  /** Addresses answered 451 (try again later) at RCPT TO, so many more times each. */
  tempFail: Map<string, number>;
  /** How the server misbehaves after receiving a message's data: never answers (the client times out), or keeps it and answers 421 closing the connection (as if it dropped after accepting). */
  afterData: 'answer' | 'hang' | 'dropAfterAccepting';
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A real SMTP server on loopback that parses what it receives; it can be stopped and started again. */
export async function testSmtp(): Promise<TestSmtp> {
  const port = await freePort();
  const received: ParsedMail[] = [];
  const reject = new Set<string>();
  const tempFail = new Map<string, number>();
  const behaviour = { afterData: 'answer' as TestSmtp['afterData'] };
  let server: SMTPServer | undefined;
  const make = () =>
    new SMTPServer({
      // Do not wait for clients that died (killed workers) when stopping.
      closeTimeout: 200,
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (reject.has(address.address)) {
          const err = new Error('5.1.1 mailbox unavailable') as Error & { responseCode: number };
          err.responseCode = 550;
          return callback(err);
        }
        const left = tempFail.get(address.address) ?? 0;
        if (left > 0) {
          tempFail.set(address.address, left - 1);
          const err = new Error('4.3.2 try again later') as Error & { responseCode: number };
          err.responseCode = 451;
          return callback(err);
        }
        callback();
      },
      onData(stream, _session, callback) {
        simpleParser(stream).then((mail) => {
          if (behaviour.afterData === 'hang') return; // never answers: the client's socket times out
          received.push(mail);
          if (behaviour.afterData === 'dropAfterAccepting') {
            const err = new Error('4.4.2 connection dropped') as Error & { responseCode: number };
            err.responseCode = 421;
            return callback(err);
          }
          callback();
        }, callback);
      },
    });
  const t: TestSmtp = {
    url: `smtp://127.0.0.1:${port}?starttls=off`,
    port,
    received,
    reject,
    tempFail,
    get afterData() {
      return behaviour.afterData;
    },
    set afterData(v) {
      behaviour.afterData = v;
    },
    async start() {
      server = make();
      // A client that dies mid-session (a killed worker) resets its connection: not the test's failure.
      server.on('error', () => {});
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', () => resolve()));
    },
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await t.start();
  return t;
}

/** Tuesday 24 November 2026, 10:00 in Shanghai: office hours, so nothing waits for the morning. */
export const OFFICE_HOURS = Date.parse('2026-11-24T02:00:00Z');

/** The outbox's activities as the worker runs them, mailing through `mailer`, its clock at OFFICE_HOURS. */
export function officeHoursOutbox(db: Db, mailer: Mailer) {
  return createNotificationActivities(db, mailer, {
    from: '督查督办系统 <duban@example.gov.cn>',
    publicUrl: 'https://duban.example.gov.cn',
    now: () => OFFICE_HOURS,
  });
}
