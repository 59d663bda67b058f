import { z } from 'zod';

export const AuditPage = z
  .object({
    total: z.number().int(),
    page: z.number().int(),
    pageSize: z.number().int(),
    entries: z.array(
      z.object({
        id: z.string(),
        at: z.string(),
        userId: z.string().nullable(),
        role: z.string().nullable(),
        action: z.string(),
        target: z.string().nullable(),
        outcome: z
          .string()
          .describe('ok 成功；denied 拒绝（401/403/404）；refused 不予受理（其他 4xx）；error 出错（5xx）'),
        status: z.number().int(),
        ip: z.string().nullable(),
        requestId: z.string().nullable(),
        detail: z.unknown().describe('请求地址（截断）、长度及其 SHA-256'),
      }),
    ),
  })
  .describe('审计日志的一页');

export const ChainReport = z
  .object({
    itemId: z.string(),
    events: z.number().int(),
    intact: z.boolean(),
    firstBreak: z.object({ seq: z.number().int(), reason: z.string(), message: z.string() }).nullable(),
    head: z.string().nullable(),
  })
  .describe('哈希链校验结果');
