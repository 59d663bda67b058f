import { z } from 'zod';

export const ROLES = ['supervisor', 'unit_handler', 'unit_leader', 'verifier', 'leader', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  supervisor: '督查专员',
  unit_handler: '责任单位经办人',
  unit_leader: '责任单位负责人',
  verifier: '核查人',
  leader: '领导',
  admin: '系统管理员',
  auditor: '安全审计员',
};

export const ActorSchema = z.object({
  userId: z.string().min(1).max(64),
  name: z.string().min(1).max(64),
  role: z.enum(ROLES),
  unitId: z.string().min(1).max(64).nullable(),
  /**
   * The units a supervisor, verifier or leader oversees (a subtree of the unit tree), filled in
   * by the API from the user's record. Absent: the whole tree.
   */
  jurisdiction: z.array(z.string().min(1).max(64)).max(10_000).optional(),
});
export type Actor = z.infer<typeof ActorSchema>;

/**
 * Who acts in a recorded event: a person in one of the roles, or the system itself. `system` is
 * no role anyone holds (it is not in `ROLES`, so no user, token or permission can carry it); it
 * exists only in the event log.
 */
export const EVENT_ROLES = [...ROLES, 'system'] as const;
export type EventRole = (typeof EVENT_ROLES)[number];

export const EVENT_ROLE_LABELS: Record<EventRole, string> = { ...ROLE_LABELS, system: '系统' };

/** The actor an event records: an `Actor`, or the system. */
export type EventActor = Omit<Actor, 'role'> & { role: EventRole };

/**
 * Timers and other things the workflow does on its own (ladder rungs, a 回头看 falling due) are
 * recorded under this actor. Events recorded before it existed name the system with the role
 * `admin`; they stay as they were.
 */
export const SYSTEM_ACTOR: EventActor = { userId: 'system', name: '系统', role: 'system', unitId: null };

export function isUnitRole(actor: Pick<Actor, 'role'>): boolean {
  return actor.role === 'unit_handler' || actor.role === 'unit_leader';
}

/** Whether a unit lies in the actor's jurisdiction (no jurisdiction listed: all units). */
export function oversees(actor: Actor, unitId: string): boolean {
  return actor.jurisdiction === undefined || actor.jurisdiction.includes(unitId);
}

/**
 * The authorised supervisor: a supervisor over the whole tree. What weighs on every unit's
 * standing (index rules, deadline policies, the 自查自纠 finding behind a bonus) is his to change.
 */
export function isWholeTreeSupervisor(actor: Actor): boolean {
  return actor.role === 'supervisor' && actor.jurisdiction === undefined;
}
