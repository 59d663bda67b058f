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

/** Timers and other things the workflow does on its own are recorded under this actor. */
export const SYSTEM_ACTOR: Actor = { userId: 'system', name: '系统', role: 'admin', unitId: null };

export function isUnitRole(actor: Pick<Actor, 'role'>): boolean {
  return actor.role === 'unit_handler' || actor.role === 'unit_leader';
}

/** Whether a unit lies in the actor's jurisdiction (no jurisdiction listed: all units). */
export function oversees(actor: Actor, unitId: string): boolean {
  return actor.jurisdiction === undefined || actor.jurisdiction.includes(unitId);
}
