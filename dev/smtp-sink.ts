import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

/**
 * The embedded default's mail server: accepts everything on loopback and keeps each message as
 * an .eml file in `dir`, so a new user sees what would have been sent.
 */
export async function startSmtpSink(opts: {
  port: number;
  dir: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  await mkdir(opts.dir, { recursive: true });
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo
          .map((r) => r.address)
          .join(',')
          .replace(/[^a-zA-Z0-9@._,-]/g, '_');
        const file = path.join(opts.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${++n}-${to}.eml`);
        writeFile(file, Buffer.concat(chunks)).then(() => callback(), callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  server.removeAllListeners('error');
  // A sender that dies mid-session resets its connection; that must not bring the process down.
  server.on('error', (err: Error) => console.warn(`smtp sink: ${err.message}`));
  return {
    url: `smtp://127.0.0.1:${opts.port}?starttls=off`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
