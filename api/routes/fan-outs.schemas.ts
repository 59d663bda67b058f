import { z } from 'zod';
import {
  FAN_OUT_ANSWERS,
  FAN_OUT_STATUSES,
  FanOutLadderSchema,
  FanOutSelectionSchema,
  SPOT_CHECK_DECISIONS,
} from '../../domain/fan-out';
import { FAN_OUT_STATES } from '../read/fan-outs';

/** What the 举一反三 routes send, as the OpenAPI document promises it. */

const Coverage = z
  .object({
    asked: z.number().int().describe('已下发（已通知）的单位数'),
    answered: z.number().int().describe('已答复'),
    absent: z.number().int().describe('答复“不存在”'),
    present: z.number().int().describe('答复“存在”（已立项）'),
    silent: z.number().int().describe('尚未答复'),
    late: z.number().int().describe('逾期答复'),
    sampled: z.number().int().describe('被抽中抽查的“不存在”答复'),
    checked: z.number().int().describe('已抽查'),
    overturned: z.number().int().describe('抽查推翻（已立项）'),
    itemsOpened: z.number().int().describe('因举一反三新立的督办事项'),
  })
  .describe('覆盖情况');

export const FanOutView = z
  .object({
    id: z.string().describe('举一反三编号'),
    originItemId: z.string().describe('源头事项'),
    originNumber: z.string().describe('源头事项督办编号'),
    originTitle: z.string().describe('源头事项标题'),
    requirements: z.string().describe('排查要求'),
    answerDue: z.string().describe('答复截止日（工作日）'),
    answerDays: z.number().int().describe('答复期限（工作日）'),
    itemDueInWorkingDays: z.number().int().describe('“存在”立项的办理期限（工作日）'),
    spotCheckShare: z.number().describe('“不存在”答复的抽查比例'),
    status: z.enum(FAN_OUT_STATUSES).describe('asking 下发中 · answering 答复中 · sampled 已抽取抽查样本'),
    unitCount: z.number().int().describe('下发单位数'),
    createdAt: z.iso.datetime(),
    createdByName: z.string(),
    sampledAt: z.iso.datetime().nullable().describe('抽取抽查样本的时间'),
    selection: FanOutSelectionSchema.describe('下发范围（按类型、按单位树、逐个指定、排除）'),
    ladder: FanOutLadderSchema.describe('未答复单位的催办阶梯（距答复截止日的工作日数）'),
    coverage: Coverage,
  })
  .describe('举一反三');

export const FanOutCreated = FanOutView.extend({
  skippedAlreadyAsked: z
    .number()
    .int()
    .describe('所选单位中已在本事项此前的举一反三中被要求排查、本次不再下发的单位数'),
}).describe('新发起的举一反三');

const Attachment = z.object({ sha256: z.string(), name: z.string(), mime: z.string(), size: z.number().int() });

export const FanOutUnitView = z
  .object({
    unitId: z.string(),
    unitName: z.string(),
    askedAt: z.iso.datetime().nullable().describe('下发时间'),
    chased: z.number().int().describe('被催次数'),
    answer: z.enum(FAN_OUT_ANSWERS).nullable().describe('absent 不存在 · present 存在 · null 未答复'),
    reason: z.string().nullable().describe('答复理由'),
    attachments: z.array(Attachment).describe('佐证材料'),
    answeredByName: z.string().nullable(),
    answeredAt: z.iso.datetime().nullable(),
    late: z.boolean().describe('逾期答复'),
    itemId: z.string().nullable().describe('因“存在”或抽查推翻而立的事项'),
    itemNumber: z.string().nullable(),
    sampled: z.boolean().describe('被抽中抽查'),
    spotCheck: z.enum(SPOT_CHECK_DECISIONS).nullable().describe('upheld 属实 · overturned 推翻'),
    spotCheckNote: z.string().nullable(),
  })
  .describe('一个单位的答复');

export const FanOutList = z
  .object({
    fanOuts: z.array(FanOutView),
    askedUnitIds: z
      .array(z.string())
      .describe('已在本事项的举一反三中被要求排查的单位（调用者可见的范围内），再次发起时不再下发'),
  })
  .describe('事项的举一反三');

export const FanOutDetail = FanOutView.extend({
  units: z.array(FanOutUnitView).describe('本页单位（单位只看到本单位）'),
  total: z.number().int().describe('符合条件的单位数'),
  page: z.number().int(),
  pageSize: z.number().int(),
}).describe('举一反三及各单位答复');

export const FanOutDetailQuery = z.strictObject({
  state: z.enum(FAN_OUT_STATES, '应为 silent、absent、present、sampled 或 overturned').optional(),
  page: z.coerce.number('应为正整数').int('应为正整数').min(1, '应为正整数').max(1000, '不能超过 1000').optional(),
});

export const MyFanOuts = z
  .object({
    fanOuts: z.array(
      z.object({
        id: z.string(),
        originItemId: z.string(),
        originNumber: z.string(),
        originTitle: z.string(),
        requirements: z.string(),
        answerDue: z.string(),
        answerDays: z.number().int(),
        status: z.enum(FAN_OUT_STATUSES),
        createdAt: z.iso.datetime(),
        createdByName: z.string(),
        mine: FanOutUnitView,
      }),
    ),
  })
  .describe('本单位被要求举一反三排查的事项');

const StoredFile = z.object({
  sha256: z.string(),
  name: z.string(),
  size: z.number().int(),
  mime: z.string(),
  ref: z.string().describe('引用（evidence:<sha256>）'),
});
export const FanOutUploads = z.object({ files: z.array(StoredFile) }).describe('已上传的答复材料');
