import { z } from 'zod';
import { CATEGORIES, PRIORITIES } from '../../domain/commands';
import { STATUSES } from '../../domain/item';
import { LIGHTS, PolicySchema, RungSchema, STEPS } from '../../domain/policy';

/**
 * What the settings routes send, as the OpenAPI document promises it: each response is
 * serialised through its schema here.
 */

const Timestamp = z.iso.datetime();
const Day = z.iso.date();
const Year = z.string().regex(/^\d{4}$/);

/** The policy as stored: the shape PolicySchema checks on every write, documented as it is sent. */
export const PolicyView = z
  .object({
    ...PolicySchema.shape,
    ladder: z.array(z.object(RungSchema.shape).describe('催办阶梯的一级')).describe('催办阶梯'),
  })
  .describe('期限与催办规则');

export const CalendarResponse = z
  .object({
    version: z.string().describe('日历版本（内容哈希）：事项记录其期限所依据的日历'),
    shippedYears: z.array(Year).describe('随产品发布的年份'),
    operatorYears: z
      .array(
        z.object({
          year: z.number().int(),
          source: z.string().describe('依据（如国务院办公厅通知）'),
          updatedBy: z.string().describe('修改人（用户编号）'),
          updatedAt: Timestamp,
        }),
      )
      .describe('由管理员新增或更正的年份'),
    years: z
      .record(
        Year,
        z.object({ holidays: z.array(Day).describe('法定节假日'), workdays: z.array(Day).describe('周末调休上班日') }),
      )
      .describe('生效中的日历，按年份'),
  })
  .describe('工作日历');

export const CalendarYearSaved = z
  .object({
    version: z.string().describe('新的日历版本'),
    year: z.number().int(),
    rolloutWorkflowId: z.string().describe('把新日历推送给在办事项的 Temporal 工作流编号'),
  })
  .describe('已保存的年份');

const Move = z.object({
  kind: z.enum(['deadline', 'rung', 'reinspection']).describe('移动的是期限、催办阶梯的一级，还是回头看'),
  step: z.enum(STEPS).nullable().describe('所属环节'),
  key: z.string().nullable().describe('催办阶梯一级的编号'),
  from: Day.describe('原日期'),
  to: Day.describe('新日期'),
  days: z.number().int().describe('移动的自然日数（负数为提前）'),
});

export const CalendarImpactResponse = z
  .object({
    year: z.number().int(),
    versionNow: z.string().describe('生效中的日历版本'),
    versionProposed: z.string().describe('应用后的日历版本：保存时以 impactVersion 提交，确认所看的就是这份报告'),
    itemsChecked: z.number().int().describe('检查的在办事项数'),
    itemsAffected: z.number().int().describe('受影响的事项数'),
    items: z.array(
      z.object({
        itemId: z.string(),
        title: z.string(),
        leadUnitId: z.string(),
        status: z.enum(STATUSES),
        moves: z.array(Move).describe('移动的日期'),
        firesAtOnce: z.array(z.string()).describe('新日期已过、应用后立即触发的催办阶梯'),
        lightBefore: z.enum(LIGHTS),
        lightAfter: z.enum(LIGHTS),
        unknownYearsBefore: z.array(Year),
        unknownYearsAfter: z.array(Year),
      }),
    ),
  })
  .describe('日历变更的影响报告（不作任何修改）');

const Category = z.enum([...CATEGORIES, '*']).describe('事项类别；* 表示任意');
const Priority = z.enum([...PRIORITIES, '*']).describe('优先级；* 表示任意');
export type PolicyCategory = z.infer<typeof Category>;
export type PolicyPriority = z.infer<typeof Priority>;

export const POLICY_KINDS = ['default', 'override'] as const;

export const PoliciesResponse = z
  .object({
    policies: z
      .array(
        z.object({
          kind: z
            .enum(POLICY_KINDS)
            .describe('default 系统默认规则（随产品发布，不可删除）；override 管理员设置的覆盖规则（可删除）'),
          kindLabel: z.string().describe('系统默认 / 覆盖规则'),
          category: Category,
          priority: Priority,
          version: z.number().int().describe('版本：新版本只用于此后立项的事项'),
          policy: PolicyView,
          inForce: z
            .boolean()
            .describe('是否生效：系统默认规则在设有“* / *”覆盖规则时不再生效；覆盖规则总是生效（越具体者优先）'),
          updatedBy: z.string().nullable().describe('修改人（用户编号）；系统默认规则为 null'),
          updatedAt: Timestamp.nullable().describe('修改时间；系统默认规则为 null'),
        }),
      )
      .describe('系统默认规则在前，其后为每条覆盖规则'),
  })
  .describe('期限与催办规则：立项时取最具体的覆盖规则（类别、优先级，* 表示任意），都没有则取系统默认规则');

export const PolicySaved = z
  .object({ category: Category, priority: Priority, version: z.number().int().describe('新版本'), policy: PolicyView })
  .describe('已保存的规则');

export const PolicyDeleted = z
  .object({
    category: Category,
    priority: Priority,
    version: z.number().int().describe('被删除的版本（再次设置时版本号接续）'),
    deletedBy: z.string().describe('删除人（用户编号）'),
    deletedAt: Timestamp,
  })
  .describe('已删除的覆盖规则：此后立项的事项改用次具体的规则或系统默认规则，已立项的事项不受影响');

const OfficeSettingsFields = {
  numberPrefix: z
    .string()
    .trim()
    .min(1, '督办编号前缀不能为空')
    .max(8, '督办编号前缀最多 8 个字')
    // Han characters and ASCII letters only: a zero-width, bidi or look-alike character would
    // issue a number that shows exactly like another one.
    .regex(
      /^[\p{Script=Han}A-Za-z]+$/u,
      '督办编号前缀只能由汉字或英文字母组成，不能含数字、空格、括号或其他符号（年份和括号由系统加上）',
    )
    .describe('督办编号前缀，如“督”：编号为 督〔2026〕12号；此后立项的事项使用，每个前缀每年单独编号'),
  officeName: z
    .string()
    .trim()
    .min(1, '单位名称不能为空')
    .max(40, '单位名称最多 40 个字')
    .regex(/^\P{C}+$/u, '单位名称不能含控制字符或不可见的格式字符')
    .describe('督办单抬头的单位名称，如“市委督查室”'),
};

export const OfficeSettingsBody = z.strictObject(OfficeSettingsFields).describe('督查室设置');

// The answer states what is stored, without the input rules: a value saved under an older rule still shows.
export const OfficeSettingsResponse = z
  .object({
    numberPrefix: z.string().describe(OfficeSettingsFields.numberPrefix.description ?? ''),
    officeName: z.string().describe(OfficeSettingsFields.officeName.description ?? ''),
    updatedBy: z.string().nullable().describe('最后修改人（用户编号）'),
    updatedAt: Timestamp,
  })
  .describe('督查室设置');
