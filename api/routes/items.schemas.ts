import { z } from 'zod';
import { ItemClassesView } from './classes.schemas';
import { EVENT_ROLES, ROLES } from '../../domain/actors';
import { ACTIONS } from '../../domain/commands';
import { STATUSES } from '../../domain/item';
import { LIGHTS } from '../../domain/policy';
import { PolicyView } from './settings.schemas';

const Status = z.enum(STATUSES);
const ActionName = z.enum(ACTIONS);

const ActorView = z
  .object({ userId: z.string(), name: z.string(), role: z.enum(ROLES), unitId: z.string().nullable() })
  .describe('办理人');

const Clock = z.object({
  step: z.string(),
  epoch: z.number().int(),
  start: z.string(),
  deadline: z.string(),
  dueAt: z.number(),
  state: z.string(),
  left: z.number().nullable(),
  calendarVersion: z.string(),
});

const FiredRung = z.object({
  step: z.string(),
  epoch: z.number().int(),
  key: z.string(),
  action: z.string(),
  deadline: z.string(),
  dueAt: z.number(),
  firedAt: z.number(),
  targets: z.array(z.string()),
  skipped: z.boolean().optional(),
  notApplicable: z.boolean().optional(),
});

/** The deadlines as a client needs them: the policy the item was opened under, the clocks, the light, the ladder so far. */
const DeadlinesView = z
  .object({
    policy: PolicyView,
    calendarVersion: z.string(),
    clocks: z.record(z.string(), Clock),
    fired: z.array(FiredRung),
    pauses: z.array(z.object({ from: z.string(), to: z.string().nullable() })),
    light: z.enum(LIGHTS),
    unknownYears: z.array(z.string()),
    assignedOn: z.string(),
    signedOn: z.string().nullable(),
    reinspection: z.object({ due: z.string(), dueAt: z.number(), state: z.string() }).optional(),
    relapses: z.number().int().optional(),
  })
  .describe('期限与催办阶梯');

