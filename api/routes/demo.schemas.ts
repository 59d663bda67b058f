import { z } from 'zod';
import { ROLES } from '../../domain/actors';

/** What the demo sign-in routes send (the embedded demo only). */

export const DemoUsersResponse = z
  .object({
    users: z.array(
      z
        .object({
          userId: z.string(),
          name: z.string(),
          role: z.enum(ROLES),
          roleLabel: z.string().describe('角色（中文）'),
          unitId: z.string().nullable().describe('所属单位'),
        })
        .describe('演示用户'),
    ),
  })
  .describe('演示用户');

export const DemoToken = z
  .object({ token: z.string().describe('访问令牌（JWT），放在 Authorization: Bearer 中') })
  .describe('登录令牌');
