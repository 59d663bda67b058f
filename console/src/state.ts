import { get } from './api';

export interface Me {
  actor: { userId: string; name: string; role: string; unitId: string | null };
  roleLabel: string;
  permissions: string[];
}

export interface Unit {
  id: string;
  name: string;
  parentId: string | null;
  kind: string;
}

export interface Meta {
  statuses: Record<string, string>;
  actions: Record<string, string>;
  roles: Record<string, string>;
}

let units: Promise<Unit[]> | null = null;
let meta: Promise<Meta> | null = null;

/** Units and labels change rarely: loaded once per page load. */
export function loadUnits(): Promise<Unit[]> {
  // A unit is shown by its label: its name, or with its parent's where two units share a name.
  units ??= get<{ units: Array<Unit & { label?: string }> }>('/api/units').then(
    (r) => r.units.map((u) => ({ ...u, name: u.label ?? u.name })),
    (err) => ((units = null), Promise.reject(err)),
  );
  return units;
}
export function loadMeta(): Promise<Meta> {
  meta ??= get<Meta>('/api/meta/states').catch((err) => ((meta = null), Promise.reject(err)));
  return meta;
}

export function isUnitRole(me: Me): boolean {
  return me.actor.role === 'unit_handler' || me.actor.role === 'unit_leader';
}
export const can = (me: Me, permission: string) => me.permissions.includes(permission);
