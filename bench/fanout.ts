/**
 * Fan-out: one event notifying 1,000 recipients, through a local SMTP server: mails per second,
 * duplicates and losses (both must be zero).
 */
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createNotificationActivities } from '../activities/notifications';
import type { Actor } from '../domain/actors';
import { openItem } from '../workflows/client/items';
import { createMailer } from '../lib/mailer';
import { freePort } from '../dev/ports';
import { createWorker } from '../worker/create';
import { workerOptions, workflowCode } from '../app/compose';
import { configWith } from '../lib/config';
import type { EmbeddedStack } from '../dev/embedded-stack';

const supervisor: Actor = { userId: 'b-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };

export async function runFanout(stack: EmbeddedStack, recipients: number, ratePerSecond: number) {
  const { db, client, nativeConnection } = stack;
  await db.unit.createMany({
    data: [{ id: 'unit-fan', name: '全市各乡镇街道', parentId: null, kind: 'township' }],
    skipDuplicates: true,
  });
  await db.contact.createMany({
    data: Array.from({ length: recipients }, (_, i) => ({
      id: `fan-${i}`,
      unitId: 'unit-fan',
      role: 'handler',
      name: `经办人${i}`,
      email: `handler${i}@fan.example.gov.cn`,
      userId: null,
    })),
  });
  const received = new Map<string, number>();
  const port = await freePort();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _s, cb) {
      simpleParser(stream).then((m) => {
        received.set(m.messageId ?? '', (received.get(m.messageId ?? '') ?? 0) + 1);
        cb();
      }, cb);
    },
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const mailer = createMailer(`smtp://127.0.0.1:${port}?starttls=off`, { ratePerSecond });
  // Office hours of a working day, so that quiet hours do not hold the (non-urgent) notice back.
  const outbox = createNotificationActivities(db, mailer, {
    from: '督查督办系统 <duban@example.gov.cn>',
    publicUrl: 'http://127.0.0.1:3000',
    now: () => Date.parse('2026-11-24T02:00:00Z'),
  });
  const config = configWith({ TEMPORAL_TASK_QUEUE: 'bench-fanout' });
  const worker = await createWorker(
    workerOptions(config, {
      connection: nativeConnection,
      db,
      temporal: client,
      workflowBundle: (await workflowCode(config)).bundle,
    }),
  );
  const result = await worker.runUntil(async () => {
    const item = await openItem(client, 'bench-fanout', {
      id: `fan-${Date.now()}`,
      problemListId: null,
      spec: {
        title: '全市统一部署的专项整治任务',
        description: '',
        category: 'other',
        priority: 'normal',
        source: '',
        leadUnitId: 'unit-fan',
        coUnitIds: [],
        dueDate: '2026-12-31',
      },
      createdBy: supervisor,
      config: { maxDeclines: 2 },
    });
    const t0 = performance.now();
    while ((await outbox.expandRequests()) > 0);
    for (;;) {
      const r = await outbox.sendPending(100);
      if (r.sent + r.retried + r.failed === 0) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    const rows = await db.outboxMessage.count({ where: { subjectKind: 'item', subjectId: item.id, kind: 'assigned' } });
    return { seconds, rows };
  });
  mailer.close();
  await new Promise<void>((r) => server.close(() => r()));
  const unique = received.size;
  const duplicates = [...received.values()].reduce((a, n) => a + n - 1, 0);
  const lost = recipients - unique;
  const correct = duplicates === 0 && lost === 0 && result.rows === recipients;
  return {
    rows: [
      {
        bench: 'fan-out',
        recipients,
        'rate limit /s': ratePerSecond,
        seconds: result.seconds,
        'mails/s': unique / result.seconds,
        duplicates,
        lost,
        correct: correct ? 'yes' : 'NO',
      },
    ],
    correct,
    json: {
      recipients,
      ratePerSecond,
      seconds: result.seconds,
      mailsPerSecond: unique / result.seconds,
      duplicates,
      lost,
    },
  };
}
