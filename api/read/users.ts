/** The user directory and the unit tree, as the system administrator and the console read them. */
import type { Role } from '../../domain/actors';
import type { Services } from '../services';

export async function listUsers(s: Services) {
  return (await s.db.user.findMany({ orderBy: { id: 'asc' } })).map((u) => ({
    ...u,
    role: u.role as Role,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  }));
}

export async function listUnits(s: Services) {
  return s.db.unit.findMany({ orderBy: [{ kind: 'asc' }, { id: 'asc' }] });
}
