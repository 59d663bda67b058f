import type { Action, ActionPayload } from '../../domain/commands';
import { LATER_DUE } from './dates';

/** A valid payload for every action, for tests that walk the whole table. */
export const SAMPLE_PAYLOADS: { [A in Action]: ActionPayload<A> } = {
  sign: { note: '' },
  decline: { reason: '不属于本单位职责' },
  reassign: { leadUnitId: 'unit-b', note: '' },
  arbitrate: { unitId: 'unit-a', ruling: '经研究，由A单位牵头办理' },
  filePlan: { plan: '整改方案：三步走', attachments: [] },
  reportProgress: { text: '已完成第一步', attachments: [] },
  coSign: { note: '' },
  coReport: { text: '配合进展', attachments: [] },
  coComplete: { text: '配合部分已完成', attachments: [] },
  submit: { summary: '整改完成，申请销号', attachments: [{ name: '现场照片.jpg', ref: 'evidence/1' }] },
  verifyPass: { opinion: '核查属实' },
  verifyReturn: { reasons: '材料不全' },
  requestExtension: { dueDate: LATER_DUE, reason: '工程量大' },
  decideExtension: { approved: true, opinion: '同意' },
  suspend: { reason: '等待上级政策' },
  resume: { note: '' },
  withdraw: { reason: '重复立项' },
  reinspect: { relapsed: true, findings: '回头看发现问题反弹', dueDate: LATER_DUE, attachments: [] },
  instruct: { instruction: '请加快整改进度，月底前见成效', binding: true },
  acknowledgeInstruction: { note: '已收悉，将按批示落实' },
  initial: { note: '阅' },
  decideAccountability: { approved: true, reason: '同意通报' },
  remindCoUnits: { note: '请尽快反馈配合情况' },
  urge: { text: '请立即签收并反馈进展' },
  recordInterview: {
    heldOn: '2026-01-05',
    attendees: '督查室张三；A单位负责人李四',
    summary: '约谈逾期原因',
    attachments: [],
  },
  edit: { title: '修改后的标题' },
};
