import { z } from 'zod';
import { ROLES } from '../../domain/actors';

export const Health = z
  .object({ database: z.enum(['up', 'down']), temporal: z.enum(['up', 'down']) })
  .describe('各依赖是否可用');

export const Live = z.object({ live: z.literal(true) }).describe('进程存活（不检查任何依赖）');

const ReadinessChecks = z
  .object({
    database: z.boolean().describe('数据库可连接'),
    temporal: z.boolean().describe('工作流服务（Temporal）可连接'),
    migrations: z.boolean().describe('本版本的数据库迁移已全部应用'),
    searchAttributes: z.boolean().describe('命名空间中已有本系统的搜索属性'),
  })
  .describe('各项检查是否通过');

export const Ready = z
  .object({ ready: z.literal(true), checks: ReadinessChecks, failed: z.array(z.string()).length(0) })
  .describe('可以提供服务');

export const NotReady = z
  .object({
    error: z.literal('not_ready'),
    message: z.string().describe('未通过的检查（中文）'),
    ready: z.literal(false),
    checks: ReadinessChecks,
    failed: z
      .array(z.enum(['database', 'temporal', 'migrations', 'searchAttributes']))
      .describe('未通过的检查；原因只在指标端口的 /ready 上给出'),
  })
  .describe('尚不能提供服务');

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
