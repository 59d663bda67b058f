import { z } from 'zod';
import type { Role } from './actors';

/**
 * The address book (通讯录): who is told what. A notice names roles relative to its units
 * (domain/notifications.ts: handler, unit_leader, co_units, supervisor, leader); a contact fills
 * one of those roles, for one unit (handler, unit_leader) or as oversight (supervisor, leader).
 */
export const CONTACT_ROLES = ['handler', 'unit_leader', 'supervisor', 'leader'] as const;
export type ContactRole = (typeof CONTACT_ROLES)[number];

export const CONTACT_ROLE_LABELS: Record<ContactRole, string> = {
  handler: '经办人',
  unit_leader: '单位负责人',
  supervisor: '督查专员',
  leader: '领导',
};

/** Roles a contact fills for one unit: it must name the unit. */
export const UNIT_CONTACT_ROLES: ReadonlySet<ContactRole> = new Set(['handler', 'unit_leader']);

/** The contact role a user is told as; null for roles no notice is addressed to (核查人, 管理员, 审计员). */
export function contactRoleOf(role: Role): ContactRole | null {
  switch (role) {
    case 'unit_handler':
      return 'handler';
    case 'unit_leader':
      return 'unit_leader';
    case 'supervisor':
      return 'supervisor';
    case 'leader':
      return 'leader';
    default:
      return null;
  }
}

/** How an office writes a role in a spreadsheet, to the role's code. */
export const CONTACT_ROLE_WORDS: Record<string, ContactRole> = {
  handler: 'handler',
  经办人: 'handler',
  联络员: 'handler',
  责任单位经办人: 'handler',
  unit_leader: 'unit_leader',
  负责人: 'unit_leader',
  单位负责人: 'unit_leader',
  责任单位负责人: 'unit_leader',
  分管领导: 'unit_leader',
  supervisor: 'supervisor',
  督查专员: 'supervisor',
  督查人员: 'supervisor',
  督查室: 'supervisor',
  leader: 'leader',
  领导: 'leader',
};

/** An email address as a mail server takes it: one @, a domain with a dot, no spaces or brackets. */
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
/** A Chinese mainland mobile number: 11 digits starting 1[3-9]; +86 / 86 and spaces or dashes are dropped. */
const MOBILE = /^1[3-9]\d{9}$/;

/** The stored form of a mobile number: digits only, without +86. */
export function normaliseMobile(v: string): string {
  return v.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
}

/** An address as stored: trimmed, an empty string is none (null), so a cleared form field clears it. */
export function addressOf(v: string | null | undefined, kind: 'email' | 'mobile' | 'imId'): string | null {
  if (v === null || v === undefined) return null;
  const t = v.trim();
  if (t === '') return null;
  return kind === 'mobile' ? normaliseMobile(t) : t;
}

export const EMAIL_REASON = '邮箱格式不正确（例如 zhang@example.gov.cn）';
export const MOBILE_REASON = '手机号码应为 11 位中国大陆手机号（1 开头）';

export const isEmail = (v: string) => EMAIL.test(v.trim());
export const isMobile = (v: string) => MOBILE.test(normaliseMobile(v.trim()));

/** The addresses a contact carries, as a body names them; an empty string clears one. */
export const EmailField = z
  .string()
  .max(254, '邮箱过长（最多 254 个字符）')
  .refine((v) => v.trim() === '' || isEmail(v), EMAIL_REASON)
  .nullable()
  .describe('电子邮箱；空字符串或 null 表示没有');
export const MobileField = z
  .string()
  .max(32, MOBILE_REASON)
  .refine((v) => v.trim() === '' || isMobile(v), MOBILE_REASON)
  .nullable()
  .describe('手机号码（11 位中国大陆手机号，可带 +86、空格或短横线）；空字符串或 null 表示没有');
export const ImIdField = z
  .string()
  .max(128, '即时通讯账号过长（最多 128 个字符）')
  .nullable()
  .describe('即时通讯账号（浙政钉 / 钉钉），暂不用于发送');
