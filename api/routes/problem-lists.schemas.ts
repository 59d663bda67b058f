import { z } from 'zod';

/**
 * What the problem-list routes send, as the OpenAPI document promises it: each response is
 * serialised through its schema here.
 */

const Progress = z
  .object({
    total: z.number().int().describe('问题总数（不含您无权查看的已立项问题）'),
    opened: z.number().int().describe('已立项的问题数'),
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
    source: z.string().describe('来源'),
    total: z.number().int().describe('问题总数（同 progress.total）'),
    createdBy: z.string().describe('导入人（用户编号）'),
    createdAt: z.iso.datetime().describe('导入时间'),
    progress: Progress,
  })
  .describe('问题清单及其进度');

export const ProblemListsResponse = z
  .object({ lists: z.array(ProblemListView).describe('最近的 200 个清单，新的在前') })
  .describe('问题清单列表');
