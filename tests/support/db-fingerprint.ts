import { createHash } from 'node:crypto';
import { Prisma } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';

export interface TableFingerprint {
  rows: number;
  /** md5 of the table's rows, each as its text form, sorted (null for an empty table). */
  digest: string | null;
}

/**
 * Every row of every table in the public schema (the migrations' bookkeeping included), per
 * table, and one hash over them all. Two equal fingerprints: nothing was inserted, updated or
 * deleted anywhere. Tests of what must write nothing (a backtest) compare one taken before with
 * one taken after.
 */
export async function dbFingerprint(db: Db): Promise<{ hash: string; tables: Record<string, TableFingerprint> }> {
  const names = await db.$queryRaw<Array<{ name: string }>>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`;
  const hash = createHash('sha256');
  const tables: Record<string, TableFingerprint> = {};
  for (const { name } of names) {
    const table = Prisma.raw(`"public"."${name.replace(/"/g, '""')}"`);
    // Rows sorted by their text form: no table needs a key for a stable order.
    const [r] = await db.$queryRaw<Array<{ n: bigint; digest: string | null }>>`
      SELECT count(*) AS n, md5(string_agg(t::text, ${'\n'} ORDER BY t::text)) AS digest FROM ${table} t`;
    tables[name] = { rows: Number(r!.n), digest: r!.digest };
    hash.update(`${name}\t${r!.n}\t${r!.digest ?? ''}\n`);
  }
  return { hash: hash.digest('hex'), tables };
}
