import { z } from 'zod';
import { ACTION_PAYLOADS } from '../../domain/commands';
import { STATUSES } from '../../domain/item';
import { BULK_ACTIONS, BULK_MAX_ITEMS } from '../bulk-service';
import { ListQuerySchema } from './items';

/** The bulk routes' bodies and answers, as the OpenAPI document promises them. */

const ItemId = z.string().min(1).max(64);

const Target = z
  .union([
    z.strictObject({ ids: z.array(ItemId).describe(`所选事项的编号，1 至 ${BULK_MAX_ITEMS} 个`) }),
    z.strictObject({
      filter: ListQuerySchema.omit({ sort: true, page: true, pageSize: true }).describe(
        '事项列表的筛选条件（字段与 GET /api/items 的查询参数相同），最多 500 项',
      ),
    }),
  ])
  // Counted after the union: a failed check inside one of its options would be reported only as
  // the union's bare 无效输入, without the field or the reason.
  .superRefine((target, ctx) => {
    if (!('ids' in target)) return;
    if (target.ids.length === 0) ctx.addIssue({ code: 'custom', path: ['ids'], message: '请至少选择 1 个事项' });
    if (target.ids.length > BULK_MAX_ITEMS)
      ctx.addIssue({ code: 'custom', path: ['ids'], message: `一次最多选择 ${BULK_MAX_ITEMS} 个事项` });
  })
  .describe('对哪些事项操作：所选事项，或列表的筛选结果');

const Expected = z
  .array(z.strictObject({ id: ItemId, seq: z.number().int().min(1) }))
  .min(1, '没有要执行的事项')
  .max(BULK_MAX_ITEMS, `一次最多 ${BULK_MAX_ITEMS} 个事项`)
  .describe('预览返回的 expected：将执行的事项及其预览时的版本，原样提交');

/** One body per action, its payload checked by the action's own schema (a 400 names the payload's field). */
const bodies = <E extends z.ZodRawShape>(extra: E) =>
  z.discriminatedUnion('action', [
    z.strictObject({ action: z.literal('urge'), payload: ACTION_PAYLOADS.urge, ...extra }).describe('批量催办'),
    z
      .strictObject({ action: z.literal('decideExtension'), payload: ACTION_PAYLOADS.decideExtension, ...extra })
      .describe('批量审批延期申请'),
    z.strictObject({ action: z.literal('withdraw'), payload: ACTION_PAYLOADS.withdraw, ...extra }).describe('批量撤销'),
  ]);

export const BulkPreviewBody = bodies({ target: Target });
export const BulkRunBody = bodies({ expected: Expected });

const Action = z.enum(BULK_ACTIONS);

export const BulkPreview = z
  .object({
    action: Action,
    actionLabel: z.string(),
    total: z.number().int(),
    willApply: z.number().int().describe('将执行的事项数'),
    skipped: z.number().int().describe('将跳过的事项数'),
    items: z.array(
      z.object({
        id: z.string(),
        number: z.string().optional().describe('督办编号（事项不存在或无权查看时不给出）'),
        title: z.string().optional().describe('事项标题（事项不存在或无权查看时不给出）'),
        status: z.enum(STATUSES).optional(),
        statusLabel: z.string().optional(),
        outcome: z.enum(['will_apply', 'skipped']).describe('will_apply：将执行；skipped：将跳过'),
        reason: z.string().optional().describe('跳过的原因'),
      }),
    ),
    expected: z
      .array(z.object({ id: z.string(), seq: z.number().int() }))
      .describe('确认执行时原样提交：将执行的事项及其版本'),
  })
  .describe('批量操作预览');

export const BulkResult = z
  .object({
    action: Action,
    actionLabel: z.string(),
    total: z.number().int(),
    applied: z.number().int().describe('已执行'),
    skipped: z.number().int().describe('已跳过（未执行）'),
    failed: z.number().int().describe('执行失败'),
    items: z.array(
      z.object({
        id: z.string(),
        number: z.string().optional().describe('督办编号'),
        title: z.string().optional(),
        status: z.enum(STATUSES).optional().describe('执行后的状态（跳过时为当时的状态）'),
        statusLabel: z.string().optional(),
        outcome: z.enum(['applied', 'skipped', 'failed']),
        reason: z.string().optional().describe('跳过或失败的原因'),
      }),
    ),
  })
  .describe('批量操作结果');
