import { z } from 'zod';

/**
 * What the problem-list routes send, as the OpenAPI document promises it: each response is
 * serialised through its schema here.
 */

const Progress = z
  .object({
    total: z.number().int().describe('问题总数（不含您无权查看的已立项问题）'),
    opened: z.number().int().describe('已立项的问题数'),
    signed: z.number().int().describe('牵头单位已签收（含整改中、待核查、已销号）'),
    closed: z.number().int().describe('已销号'),
    withdrawn: z.number().int().describe('已撤销'),
    overdue: z.number().int().describe('已超过办理期限、尚未办结'),
    returned: z.number().int().describe('曾被退回整改'),
    cleared: z.boolean().describe('是否已清零（全部销号或撤销）'),
  })
  .describe('清单进度');

export const ProblemListView = z
  .object({
    id: z.string().describe('清单编号'),
    title: z.string().describe('清单名称'),
    source: z.string().describe('来源（说明）'),
    sourceCode: z.string().describe('来源类别代码；清单中未另写来源类别的问题沿用它'),
    sourceLabel: z.string().describe('来源类别'),
    total: z.number().int().describe('问题总数（同 progress.total）'),
    createdBy: z.string().describe('导入人（用户编号）'),
    createdAt: z.iso.datetime().describe('导入时间'),
    progress: Progress,
  })
  .describe('问题清单及其进度');

export const ProblemListsResponse = z
  .object({ lists: z.array(ProblemListView).describe('最近的 200 个清单，新的在前') })
  .describe('问题清单列表');

export const CheckResult = z
  .object({
    ok: z.boolean().describe('全部通过：可以提交交办'),
    count: z.number().int().describe('问题行数（不含示例行）'),
    columns: z
      .array(
        z.object({
          field: z.string().describe('字段'),
          name: z.string().describe('文件中的列名'),
          label: z.string().describe('字段的中文名'),
        }),
      )
      .describe('识别出的列，按字段顺序'),
    rows: z
      .array(
        z.object({
          row: z.number().int().describe('行号（与 Excel 中一致，列名行为第 1 行，有标题行时顺延）'),
          cells: z.record(z.string(), z.string()).describe('各字段的原文'),
        }),
      )
      .describe('各行原文'),
    errors: z
      .array(
        z.object({
          row: z.number().int().describe('行号'),
          field: z.string().describe('字段（如 coUnitIds[1]）'),
          cell: z.string().nullable().describe('错误所在的列（字段），不属于某一列时为 null'),
          column: z.string().describe('列名'),
          reason: z.string().describe('原因'),
        }),
      )
      .describe('逐行逐格的错误，按行号排序'),
    fileErrors: z
      .array(z.object({ field: z.string(), reason: z.string() }))
      .describe('文件本身的错误（列名无法识别、缺少必填列、没有问题行）'),
  })
  .describe('批量交办预检结果（未立项任何问题）');

export const TemplateFile = z.string().describe('Excel 文件（.xlsx）');
