import { z } from 'zod';

const Run = z
  .object({
    id: z.string(),
    trigger: z.string().describe('schedule 定时；manual 手动（npm run reconcile）'),
    startedAt: z.string(),
    finishedAt: z.string().nullable().describe('未结束时为 null'),
    itemsChecked: z.number().int().nullable().describe('核对的事项数'),
    findings: z.number().int().nullable().describe('本次发现的不一致（新发现的和仍存在的）'),
  })
  .describe('一次对账');

export const ReconciliationResponse = z
  .object({
    lastRun: Run.nullable().describe('最近一次完成的对账；从未运行时为 null'),
    running: Run.nullable().describe('正在进行的对账（晚于最近一次完成的）'),
    openFindings: z.number().int().describe('尚未消除的不一致数（调用者可见范围内）'),
    findings: z
      .array(
        z.object({
          id: z.string(),
          subjectKind: z.string().describe('item 事项'),
          subjectId: z.string().describe('事项编号（id）'),
          kind: z.string().describe('不一致的类别（英文代码）'),
          kindLabel: z.string().describe('类别（中文）'),
          reason: z.string().describe('说明（中文）'),
          detail: z.unknown().describe('数据库记录与流程各自的状态、步骤，或缺失的通知'),
          foundAt: z.string().describe('首次发现时间'),
          lastSeenRunId: z.string().describe('最近一次仍看到它的对账'),
        }),
      )
      .describe('尚未消除的不一致，最早发现的在前，至多 500 条'),
  })
  .describe('对账：数据库记录与流程（Temporal）的比对结果');