const Extension = z.object({
  dueDateBefore: z.string().optional().describe('申请时的完成时限（早期记录无此项）'),
  requestedDueDate: z.string(),
  reason: z.string(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  decision: z.object({ approved: z.boolean(), by: z.string(), at: z.string(), opinion: z.string() }).optional(),
});

/** A 催办 by hand. */
const Urge = z.object({
  at: z.string(),
  by: z.string(),
  byName: z.string(),
  text: z.string().describe('催办内容'),
  unitIds: z.array(z.string()).describe('催办的单位'),
});

/** A 约谈 held, as recorded; its minutes are the event's attachments. */
const Interview = z.object({
  heldOn: z.string().describe('约谈日期'),
  attendees: z.string().describe('参加人员'),
  summary: z.string().describe('约谈情况'),
  by: z.string(),
  byName: z.string(),
  at: z.string(),
});

/** One item as a client sees it: its record, its state's own fields, and what the caller may do next. */
export const ItemView = z
  .object({
    id: z.string(),
    number: z.string().optional().describe('督办编号（如 督〔2026〕12号）'),
    title: z.string(),
    description: z.string(),
    category: z.string(),
    priority: z.string(),
    source: z.string(),
    problemListId: z.string().nullable(),
    leadUnitId: z.string(),
    coParts: z.array(
      z.object({ unitId: z.string(), state: z.enum(['pending', 'signed', 'done']), reports: z.number().int() }),
    ),
    dueDate: z.string(),
    createdAt: z.string(),
    createdBy: ActorView,
    updatedAt: z.string(),
    seq: z.number().int(),
    declines: z.array(z.object({ unitId: z.string(), reason: z.string(), at: z.string() })),
    ownerRuled: z.boolean(),
    returnCount: z.number().int(),
    relapseCount: z.number().int(),
    extensions: z.array(Extension),
    plan: z.string().nullable(),
    progressReports: z.number().int(),
    deadlines: DeadlinesView.nullable(),
    status: Status,
    statusLabel: z.string(),
    deadlineDate: z.string().describe('生效中的办结期限：完成时限，遇休息日顺延至下一个工作日'),
    light: z.enum(LIGHTS).describe('红黄绿灯'),
    calendarWarning: z.boolean().describe('期限或催办日期落在工作日历缺少数据的年份（按周一至周五计算）'),
    closedLateWorkingDays: z
      .number()
      .int()
      .nullable()
      .describe('已办结事项：提交最终成果时超过办结期限的工作日数（0 为按期）；未办结为 null'),
    declinedBy: z.string().optional().describe('退回交办的单位（已退回）'),
    resumeTo: Status.optional().describe('恢复后回到的状态（已挂起）'),
    reason: z.string().optional().describe('挂起或撤销的原因'),
    closedAt: z.string().optional().describe('销号时间（已办结）'),
    overdue: z.boolean(),
    holdingUp: z.array(z.string()).describe('尚未办结、使牵头单位不能申请销号的配合单位'),
    allowedActions: z.array(ActionName).describe('当前用户现在可办理的操作'),
    blockedActions: z
      .array(
        z.object({
          action: ActionName,
          label: z.string(),
          reason: z.string().describe('暂不能办理的原因'),
          openCoUnits: z.array(z.string()).optional().describe('尚未办结的配合单位'),
        }),
      )
      .describe('当前状态下您可办理、但条件尚未满足的操作，及其原因（如配合单位尚未办结）'),
    instructions: z
      .array(
        z.object({
          text: z.string(),
          binding: z.boolean().describe('须责任单位确认'),
          by: z.string(),
          byName: z.string(),
          at: z.string(),
          acknowledged: z.object({ by: z.string(), at: z.string(), note: z.string() }).optional(),
        }),
      )
      .describe('领导批示'),
    initials: z
      .array(z.object({ by: z.string(), byName: z.string(), at: z.string(), note: z.string() }))
      .describe('领导圈阅'),
    accountabilityDecisions: z
      .array(
        z.object({
          step: z.string(),
          epoch: z.number().int(),
          key: z.string(),
          approved: z.boolean(),
          reason: z.string(),
          by: z.string(),
          at: z.string(),
        }),
      )
      .describe('领导对通报问责建议的决定'),
    urges: z.array(Urge).optional().describe('督查室人工催办（首次催办前无此项）'),
    interviews: z.array(Interview).optional().describe('约谈记录（首次记录前无此项）'),
    classes: ItemClassesView.optional().describe('来源类别与分类（现行）'),
    fanOut: z
      .object({
        fanOutId: z.string().describe('举一反三编号'),
        originItemId: z.string().describe('源头事项'),
        originNumber: z.string().describe('源头事项督办编号'),
        originTitle: z.string().describe('源头事项标题'),
      })
      .optional()
      .describe('因举一反三（答复“存在”或抽查推翻）而立的事项：其源头（仅事项详情）'),
  })
  .describe('事项');

export const ItemBody = z.object({ item: ItemView });

export const ItemDetail = z
  .object({
    item: ItemView,
    attention: z
      .object({ reason: z.string(), since: z.string().nullable() })
      .nullable()
      .describe('写入失败超过重试上限、系统正在定时重试'),
    timeline: z.array(
      z.object({
        seq: z.number().int(),
        action: z.string(),
        actionLabel: z.string(),
        fromStatus: z.string().nullable(),
        toStatus: z.string(),
        actor: z
          .object({
            userId: z.string(),
            name: z.string(),
            role: z
              .enum(EVENT_ROLES)
              .describe('角色；system 为系统自动执行（催办阶梯、回头看到期等），早期记录中系统以 admin 记'),
            roleLabel: z.string().describe('角色（中文）；系统自动执行的步骤为“系统”'),
            system: z.boolean().describe('是否为系统自动执行的步骤'),
            unitId: z.string().nullable(),
          })
          .describe('办理人'),
        at: z.string(),
        payload: z.unknown().describe('该步骤的内容（意见、理由、方案等）'),
        attachments: z.unknown().describe('该步骤引用的佐证材料'),
      }),
    ),
  })
  .describe('事项详情与全过程记录');

export const ItemRow = z.object({
  id: z.string(),
  number: z.string().describe('督办编号（如 督〔2026〕12号）'),
  title: z.string(),
  category: z.string(),
  priority: z.string(),
  status: Status,
  statusLabel: z.string(),
  leadUnitId: z.string(),
  coUnitIds: z.array(z.string()),
  dueDate: z.string(),
  deadlineDate: z.string().nullable(),
  light: z.string(),
  calendarWarning: z.boolean(),
  closedLateWorkingDays: z.number().int().nullable().describe('已办结事项超期的工作日数（0 为按期）'),
  attention: z.string().nullable(),
  declineCount: z.number().int(),
  returnCount: z.number().int(),
  problemListId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  overdue: z.boolean(),
  overdueWorkingDays: z.number().int(),
  sourceCode: z.string().describe('来源类别代码'),
  selfFound: z.boolean().describe('是否自查自纠'),
  commonality: z.enum(['common', 'individual']).nullable().describe('共性/个性'),
  domainCode: z.string().nullable().describe('领域代码'),
  tags: z.array(z.string()).describe('标签'),
});

export const ItemPage = z
  .object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int(), items: z.array(ItemRow) })
  .describe('事项列表的一页');

