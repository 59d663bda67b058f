import { z } from 'zod';

/** What the classification routes send, as the OpenAPI document promises it. */

export const TermView = z
  .object({
    code: z.string().describe('代码'),
    label: z.string().describe('名称'),
    selfFound: z.boolean().describe('是否计为自查自纠（仅来源类别）'),
    active: z.boolean().describe('是否启用（停用的不能再用于新事项，已用的不变）'),
    position: z.number().int().describe('排序'),
  })
  .describe('来源类别或领域');

export const ClassificationResponse = z
  .object({
    sources: z.array(TermView).describe('来源类别，按排序'),
    domains: z.array(TermView).describe('领域，按排序'),
    commonality: z
      .object({ common: z.string(), individual: z.string() })
      .describe('共性/个性：common 共性，individual 个性'),
  })
  .describe('来源类别与分类');

export const ItemClassesView = z
  .object({
    sourceCode: z.string().describe('来源类别代码'),
    sourceLabel: z.string().describe('来源类别'),
    selfFound: z.boolean().describe('是否自查自纠'),
    commonality: z.enum(['common', 'individual']).nullable().describe('共性/个性，未分类为 null'),
    domainCode: z.string().nullable().describe('领域代码'),
    domainLabel: z.string().nullable().describe('领域'),
    tags: z.array(z.string()).describe('标签'),
  })
  .describe('事项的来源与分类');

const ChosenClasses = ItemClassesView.omit({ selfFound: true });

export const ClassesHistoryResponse = z
  .object({
    itemId: z.string(),
    current: ItemClassesView,
    changes: z
      .array(
        z.object({
          id: z.string(),
          changedBy: z.string().describe('修改人（用户编号）'),
          changedByName: z.string().describe('修改人'),
          changedAt: z.iso.datetime().describe('修改时间'),
          from: ChosenClasses.describe('修改前'),
          to: ChosenClasses.describe('修改后'),
        }),
      )
      .describe('立项后的每次修改，早的在前'),
  })
  .describe('事项分类的修改记录');
