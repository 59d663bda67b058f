/** The user directory and the unit tree, as the system administrator and the console read them. */
import type { Role } from '../../domain/actors';
import { unitLabels } from '../../lib/unit-names';
import type { Services } from '../services';
import { userAddresses } from './contacts';

/** Every user, with the addresses of the contact each is told as (api/contacts-service.ts). */
export async function listUsers(s: Services) {
  const users = await s.db.user.findMany({ orderBy: { id: 'asc' } });
  const addresses = await userAddresses(s, users);
  return users.map((u) => ({
    ...u,
    ...addresses.get(u.id)!,
    role: u.role as Role,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  }));
}

/** The unit tree, each unit with the label it is shown by (its name, qualified where another unit shares it). */
export async function listUnits(s: Services) {
  const units = await s.db.unit.findMany({ orderBy: [{ kind: 'asc' }, { id: 'asc' }] });
  const labels = unitLabels(units);
  return units.map((u) => ({ ...u, label: labels.get(u.id) ?? u.name }));
}
