import { z } from 'zod';
import { ROLES } from '../../domain/actors';

export const Health = z
  .object({ database: z.enum(['up', 'down']), temporal: z.enum(['up', 'down']) })
  .describe('各依赖是否可用');

export const Me = z
  .object({
    actor: z.object({ userId: z.string(), name: z.string(), role: z.enum(ROLES), unitId: z.string().nullable() }),
    roleLabel: z.string(),
    permissions: z.array(z.string()),
    jurisdictionSize: z.number().int().nullable().describe('管辖范围内的单位数；不限则为 null'),
  })
  .describe('当前用户及其权限');

export const Units = z
  .object({
    units: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        label: z
          .string()
          .describe('向人显示的名称：名称唯一时即名称，与其他单位同名时带上级单位名称，如“嘉兴市/市发展改革委”'),
        parentId: z.string().nullable(),
        kind: z.string(),
      }),
    ),
  })
  .describe('单位树');

export const MetaStates = z
  .object({
    statuses: z.record(z.string(), z.string()),
    actions: z.record(z.string(), z.string()),
    roles: z.record(z.string(), z.string()),
    transitions: z.record(z.string(), z.record(z.string(), z.array(z.string()).readonly().optional())),
    permissions: z.record(z.string(), z.array(z.string())),
  })
  .describe('状态、操作与流转表');
