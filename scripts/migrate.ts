import { loadConfig } from '../lib/config';
import { migrate } from '../lib/migrate';

const { DATABASE_URL } = loadConfig();
if (!DATABASE_URL) throw new Error('set DATABASE_URL');
const applied = await migrate(DATABASE_URL);
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
