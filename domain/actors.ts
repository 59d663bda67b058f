import { z } from 'zod';

export const ROLES = ['supervisor', 'unit_handler', 'unit_leader', 'verifier', 'leader', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  supervisor: '督查专员',
  unit_handler: '责任单位经办人',
  unit_leader: '责任单位负责人',
  verifier: '核查人',
  leader: '领导',
  admin: '系统管理员',
};

export const ActorSchema = z.object({
  userId: z.string().min(1).max(64),
  name: z.string().min(1).max(64),
  role: z.enum(ROLES),
  unitId: z.string().min(1).max(64).nullable(),
});
export type Actor = z.infer<typeof ActorSchema>;

/** Timers and other things the workflow does on its own are recorded under this actor. */
export const SYSTEM_ACTOR: Actor = { userId: 'system', name: '系统', role: 'admin', unitId: null };
