import { z } from 'zod';
import { SUBJECT_KINDS } from '../../domain/subject';

/**
 * What the notification routes send, as the OpenAPI document promises it: each response is
 * serialised through its schema here.
 */

const Timestamp = z.iso.datetime();

/** What a notice is about (domain/subject.ts). Not `subject`: that is the mail's subject line, as it always was. */
const About = z
  .object({
    kind: z.enum(SUBJECT_KINDS).describe('item 督办事项，cycle 监测周期'),
    id: z.string().describe('事项编号或监测周期编号'),
  })
  .describe('通知所涉对象');

const Status = z
  .string()
  .describe(
    '发送状态：pending 待发送，sending 发送中，sent 已发送，failed 发送失败，no_address 缺少邮箱，digest 待并入每日汇总，digested 已并入每日汇总，cancelled 事项已撤销或销号、发送前取消（原因见 lastError）',
  );

export const NotificationView = z
  .object({
    id: z.string().describe('通知编号'),
    kind: z.string().describe('通知类型'),
    kindLabel: z.string().describe('通知类型（中文）'),
    itemId: z.string().describe('所涉事项；监测周期的通知为周期编号（以 about 区分）'),
    about: About,
    subject: z.string().describe('标题'),
    text: z.string().describe('正文（纯文本）'),
    status: Status,
    recipientName: z.string().describe('收件人'),
    recipientEmail: z.string().nullable().describe('收件邮箱；缺少时为 null'),
    attempts: z.number().int().describe('已尝试发送的次数'),
    lastError: z.string().nullable().describe('最近一次发送失败的原因'),
    reason: z
      .string()
      .nullable()
      .describe('未送达的原因（如“缺少邮箱”“缺少联系人：该单位未登记经办人”“发送失败：…”）；已送达或待发送为 null'),
    createdAt: Timestamp,
    sentAt: Timestamp.nullable().describe('发送时间'),
    readAt: Timestamp.nullable().describe('已读（确认收到）时间'),
  })
  .describe('通知');

/** An undelivered notice as the system administrator sees it: whom it was for and what went wrong, nothing of the item. */
const DeliveryView = z
  .object({
    id: z.string().describe('通知编号'),
    kind: z.string().describe('通知类型'),
    kindLabel: z.string().describe('通知类型（中文）'),
    status: Status,
    recipientName: z.string().describe('收件人'),
    recipientEmail: z.string().nullable().describe('收件邮箱；缺少时为 null'),
    recipientUserId: z.string().nullable().describe('收件人的用户编号（非系统用户为 null）'),
    attempts: z.number().int().describe('已尝试发送的次数'),
    lastError: z.string().nullable().describe('最近一次发送失败的原因'),
    reason: z
      .string()
      .nullable()
      .describe('未送达的原因（如“缺少邮箱”“缺少联系人：该单位未登记经办人”“发送失败：…”）；已送达或待发送为 null'),
    createdAt: Timestamp,
  })
  .describe('未送达的通知（仅收件人与失败原因，不含事项内容）');

export const MyNotificationsResponse = z
  .object({
    unread: z.number().int().describe('未读通知数'),
    notifications: z.array(NotificationView).describe('新的在前'),
  })
  .describe('我的通知');

export const MarkReadResponse = z
  .object({
    notification: NotificationView,
    changed: z.boolean().describe('本次是否由未读改为已读'),
  })
  .describe('标记已读的结果');

export const MarkAllReadResponse = z
  .object({
    marked: z.number().int().describe('本次由未读改为已读的通知数（再次调用为 0）'),
    unread: z.number().int().describe('此后仍未读的通知数（upToId 之后新到的）'),
  })
  .describe('全部标为已读的结果');

/**
 * Two views, by who asks: supervisors and leaders see the notices about the items they oversee
 * in full; the system administrator sees whom a notice was for and why it failed, never its
 * content. The full view comes first: the serialiser takes the first that fits, and the redacted
 * one would fit a full notice by dropping its content.
 */
export const UndeliveredResponse = z
  .union([
    z.object({ notifications: z.array(NotificationView) }).describe('督查人员、领导：所辖事项的未送达通知（完整内容）'),
    z
      .object({ notifications: z.array(DeliveryView) })
      .describe('系统管理员：未送达通知的收件人与失败原因（不含事项内容）'),
  ])
  .describe('发送失败或缺少邮箱的通知，最近的 200 条');

export const AckPage = z.string().describe('确认收到的页面（HTML，zh-CN）：通知标题与类型，未确认时带“确认已阅”按钮');
