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

const CycleUnit = z
  .object({
    unitId: z.string(),
    unitName: z.string(),
    group: z.string().describe('排名分组（district 区县、bureau 政府部门 …）'),
    rank: z.number().int().describe('在其分组中的名次（全计划排名，不因可见范围重排）'),
    score: z.number().describe('得分（加权时序进度比）'),
  })
  .describe('晾晒单位');

export const DashboardResponse = z
  .object({
    today: Day.describe('统计日（北京时间）'),
    total: z.number().int().describe('事项总数'),
    open: z.number().int().describe('未办结（未销号、未撤销）'),
    overdue: z.number().int().describe('已超期未办结'),
    closed: z.number().int().describe('已销号'),
    closedLate: z.number().int().describe('已销号中超期办结的（提交最终成果时已过办结期限）'),
    attention: z.number().int().describe('写入多次失败、正在定时重试的事项数'),
    closureRate: z.number().nullable().describe('销号率（已销号 ÷ 总数）；无事项时为 null'),
    bySource: z
      .array(
        z.object({
          sourceCode: z.string().describe('来源类别代码'),
          label: z.string().describe('来源类别'),
          selfFound: z.boolean().describe('是否自查自纠类'),
          count: z.number().int().describe('事项数'),
          open: z.number().int().describe('其中未办结'),
        }),
      )
      .describe('按来源类别统计（按来源类别的排序，含无事项的类别）'),
    selfFound: z
      .object({ total: z.number().int().describe('自查自纠事项数'), open: z.number().int().describe('其中未办结') })
      .describe('自查自纠的事项，单列'),
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
          urged: z.number().int().describe('该单位被催办次数（历次催办中点名该单位的次数）'),
        }),
      )
      .describe('超期事项最多的牵头单位（前 15 个）'),
    urgedByUnit: z
      .array(
        z.object({
          unitId: z.string(),
          unitName: z.string(),
          count: z.number().int().describe('被催办次数'),
        }),
      )
      .describe('当前用户可见的单位中被催办次数最多的（前 15 个，从多到少）'),
    trend: z
      .array(
        z.object({
          week: Day.describe('周一'),
          opened: z.number().int().describe('本周立项'),
          closed: z.number().int().describe('本周销号'),
        }),
      )
      .describe('最近 12 周的立项与销号'),
    redItems: z
      .array(
        z.object({
          id: z.string(),
          title: z.string(),
          status: Status,
          statusLabel: z.string().describe('状态（中文）'),
          leadUnitId: z.string().describe('牵头单位'),
          leadUnitName: z.string().describe('牵头单位名称（同名单位带上级名称）'),
          deadline: Day.describe('办结期限（遇休息日顺延后的日期）'),
          overdueWorkingDays: z.number().int().describe('超期工作日数（未超期为 0）'),
        }),
      )
      .describe('亮红灯的在办事项中期限最早的（至多 10 个，与事项列表“超期最久”排序一致）'),
    accountabilityPending: z
      .number()
      .int()
      .nullable()
      .describe('待当前用户决定的通报问责建议（事项数，即待办中的“通报问责决定”）；不能决定通报问责的角色为 null'),
    cycles: z
      .array(
        z.object({
          cycleId: z.string(),
          planId: z.string(),
          planTitle: z.string(),
          period: z.string().describe('监测期（如 2026-10、2026-Q3）'),
          publishedAt: z.iso.datetime().nullable().describe('晾晒时间'),
          units: z.number().int().describe('本期晾晒中当前用户可见的单位数'),
          lights: z
            .object({ green: z.number().int(), yellow: z.number().int(), red: z.number().int() })
            .describe('这些单位的指标亮灯数'),
          ranked: z.number().int().describe('其中参与排名的单位数'),
          top: z.array(CycleUnit).describe('得分最高的单位（至多 3 个）'),
          bottom: z.array(CycleUnit).describe('得分最低的单位（至多 3 个，按得分从高到低）'),
        }),
      )
      .describe('当前用户可见的每个监测计划最近一次已晾晒的周期（按晾晒时间从新到旧，至多 10 个）'),
  })
  .describe('督查总览');

const InboxEntry = z
  .object({
    itemId: z.string(),
    number: z.string().optional().describe('督办编号'),
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
    returned: z.boolean().describe('被核查退回、尚未重新申请销号：排在最前'),
  })
  .describe('待办事项');

export const InboxResponse = z
  .object({
    entries: z.array(InboxEntry).describe('按紧急程度排序'),
    truncated: z.boolean().describe('候选事项超过 500 个，仅列出其中一部分'),
  })
  .describe('待办');
