import { z } from 'zod';
import { CATEGORIES, PRIORITIES } from '../../domain/commands';
import { PolicySchema, RungSchema } from '../../domain/policy';

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
  .object({ version: z.string().describe('新的日历版本'), year: z.number().int() })
  .describe('已保存的年份');

const Category = z.enum([...CATEGORIES, '*']).describe('事项类别；* 表示任意');
const Priority = z.enum([...PRIORITIES, '*']).describe('优先级；* 表示任意');
export type PolicyCategory = z.infer<typeof Category>;
export type PolicyPriority = z.infer<typeof Priority>;

export const PoliciesResponse = z
  .object({
    policies: z.array(
      z.object({
        category: Category,
        priority: Priority,
        version: z.number().int().describe('版本：新版本只用于此后立项的事项'),
        policy: PolicyView,
        updatedBy: z.string().describe('修改人（用户编号）'),
        updatedAt: Timestamp,
      }),
    ),
  })
  .describe('期限与催办规则');

export const PolicySaved = z
  .object({ category: Category, priority: Priority, version: z.number().int().describe('新版本'), policy: PolicyView })
  .describe('已保存的规则');
