/**
 * Users and their tokens, from the command line (the operator's tool; the audit administrator is
 * appointed here, out of the system administrator's reach).
 *
 *   npm run user -- create <id> --name <姓名> --role <role> [--unit <unitId>] [--jurisdiction <unitId>]
 *   npm run user -- token <id> [--hours 8]
 *   npm run user -- disable <id>
 *   npm run user -- list
 *
 * DATABASE_URL, or the embedded default's database while ./scripts/start.sh runs. Tokens are
 * signed with AUTH_SECRET, or the embedded default's .data/auth-secret.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROLES, ROLE_LABELS } from '../domain/actors';
import { loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { signToken } from '../lib/tokens';
import { ROOT } from '../lib/root';
import { upsertUser, userProblems, UserSchema } from '../lib/users';

const config = loadConfig();
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    role: { type: 'string' },
    unit: { type: 'string' },
    jurisdiction: { type: 'string' },
    hours: { type: 'string', default: '8' },
    help: { type: 'boolean' },
  },
});
const [command, id] = positionals;
if (values.help || !command) {
  console.log(`usage:
  npm run user -- create <id> --name <姓名> --role <${ROLES.join('|')}> [--unit <unitId>] [--jurisdiction <unitId>]
  npm run user -- token <id> [--hours 8]
  npm run user -- disable <id>
  npm run user -- list`);
  process.exit(command ? 0 : 2);
}

const db = createDb(config.DATABASE_URL ?? `postgresql://duban:duban@127.0.0.1:${config.PG_PORT}/duban`);
const fail = (msg: string): never => {
  console.error(msg);
  process.exit(2);
};
try {
  if (command === 'list') {
    for (const u of await db.user.findMany({ orderBy: { id: 'asc' } })) {
      console.log(
        `${u.id}\t${u.name}\t${ROLE_LABELS[u.role as keyof typeof ROLE_LABELS] ?? u.role}\t${u.unitId ?? '-'}\t${u.jurisdictionUnitId ? `管辖 ${u.jurisdictionUnitId}` : ''}${u.active ? '' : '\t(停用)'}`,
      );
    }
  } else if (command === 'create') {
    const parsed = UserSchema.safeParse({
      id,
      name: values.name,
      role: values.role,
      unitId: values.unit ?? null,
      jurisdictionUnitId: values.jurisdiction ?? null,
    });
    if (!parsed.success) fail(parsed.error.issues.map((i) => `${i.path.join('.') || 'id'}: ${i.message}`).join('\n'));
    const user = parsed.data!;
    const problems = await userProblems(db, user);
    if (problems.length) fail(problems.map((p) => `${p.field}: ${p.reason}`).join('\n'));
    await upsertUser(db, user);
    console.log(`user ${user.id} (${ROLE_LABELS[user.role]}) saved`);
  } else if (command === 'token') {
    const user = id ? await db.user.findUnique({ where: { id } }) : null;
    if (!user || !user.active) fail(`no active user ${id ?? ''}`);
    const secret =
      config.AUTH_SECRET ?? readFileSync(path.resolve(ROOT, config.DATA_DIR, 'auth-secret'), 'utf8').trim();
    const hours = Number(values.hours);
    if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 90) fail('--hours: between 0 and 2160');
    console.log(signToken({ userId: user!.id, name: user!.name }, secret, Math.round(hours * 3600)));
  } else if (command === 'disable') {
    const { count } = await db.user.updateMany({ where: { id }, data: { active: false, updatedAt: new Date() } });
    if (!count) fail(`no user ${id ?? ''}`);
    console.log(`user ${id} disabled: their tokens stop working within ${config.AUTH_USER_CACHE_MS / 1000} s`);
  } else {
    fail(`unknown command ${command}; see --help`);
  }
} finally {
  await db.$disconnect();
}
