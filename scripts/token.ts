/**
 * Issues a bearer token: npm run token -- <userId> <name> <role> [unitId]
 * The secret is AUTH_SECRET, or the embedded default's .data/auth-secret.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ActorSchema } from '../domain/actors';
import { loadConfig } from '../lib/config';
import { signToken } from '../lib/tokens';
import { ROOT } from '../lib/tools';

const config = loadConfig();
const [userId, name, role, unitId] = process.argv.slice(2);
const actor = ActorSchema.parse({ userId, name, role, unitId: unitId ?? null });
const secret = config.AUTH_SECRET ?? readFileSync(path.join(ROOT, config.DATA_DIR, 'auth-secret'), 'utf8').trim();
console.log(signToken(actor, secret));
