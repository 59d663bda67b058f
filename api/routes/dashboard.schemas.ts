import { z } from 'zod';
import { ACTIONS } from '../../domain/commands';
import { STATUSES } from '../../domain/item';
import { LIGHTS, STEPS } from '../../domain/policy';

/**
 * What the overview and the inbox send, as the OpenAPI document promises it: each response is
 * serialised through its schema here.
 */

const Day = z.iso.date();
const Status = z.enum(STATUSES).describe('事项状态');
const Light = z.enum(LIGHTS).describe('亮灯：green 绿灯，yellow 黄灯，red 红灯');

export const DashboardResponse = z
  .object({
    today: Day.describe('统计日（北京时间）'),
    total: z.number().int().describe('事项总数'),
    open: z.number().int().describe('未办结（未销号、未撤销）'),
    overdue: z.number().int().describe('已超期未办结'),
    closed: z.number().int().describe('已销号'),
    attention: z.number().int().describe('写入多次失败、正在定时重试的事项数'),
    closureRate: z.number().nullable().describe('销号率（已销号 ÷ 总数）；无事项时为 null'),
    byStatus: z
      .array(z.object({ status: Status, label: z.string().describe('状态（中文）'), count: z.number().int() }))
      .describe('按状态统计'),
    byLight: z.array(z.object({ light: Light, count: z.number().int() })).describe('未办结事项按灯色统计'),
    overdueByUnit: z
      .array(
        z.object({
          unitId: z.string(),
          unitName: z.string(),
          count: z.number().int().describe('超期事项数'),
          earliestDue: Day.describe('最早的办理期限'),
        }),
      )
      .describe('超期事项最多的牵头单位（前 15 个）'),
    trend: z
      .array(
        z.object({
          week: Day.describe('周一'),
          opened: z.number().int().describe('本周立项'),
          closed: z.number().int().describe('本周销号'),
        }),
      )
      .describe('最近 12 周的立项与销号'),
  })
  .describe('督查总览');

const InboxEntry = z
  .object({
    itemId: z.string(),
    title: z.string(),
    status: Status,
    leadUnitId: z.string().describe('牵头单位'),
    owes: z.array(z.enum(ACTIONS)).describe('当前用户现在可以办理、能推动事项的操作'),
    deadline: Day.describe('对当前用户一方计时的期限：最早到期的计时，否则为办理期限'),
    // A literal list with null in it: OpenAPI 3.0's `nullable` does not add null to an `enum`.
    deadlineStep: z.literal([...STEPS, null]).describe('该期限对应的环节；无计时为 null'),
    deadlineLabel: z.string().describe('期限名称（中文）'),
    workingDaysLeft: z.number().int().describe('距期限的工作日数：超期为负，当天为 0'),
    light: Light,
    returnCount: z.number().int().describe('被退回整改的次数'),
    lastReturn: z.string().nullable().describe('最近一次退回的理由'),
  })
  .describe('待办事项');

export const InboxResponse = z
  .object({
    entries: z.array(InboxEntry).describe('按紧急程度排序'),
    truncated: z.boolean().describe('候选事项超过 500 个，仅列出其中一部分'),
  })
  .describe('待办');
