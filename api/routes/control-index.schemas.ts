import { z } from 'zod';
import { IndexRulesSchema, PeriodSchema, RULE_KEYS } from '../../domain/control-index';

export const RulesVersion = z
  .object({
    version: z.number().int(),
    rules: IndexRulesSchema,
    note: z.string().describe('修订说明'),
    createdByName: z.string(),
    createdAt: z.string(),
  })
  .describe('指数规则的一个版本');

export const RulesResponse = z
  .object({
    current: RulesVersion.describe('现行规则（最新版本）'),
    versions: z.array(RulesVersion).describe('全部版本，新的在前'),
  })
  .describe('管控力指数的扣分加分规则');

export const RulesBody = z.strictObject({
  rules: IndexRulesSchema.describe('扣分、加分规则（分值为正数）'),
  note: z.string().trim().min(1, '请填写修订说明').max(500).describe('修订说明'),
});

export const RunView = z
  .object({
    id: z.string(),
    period: z.string().describe('季度，如 2026-Q3'),
    ruleVersion: z.number().int().describe('计算所用的规则版本'),
    status: z
      .enum(['computed', 'published', 'superseded'])
      .describe(
        'computed 已计算待发布；published 已发布且现行（不可更改）；superseded 已发布，已被同季度后来发布的计算取代',
      ),
    trigger: z.enum(['schedule', 'manual']).describe('schedule 每季度自动；manual 手动'),
    asOf: z.string().describe('计算截至的日期'),
    computedAt: z.string(),
    computedByName: z.string(),
    publishedAt: z.string().nullable(),
    publishedByName: z.string().nullable(),
    supersededBy: z.string().nullable().describe('同一季度后来发布的计算（如申诉成立后重算）；为 null 表示现行'),
    unitCount: z.number().int(),
    computeMs: z.number().int().describe('读取与计算用时（毫秒）'),
    writeMs: z.number().int().describe('写入用时（毫秒）'),
  })
  .describe('一次指数计算');

export const RunsResponse = z.object({ runs: z.array(RunView).describe('新的在前') });

export const RunBody = z.strictObject({ period: PeriodSchema.describe('季度，如 2026-Q3') });

/** Publishing takes nothing but the run's id: an empty object, or no body at all. */
export const PublishBody = z.strictObject({});

export const RunParams = z.strictObject({ id: z.string().min(1).max(100) });
export const RunUnitParams = z.strictObject({ id: z.string().min(1).max(100), unitId: z.string().min(1).max(64) });
export const RankingQuery = z.strictObject({
  scope: z.enum(['unit', 'region']).default('unit').describe('unit 单位；region 区域（下属单位得分的平均）'),
});

const RankingRow = z.object({
  rank: z.number().int().describe('组内名次（同分同名次）'),
  unitId: z.string(),
  unitName: z.string(),
  score: z.number(),
  deducted: z.number().describe('扣分合计'),
  added: z.number().describe('加分合计'),
});
export const RankingGroup = z.object({
  group: z.string().describe('同类组代码'),
  label: z.string().describe('同类组名称'),
  rows: z.array(RankingRow),
});

export const RankingResponse = z
  .object({ run: RunView, scope: z.enum(['unit', 'region']), groups: z.array(RankingGroup) })
  .describe('同类组内的排名（可见范围内）');

const ReasonView = z.object({
  id: z.string(),
  ruleKey: z.enum(RULE_KEYS),
  ruleLabel: z.string(),
  points: z.number().describe('分值：扣分为负，加分为正；申诉成立免除的为 0'),
  itemId: z.string().nullable(),
  itemNumber: z.string().nullable(),
  itemTitle: z.string().nullable(),
  fanOutId: z.string().nullable(),
  eventId: z.string().nullable().describe('引起该项的事项记录（item_events.id）'),
  eventAction: z.string().nullable(),
  at: z.string().nullable(),
  detail: z.string(),
  waived: z.boolean().describe('申诉成立，已免除'),
});

export const AppealView = z
  .object({
    id: z.string(),
    runId: z.string(),
    reasonId: z.string(),
    unitId: z.string(),
    period: z.string(),
    text: z.string(),
    status: z.enum(['pending', 'upheld', 'dismissed']),
    createdByName: z.string(),
    createdAt: z.string(),
    decidedByName: z.string().nullable(),
    decidedAt: z.string().nullable(),
    note: z.string().nullable(),
  })
  .describe('对一项扣分的申诉');

export const UnitScoreResponse = z
  .object({
    run: RunView,
    unitId: z.string(),
    unitName: z.string(),
    score: z.number(),
    base: z.number(),
    deducted: z.number(),
    added: z.number(),
    rank: z.number().int(),
    group: z.string(),
    groupLabel: z.string(),
    reasons: z.array(ReasonView).describe('每一项扣分、加分及引起它的记录'),
    appeals: z.array(AppealView),
  })
  .describe('一个单位的得分与理由');

export const AppealBody = z.strictObject({
  reasonId: z
    .string()
    .regex(/^\d{1,18}$/, '应为扣分项的编号')
    .describe('申诉的扣分项（reasons[].id）'),
  text: z.string().trim().min(1, '请填写申诉理由').max(2000),
});
export const AppealParams = z.strictObject({ id: z.string().min(1).max(100) });
export const DecisionBody = z.strictObject({
  decision: z.enum(['upheld', 'dismissed']).describe('upheld 申诉成立（下次计算免除该项）；dismissed 驳回'),
  note: z.string().trim().min(1, '请填写处理意见').max(2000),
});

export const IndexBacktestBody = z.strictObject({
  rules: IndexRulesSchema.describe('拟用的规则'),
  period: PeriodSchema.describe('用哪个季度的记录试算'),
});

export const IndexBacktestResponse = z
  .object({
    period: z.string(),
    asOf: z.string(),
    candidate: z.array(RankingGroup).describe('拟用规则下的排名'),
    published: z.array(RankingGroup).nullable().describe('该季度现行已发布的排名；尚未发布时为 null'),
    publishedRunId: z.string().nullable(),
    publishedRuleVersion: z.number().int().nullable(),
    changes: z
      .array(
        z.object({
          unitId: z.string(),
          unitName: z.string(),
          scoreBefore: z.number().nullable(),
          scoreAfter: z.number(),
          rankBefore: z.number().int().nullable(),
          rankAfter: z.number().int(),
        }),
      )
      .describe('得分或名次与已发布排名不同的单位'),
  })
  .describe('指数规则试算：拟用规则在过去一个季度的排名，与已发布的排名并列；不写入任何数据');

export const RunAppealsResponse = z
  .object({
    appeals: z.array(
      AppealView.extend({
        unitName: z.string(),
        ruleKey: z.enum(RULE_KEYS),
        ruleLabel: z.string(),
        points: z.number().describe('申诉的扣分项的分值'),
      }),
    ),
  })
  .describe('对该次计算的申诉（可见范围内的单位），先提出的在前');
