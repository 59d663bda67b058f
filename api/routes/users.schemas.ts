import { z } from 'zod';
import { ROLES } from '../../domain/actors';

/**
 * What the user and unit routes send, as the OpenAPI document promises it: each response is
 * serialised through its schema here.
 */

export const UNIT_KINDS = ['city', 'district', 'township', 'bureau', 'supervision', 'party', 'other'] as const;

const UserFields = {
  id: z.string().describe('用户编号'),
  name: z.string().describe('姓名'),
  role: z.enum(ROLES).describe('角色'),
  unitId: z.string().nullable().describe('所属单位'),
  jurisdictionUnitId: z.string().nullable().describe('管辖范围（单位子树的根）；null 为全部'),
  active: z.boolean().describe('是否启用'),
  email: z.string().nullable().describe('电子邮箱（通知发往此处）；没有为 null'),
  mobile: z.string().nullable().describe('手机号码；没有为 null'),
  imId: z.string().nullable().describe('即时通讯账号（浙政钉 / 钉钉）；没有为 null'),
};

export const UsersResponse = z
  .object({
    users: z.array(
      z.object({ ...UserFields, createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() }).describe('用户'),
    ),
  })
  .describe('用户列表');

export const UserSaved = z.object({ user: z.object(UserFields).describe('用户') }).describe('已保存的用户');

export const UnitSaved = z
  .object({
    unit: z
      .object({
        id: z.string().describe('单位编号'),
        name: z.string().describe('单位名称'),
        parentId: z.string().nullable().describe('上级单位'),
        kind: z
          .enum(UNIT_KINDS)
          .describe(
            '单位类别：city 市，district 区，township 街道，bureau 部门，supervision 督查机构，party 党委部门，other 其他',
          ),
      })
      .describe('单位'),
  })
  .describe('已保存的单位');
