import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { Db } from '../lib/db';
import type { Prisma } from '../generated/prisma/client';
import { AppError, badRequest } from './errors';

export interface Outcome {
  statusCode: number;
  body: unknown;
}

/**
 * Sends an outcome that may be a stored one: its status is any the route declares (a replayed
 * refusal included), and the route's response schema for that status still serialises it.
 */
export function sendOutcome(reply: FastifyReply, outcome: Outcome): FastifyReply {
  return reply.status(outcome.statusCode).send(outcome.body);
}

export function requestHash(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${url}\n${JSON.stringify(body ?? null)}`)
    .digest('hex');
}

/**
 * A POST carrying an `Idempotency-Key` runs once per (user, key): a retry gets the first answer
 * back, a concurrent duplicate is told to wait, and a key reused for another request is refused.
 * Answers the client could act on (2xx, 4xx) are kept; a 5xx frees the key for a retry.
 */
export async function once(
  db: Db,
  userId: string,
  key: string | undefined,
  hash: string,
  run: () => Promise<Outcome>,
): Promise<Outcome> {
  if (key === undefined) return run();
  if (!/^[\x21-\x7e]{1,128}$/.test(key))
    throw badRequest([{ field: 'headers.idempotency-key', reason: '应为 1–128 个可见 ASCII 字符' }]);
  const claimed = await db.idempotencyKey.createMany({
    data: [{ actorUserId: userId, key, requestHash: hash, state: 'pending' }],
    skipDuplicates: true,
  });
  if (claimed.count === 0) {
    const row = await db.idempotencyKey.findUnique({ where: { actorUserId_key: { actorUserId: userId, key } } });
    if (!row) return once(db, userId, key, hash, run);
    if (row.requestHash !== hash)
      throw new AppError(422, 'idempotency_key_reused', '该 Idempotency-Key 已用于另一个请求');
    if (row.state === 'done' && row.responseStatus !== null)
      return { statusCode: row.responseStatus, body: row.responseBody };
    throw new AppError(409, 'conflict', '相同的请求正在处理中，请稍后重试', { reason: 'request_in_progress' });
  }
  let outcome: Outcome;
  try {
    outcome = await run();
  } catch (err) {
    if (err instanceof AppError && err.statusCode < 500) {
      await finish(db, userId, key, { statusCode: err.statusCode, body: err.body() });
    } else {
      await db.idempotencyKey.delete({ where: { actorUserId_key: { actorUserId: userId, key } } }).catch(() => {});
    }
    throw err;
  }
  await finish(db, userId, key, outcome);
  return outcome;
}

async function finish(db: Db, userId: string, key: string, outcome: Outcome): Promise<void> {
  await db.idempotencyKey.update({
    where: { actorUserId_key: { actorUserId: userId, key } },
    data: { state: 'done', responseStatus: outcome.statusCode, responseBody: outcome.body as Prisma.InputJsonValue },
  });
}

/**
 * Whether a request is the replay of an answer already stored under its Idempotency-Key (same
 * user, key and request): the rate limiter does not count it, since it costs one lookup and
 * changes nothing. A key still in progress, reused for another request, or unknown is counted.
 */
export async function isStoredReplay(
  db: Db,
  userId: string | undefined,
  key: unknown,
  method: string,
  url: string,
  body: unknown,
): Promise<boolean> {
  if (!userId || typeof key !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(key)) return false;
  const row = await db.idempotencyKey.findUnique({
    where: { actorUserId_key: { actorUserId: userId, key } },
    select: { state: true, requestHash: true, responseStatus: true },
  });
  return row?.state === 'done' && row.responseStatus !== null && row.requestHash === requestHash(method, url, body);
}
