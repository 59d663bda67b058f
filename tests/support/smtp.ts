import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from '../../lib/ports';

export interface TestSmtp {
  url: string;
  port: number;
  received: ParsedMail[];
  /** Addresses answered 550 at RCPT TO. */
  reject: Set<string>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A real SMTP server on loopback that parses what it receives; it can be stopped and started again. */
export async function testSmtp(): Promise<TestSmtp> {
  const port = await freePort();
  const received: ParsedMail[] = [];
  const reject = new Set<string>();
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
        callback();
      },
      onData(stream, _session, callback) {
        simpleParser(stream).then((mail) => {
          received.push(mail);
          callback();
        }, callback);
      },
    });
  const t: TestSmtp = {
    url: `smtp://127.0.0.1:${port}?starttls=off`,
    port,
    received,
    reject,
    async start() {
      server = make();
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