const LedgerRung = z.object({
  step: z.string(),
  epoch: z.number().int(),
  key: z.string(),
  action: z.string(),
  label: z.string(),
  status: z
    .enum(['fired', 'pending', 'not_applicable', 'not_reached'])
    .describe('已触发、待触发、不适用（补录前已过期）、未到期（办结时尚未到期）'),
  deadline: z.string(),
  dueAt: z.string(),
  firedAt: z.string().nullable(),
  targets: z.array(z.string()),
  skipped: z.boolean().optional(),
  notApplicable: z.boolean().optional(),
});

export const Ledger = z
  .object({
    itemId: z.string(),
    title: z.string(),
    leadUnitId: z.string(),
    status: Status,
    generatedOn: z.string(),
    calendarVersionNow: z.string(),
    calendarVersionUsed: z.string().nullable(),
    policy: z.object({ id: z.string(), version: z.number().int() }).nullable(),
    unknownYears: z.array(z.string()),
    clocks: z.object({
      fromAssignment: z.object({ start: z.string(), workingDaysCounted: z.number().int().nullable() }),
      fromSigning: z.object({ start: z.string().nullable(), workingDaysCounted: z.number().int().nullable() }),
    }),
    overdueWorkingDays: z.number().int().describe('未办结事项今天超过办结期限的工作日数'),
    openedDueDate: z.string().nullable().describe('立项时的完成时限（早期事项无此项）'),
    dueDate: z.string().describe('现行完成时限'),
    closedLateWorkingDays: z
      .number()
      .int()
      .nullable()
      .describe('已办结事项：提交最终成果时超过办结期限的工作日数（0 为按期）'),
    closing: z
      .object({
        closedOn: z.string(),
        deadline: z.string().describe('办结时生效的办结期限'),
        handedInOn: z.string().describe('最终成果提交日'),
        lateWorkingDays: z.number().int(),
      })
      .nullable()
      .describe('办结时的期限情况'),
    deadlines: z
      .array(
        z.object({
          step: z.string(),
          stepLabel: z.string(),
          epoch: z.number().int(),
          start: z.string(),
          deadline: z.string(),
          state: z.string(),
          workingDaysLeftWhenPaused: z.number().nullable(),
          calendarVersion: z.string(),
          inForce: z.boolean().describe('是否为现行期限'),
          endedOn: z.string().nullable().describe('被替换的日期'),
          endedBy: z.string().nullable().describe('替换它的操作（延期审批、改派、工作日历变更等）'),
          endedByLabel: z.string().nullable(),
          endedByUserId: z.string().nullable().describe('办理该操作的用户（审批人）'),
        }),
      )
      .describe('历次期限（含已被替换的），按时间先后'),
    calendarChanges: z
      .array(
        z.object({
          at: z.string(),
          from: z.string().describe('原日历版本'),
          to: z.string().describe('新日历版本'),
          moves: z.array(
            z.object({
              kind: z.enum(['deadline', 'rung', 'reinspection']),
              step: z.string().nullable(),
              key: z.string().nullable(),
              from: z.string(),
              to: z.string(),
            }),
          ),
        }),
      )
      .describe('在办期间应用的工作日历变更'),
    coUnits: z.array(z.object({ unitId: z.string(), state: z.string(), deadline: z.string() })),
    pauses: z.array(z.object({ from: z.string(), to: z.string().nullable() })),
    extensions: z.array(Extension),
    urges: z.array(Urge).describe('督查室人工催办：时间、催办人、内容、催办的单位'),
    interviews: z.array(Interview).describe('约谈记录：约谈日期、参加人员、约谈情况（纪要见时间线附件）'),
    rungs: z.array(LedgerRung),
    days: z.array(
      z.object({
        date: z.string(),
        weekday: z.number().int(),
        working: z.boolean(),
        calendarKnown: z.boolean(),
        counted: z.boolean(),
        reason: z.string(),
      }),
    ),
  })
  .describe('期限台账');

export const CsvText = z.string().describe('CSV 文本（UTF-8，带 BOM，可用 Excel 或 WPS 打开）');
export const XlsxFile = z.string().describe('Excel 文件（.xlsx）：标题行、中文列名，时间为北京时间');
