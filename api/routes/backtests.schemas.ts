import { z } from 'zod';
import { CATEGORIES, DateString, PRIORITIES } from '../../domain/commands';
import { parseDate } from '../../domain/calendar';
import { PolicySchema, RUNG_ACTIONS, TARGETS } from '../../domain/policy';

/** The longest period a ladder is tried on: a year (a leap year's 366 days). */
export const MAX_BACKTEST_DAYS = 366;

const InForce = z
  .strictObject({ category: z.enum(CATEGORIES), priority: z.enum(PRIORITIES) })
  .describe('按类别与优先级取现行规则');

export const LadderBacktestBody = z
  .strictObject({
    policy: z
      .union([PolicySchema, InForce], { error: '应为完整的期限与催办规则，或 { category, priority } 取现行规则' })
      .describe('候选规则'),
    from: DateString.describe('回测期间开始日（含），不能晚于今天'),
    to: DateString.describe('回测期间结束日（含）；晚于今天的按今天计'),
    category: z.enum(CATEGORIES).optional().describe('只回测该类别的事项'),
    priority: z.enum(PRIORITIES).optional().describe('只回测该优先级的事项'),
  })
  .superRefine((b, ctx) => {
    if (b.to < b.from) ctx.addIssue({ code: 'custom', path: ['to'], message: '结束日期不能早于开始日期' });
    else if ((parseDate(b.to) - parseDate(b.from)) / 86_400_000 + 1 > MAX_BACKTEST_DAYS)
      ctx.addIssue({ code: 'custom', path: ['to'], message: `回测期间不能超过一年（${MAX_BACKTEST_DAYS} 天）` });
  });

const Counts = z.object(
  Object.fromEntries(RUNG_ACTIONS.map((a) => [a, z.number().int()])) as Record<
    (typeof RUNG_ACTIONS)[number],
    z.ZodNumber
  >,
);

const Target = z.object({
  target: z.enum(TARGETS).describe('通知对象：经办人、单位负责人、配合单位、督查室、领导'),
  unitId: z.string().optional().describe('接收通知的单位（督查室、领导为牵头单位事项的监督方，不列单位）'),
  unitName: z.string().optional(),
});

const Rung = z.object({
  key: z.string().describe('催办阶梯一级的编号'),
  action: z.enum(RUNG_ACTIONS),
  at: z.iso.datetime().describe('触发时刻'),
  targets: z.array(Target).describe('通知对象（按当时的牵头、配合单位）；不适用的为空'),
  notApplicable: z
    .literal(true)
    .optional()
    .describe('补录事项导入时已过期、记为不适用（未发送，计入红黄灯）；at 为导入时刻'),
  dueAt: z.iso.datetime().optional().describe('不适用的一级原应触发的时刻'),
});

export const LadderBacktestResponse = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    items: z.number().int().describe('重演的事项数'),
    totals: z.object({
      candidate: Counts.describe('候选规则在期间内会触发的次数，按动作'),
      recorded: Counts.describe('实际记录的触发次数，按动作'),
      notApplicable: z
        .object({ candidate: Counts, recorded: Counts })
        .describe('补录事项导入时已过期、记为不适用的次数（未发送，单独计数），候选与实际'),
    }),
    byTarget: z
      .array(Target.extend({ candidate: z.number().int(), recorded: z.number().int() }))
      .describe('按通知对象'),
    rows: z
      .array(
        z.object({
          itemId: z.string(),
          itemNumber: z.string(),
          title: z.string(),
          leadUnitId: z.string(),
          leadUnitName: z.string(),
          candidate: z.array(Rung),
          recorded: z.array(Rung),
          redCandidateAt: z.iso.datetime().nullable().describe('候选规则下首次转为红灯的时刻'),
          redRecordedAt: z.iso.datetime().nullable().describe('实际首次转为红灯的时刻'),
          change: z
            .enum(['earlier', 'later', 'same', 'new', 'gone', 'none'])
            .describe('红灯：提前、推迟、同日、新增、不再红灯、均未红灯'),
        }),
      )
      .describe('期间内有催办或红灯变化的事项（变化的在前，至多 2000 条）'),
    rowsTotal: z.number().int().describe('期间内有催办或红灯变化的事项总数'),
    notes: z.array(z.string()).describe('重演所依据的假设'),
  })
  .describe('催办阶梯回测：候选规则在过去一段期间会做什么（只读，不作任何修改）');
