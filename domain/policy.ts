import { z } from 'zod';

export const STEPS = ['sign', 'plan', 'progress', 'closure'] as const;
export type Step = (typeof STEPS)[number];

export const STEP_LABELS: Record<Step, string> = {
  sign: '签收',
  plan: '整改方案',
  progress: '进展反馈',
  closure: '办结销号',
};

/** What a rung does: 提醒, 催办 (light yellow), 红灯 (escalated to the supervisor), 约谈, 通报/问责. */
export const RUNG_ACTIONS = ['remind', 'urge', 'red', 'interview', 'accountability'] as const;
export type RungAction = (typeof RUNG_ACTIONS)[number];

export const RUNG_LABELS: Record<RungAction, string> = {
  remind: '提醒',
  urge: '催办',
  red: '红灯预警',
  interview: '约谈',
  accountability: '通报问责',
};

export const LIGHTS = ['green', 'yellow', 'red'] as const;
export type Light = (typeof LIGHTS)[number];
export const LIGHT_OF_ACTION: Record<RungAction, Light> = {
  remind: 'green',
  urge: 'yellow',
  red: 'red',
  interview: 'red',
  accountability: 'red',
};

export const TARGETS = ['handler', 'unit_leader', 'co_units', 'supervisor', 'leader'] as const;

export const RungSchema = z.strictObject({
  key: z.string().min(1).max(40),
  step: z.enum(STEPS),
  /** Working days from the step's deadline: negative before it, positive after. */
  offset: z.number().int().min(-30).max(120),
  action: z.enum(RUNG_ACTIONS),
  targets: z.array(z.enum(TARGETS)).min(1),
  /** Climb only if the notice of the rung before it (same step) is still unacknowledged. */
  ackGate: z.boolean().optional(),
});
export type Rung = z.infer<typeof RungSchema>;

export const PolicySchema = z.strictObject({
  id: z.string().min(1).max(64),
  version: z.number().int().min(1),
  signDays: z.number().int().min(1).max(30),
  planDays: z.number().int().min(1).max(60),
  progressEveryDays: z.number().int().min(1).max(120),
  /** Working days after closure for the 回头看 re-inspection; 0: none. */
  reinspectAfterDays: z.number().int().min(0).max(250),
  /** When a working day ends, "HH:MM" in Asia/Shanghai; "24:00" is the civil-code default. */
  workdayEnd: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/),
  ladder: z.array(RungSchema).max(40),
});
export type Policy = z.infer<typeof PolicySchema>;

/** The default: sign in 2 working days, plan in 5, report every 10; the closure ladder of DOMAIN.md. */
export const DEFAULT_POLICY: Policy = {
  id: 'default',
  version: 1,
  signDays: 2,
  planDays: 5,
  progressEveryDays: 10,
  reinspectAfterDays: 0,
  workdayEnd: '24:00',
  ladder: [
    { key: 'sign-remind', step: 'sign', offset: -1, action: 'remind', targets: ['handler'] },
    { key: 'sign-urge', step: 'sign', offset: 0, action: 'urge', targets: ['handler', 'unit_leader'] },
    { key: 'plan-urge', step: 'plan', offset: 0, action: 'urge', targets: ['handler', 'unit_leader'] },
    { key: 'progress-remind', step: 'progress', offset: 0, action: 'remind', targets: ['handler'] },
    { key: 'closure-remind', step: 'closure', offset: -3, action: 'remind', targets: ['handler', 'co_units'] },
    {
      key: 'closure-urge',
      step: 'closure',
      offset: 0,
      action: 'urge',
      targets: ['handler', 'unit_leader', 'co_units'],
    },
    { key: 'closure-red', step: 'closure', offset: 3, action: 'red', targets: ['unit_leader', 'supervisor'] },
    {
      key: 'closure-interview',
      step: 'closure',
      offset: 5,
      action: 'interview',
      targets: ['unit_leader', 'supervisor'],
    },
    {
      key: 'closure-accountability',
      step: 'closure',
      offset: 10,
      action: 'accountability',
      targets: ['supervisor', 'leader'],
    },
  ],
};
