import { z } from 'zod';
import { CONTACT_ROLES } from '../../domain/contacts';

/**
 * What the contact routes send, as the OpenAPI document promises it: each response is
 * serialised through its schema here.
 */

const Timestamp = z.iso.datetime();

export const ContactView = z
  .object({
    id: z.string().describe('联系人编号（由系统用户生成的为 user:<用户编号>）'),
    name: z.string().describe('姓名'),
    role: z
      .enum(CONTACT_ROLES)
      .describe('角色：handler 经办人，unit_leader 单位负责人，supervisor 督查专员，leader 领导'),
    roleLabel: z.string().describe('角色（中文）'),
    unitId: z.string().nullable().describe('所属单位'),
    unitName: z.string().nullable().describe('所属单位名称（同名单位带上级单位）'),
    email: z.string().nullable().describe('电子邮箱；没有为 null（通知将列为“缺少邮箱”）'),
    mobile: z.string().nullable().describe('手机号码'),
    imId: z.string().nullable().describe('即时通讯账号（浙政钉 / 钉钉）'),
    userId: z.string().nullable().describe('对应的系统用户'),
    digest: z.boolean().describe('非紧急通知并入每日汇总'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .describe('联系人');

const Gap = z
  .object({
    unitId: z.string().describe('单位编号'),
    unitName: z.string().describe('单位名称'),
    role: z.enum(CONTACT_ROLES).describe('缺少的角色'),
    roleLabel: z.string().describe('缺少的角色（中文）'),
    reason: z.string().describe('“未登记经办人”“未登记单位负责人”或“缺少邮箱”'),
  })
  .describe('通讯录的缺口：发给该单位此角色的通知将无法送达');

export const ContactList = z
  .object({
    total: z.number().int().describe('符合条件的联系人总数（不分页）'),
    limit: z.number().int().describe('本页最多几位'),
    offset: z.number().int().describe('本页从第几位之后开始'),
    contacts: z.array(ContactView).describe('本页的联系人（单位人员：本单位的），按单位、角色、姓名排序'),
    gaps: z.array(Gap).describe('可见单位中无人可收通知的角色'),
  })
  .describe('通讯录');

export const ContactSaved = z.object({ contact: ContactView }).describe('已保存的联系人');

export const ContactDeleted = z.object({ deleted: z.string().describe('已删除的联系人编号') }).describe('已删除');

export const ContactsImported = z
  .object({
    created: z.number().int().describe('新增的联系人数'),
    updated: z.number().int().describe('更新的联系人数（同一单位、角色、姓名）'),
  })
  .describe('导入结果');
