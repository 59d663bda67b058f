/**
 * Verifies the hash chain of one item's events, or of every item (--all), and reports the first
 * broken link of each; exits 1 if any chain is broken.
 *   npm run chain:verify -- <itemId> | --all
 */
import { loadConfig } from '../lib/config';
import { verifyItemChain } from '../lib/chain';
import { createDb } from '../lib/db';

const config = loadConfig();
const arg = process.argv[2];
if (!arg) {
  console.error('usage: npm run chain:verify -- <itemId> | --all');
  process.exit(2);
}
const db = createDb(config.DATABASE_URL ?? `postgresql://duban:duban@127.0.0.1:${config.PG_PORT}/duban`);
let broken = 0;
try {
  const ids =
    arg === '--all'
      ? (await db.item.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((i) => i.id)
      : [arg];
  for (const id of ids) {
    const report = await verifyItemChain(db, id);
    if (!report) {
      console.error(`${id}: no such item`);
      broken++;
      continue;
    }
    if (report.intact) {
      console.log(`${id}: intact (${report.events} events, head ${report.head?.slice(0, 16)}…)`);
    } else {
      broken++;
      console.log(
        `${id}: BROKEN at event ${report.firstBreak?.seq} (${report.firstBreak?.reason}): ${report.firstBreak?.message}`,
      );
    }
  }
  console.log(`${ids.length} checked, ${broken} broken`);
} finally {
  await db.$disconnect();
}
process.exit(broken ? 1 : 0);
