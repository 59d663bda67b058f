import { z } from 'zod';
import { STATUSES } from '../../domain/item';
import { LIGHTS, RUNG_ACTIONS, STEPS } from '../../domain/policy';

const Step = z.enum(STEPS);

const DeadlineMark = z.object({
  step: Step,
  epoch: z.number().int(),
  start: z.string().describe('起算日'),
  deadline: z.string(),
  inForce: z.boolean().describe('是否为现行期限'),
  endedOn: z.string().nullable().describe('被替换的日期'),
  endedBy: z.string().nullable().describe('替换它的操作（或 calendar：工作日历变更）'),
  endedByLabel: z.string().nullable(),
  byUserId: z.string().nullable(),
  byName: z.string().nullable().describe('办理人（如批准延期的督查室人员）'),
  extension: z
    .object({
      requestedByName: z.string(),
      requestedDueDate: z.string(),
      reason: z.string(),
      opinion: z.string(),
    })
    .nullable()
    .describe('替换它的已批准延期申请'),
});

const RungMark = z.object({
  step: Step,
  epoch: z.number().int(),
  key: z.string(),
  action: z.enum(RUNG_ACTIONS),
  label: z.string(),
  text: z.string().describe('做了什么、发给谁，如“约谈提醒（已发牵头单位负责人，已报督查室）”'),
  day: z.string().describe('落在哪个工作日（当日工作结束时触发）'),
  offset: z.number().int().describe('距期限的工作日数（负数为期限前）'),
  rule: z.string().describe('规则，如“办结销号期限后第 3 个工作日”'),
  deadline: z.string(),
  status: z
    .enum(['fired', 'skipped', 'not_applicable', 'pending', 'waiting', 'not_reached', 'superseded'])
    .describe('已触发、未升级、不适用、未到期、暂停计时中、办结时未到期、期限已变更未触发'),
  statusLabel: z.string(),
  targets: z.array(z.string()),
  recipients: z.string(),
  firedAt: z.string().nullable(),
  countsForLight: z.boolean().describe('是否计入当前灯色'),
});

const Span = z.object({
  from: z.string(),
  to: z.string().nullable(),
  kind: z.enum(['suspended', 'held']),
  label: z.string(),
});

const StageBar = z.object({
  stage: z.enum(['sign', 'plan', 'closure', 'verification']),
  label: z.string(),
  start: z.string(),
  end: z.string().nullable(),
  deadline: z.string().nullable(),
  state: z.enum(['running', 'held', 'paused', 'done', 'verifying']),
  stateLabel: z.string(),
  workingDaysUsed: z.number().int().describe('已用工作日（挂起期间不计）'),
  overdueWorkingDays: z.number().int(),
  deadlines: z.array(DeadlineMark),
  pauses: z.array(Span),
  rungs: z.array(RungMark),
  rounds: z.array(
    z.object({
      from: z.string(),
      to: z.string().nullable(),
      outcome: z.enum(['passed', 'returned', 'open', 'withdrawn']),
    }),
  ),
});

export const DeadlineTimeline = z
  .object({
    itemId: z.string(),
    status: z.enum(STATUSES),
    today: z.string(),
    policy: z.object({ id: z.string(), version: z.number().int() }).nullable(),
    bars: z.array(StageBar),
    light: z
      .object({
        light: z.enum(LIGHTS),
        label: z.string(),
        reason: z
          .object({
            light: z.enum(LIGHTS),
            label: z.string(),
            rung: RungMark,
            since: z.string().describe('自哪一天起为此灯色'),
            sentence: z.string(),
          })
          .nullable(),
        sentence: z.string().describe('为什么是这个灯色'),
      })
      .nullable()
      .describe('未结事项的灯色及依据；已办结、已撤销的事项没有灯色'),
    closed: z
      .object({
        text: z.string().describe('按期办结 / 逾期 N 个工作日办结'),
        lateWorkingDays: z.number().int(),
        closedOn: z.string(),
        deadline: z.string(),
        handedInOn: z.string(),
      })
      .nullable(),
    withdrawn: z.boolean(),
  })
  .describe('期限时间轴：各阶段期限、用时、暂停、延期与催办阶梯，以及灯色依据');
