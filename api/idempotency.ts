import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { Db } from '../lib/db';
import { withSpan } from '../lib/tracing';
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
  const row = await withSpan('stage idempotency.claim', {}, () => claim(db, userId, key, hash));
  // Neither claimed nor seen: the first try's row came or went after this statement began; ask again.
  if (row === undefined) return once(db, userId, key, hash, run);
  if (!row.claimed) {
    if (row.request_hash !== hash)
      throw new AppError(422, 'idempotency_key_reused', '该 Idempotency-Key 已用于另一个请求');
    if (row.state === 'done' && row.response_status !== null)
      return { statusCode: row.response_status, body: row.response_body };
    throw new AppError(409, 'conflict', '相同的请求正在处理中，请稍后重试', { reason: 'request_in_progress' });
  }
  let outcome: Outcome;
  try {
    outcome = await run();
  } catch (err) {
    if (err instanceof AppError && err.statusCode < 500) {
      await finish(db, userId, key, { statusCode: err.statusCode, body: err.body() });
    } else {
      await db.$executeRaw`DELETE FROM idempotency_keys WHERE actor_user_id = ${userId} AND key = ${key}`.catch(
        () => {},
      );
    }
    throw err;
  }
  await finish(db, userId, key, outcome);
  return outcome;
}

interface ClaimRow {
  claimed: boolean;
  request_hash: string | null;
  state: string | null;
  response_status: number | null;
  response_body: unknown;
}

/**
 * Claims the key for this request, or reads the row of the request that holds it, in one
 * statement (one round trip either way). No row back: a concurrent first try committed its
 * claim after this statement's snapshot was taken (the insert waited for it, the read cannot see it).
 */
async function claim(db: Db, userId: string, key: string, hash: string): Promise<ClaimRow | undefined> {
  const rows = await db.$queryRaw<ClaimRow[]>`
    WITH claimed AS (
      INSERT INTO idempotency_keys (actor_user_id, key, request_hash, state)
      VALUES (${userId}, ${key}, ${hash}, 'pending')
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT true AS claimed, NULL::text AS request_hash, NULL::text AS state,
           NULL::int AS response_status, NULL::jsonb AS response_body
      FROM claimed
    UNION ALL
    SELECT false, request_hash, state, response_status, response_body
      FROM idempotency_keys
     WHERE actor_user_id = ${userId} AND key = ${key} AND NOT EXISTS (SELECT 1 FROM claimed)`;
  return rows[0];
}

/**
 * Stores the answer: one statement (Prisma's updateMany would send BEGIN, UPDATE and COMMIT),
 * nothing read back (the body may be a whole item).
 */
async function finish(db: Db, userId: string, key: string, outcome: Outcome): Promise<void> {
  await withSpan(
    'stage idempotency.finish',
    {},
    () => db.$executeRaw`
      UPDATE idempotency_keys
         SET state = 'done', response_status = ${outcome.statusCode},
             response_body = ${JSON.stringify(outcome.body ?? null)}::jsonb
       WHERE actor_user_id = ${userId} AND key = ${key}`,
  );
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
