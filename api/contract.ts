import type { FastifyInstance, FastifySerializerCompiler, RouteOptions } from 'fastify';
import fastJson from 'fast-json-stringify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * The one error body. Every error the API sends is serialised through it, so what the OpenAPI
 * document promises is all a client receives: the code, the message in Chinese, and where it
 * applies the fields at fault, the state an action met, or the dependency that is down.
 */
export const ErrorBody = z
  .object({
    error: z.string().describe('错误代码（英文，供程序判断）'),
    message: z.string().describe('错误说明（中文，可直接展示给用户）'),
    fields: z
      .array(z.object({ field: z.string(), reason: z.string() }))
      .optional()
      .describe('出错的字段及原因'),
    rows: z
      .array(
        z.object({
          row: z.number().int().describe('CSV：文件中的行号（列名行为第 1 行）；JSON：第几项（从 1 起）'),
          errors: z.array(
            z.object({
              field: z.string().describe('字段（英文名，如 dueDate、coUnitIds[1]）'),
              column: z.string().describe('CSV 中的列名，或字段的中文名'),
              reason: z.string().describe('原因（中文）'),
            }),
          ),
        }),
      )
      .optional()
      .describe('导入被拒时，按行列出的全部错误（未导入任何内容）'),
    reason: z.string().optional().describe('冲突的具体原因代码'),
    state: z.string().optional().describe('事项当前状态'),
    stateLabel: z.string().optional().describe('事项当前状态（中文）'),
    allowedActions: z.array(z.string()).optional().describe('当前状态下可办理的操作'),
    dependency: z.enum(['temporal', 'database', 'identity']).optional().describe('暂时不可用的依赖'),
    bytes: z.number().optional(),
    limit: z.number().optional(),
  })
  .describe('错误');

/** The header a POST that may be retried carries (api/idempotency.ts's `once`). */
export const IdempotencyHeaders = z.object({ 'idempotency-key': z.string().optional() });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: '请求参数有误',
  401: '未登录或令牌无效',
  403: '无权执行此操作',
  404: '不存在，或无权查看',
  409: '当前状态不允许此操作',
  413: '请求体或文件过大',
  414: '请求地址过长',
  415: '不支持的内容类型',
  422: '幂等键已用于另一个请求',
  429: '请求过于频繁',
  500: '服务器内部错误',
  503: '数据库、工作流服务或身份验证服务暂时不可用',
};

/** The error statuses a route can answer, from what it declares: access, parameters, body. */
export function errorStatuses(route: Pick<RouteOptions, 'method' | 'url' | 'config' | 'schema'>): number[] {
  const schema = (route.schema ?? {}) as {
    params?: unknown;
    body?: unknown;
    querystring?: unknown;
    headers?: unknown;
    consumes?: unknown;
  };
  const config = (route.config ?? {}) as { public?: boolean; permission?: string };
  const out = new Set<number>([429, 500]);
  if (!config.public) [401, 503].forEach((s) => out.add(s));
  if (config.permission && config.permission !== 'signedIn') out.add(403);
  // 414: a path parameter over the router's length limit.
  if (schema.params) [400, 404, 414].forEach((s) => out.add(s));
  if (schema.querystring || schema.headers) out.add(400);
  const methods = [route.method].flat();
  // 409: a write racing another that created the same thing.
  if (methods.some((m) => m === 'POST' || m === 'PUT')) [400, 409, 413, 415].forEach((s) => out.add(s));
  return [...out].sort((a, b) => a - b);
}

/**
 * Gives every route of the API the error statuses it can answer with the one error body, next
 * to the success responses the route declares itself; the console's and the docs' own routes
 * (hidden from the document) are left as they are.
 */
export function declareErrors(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ?? {}) as { hide?: boolean; response?: Record<string, unknown> };
    if (schema.hide || !route.url.startsWith('/api/')) return;
    const response = { ...schema.response };
    for (const status of errorStatuses(route))
      response[status] ??= ErrorBody.describe(ERROR_DESCRIPTIONS[status] ?? '错误');
    route.schema = { ...route.schema, response };
  });
}

/**
 * The JSON Schema fast-json-stringify compiles from a response's zod schema: what zod calls
 * nullable (`anyOf: [X, {type: 'null'}]`) becomes X with `nullable: true`, which the compiler
 * writes as a null check (an `anyOf` would be decided by validating every value against each
 * branch); and no property is required, so that they keep the schema's order.
 */
function forStringify(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forStringify);
  if (!schema || typeof schema !== 'object') return schema;
  const s = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, forStringify(v)])) as Record<string, unknown>;
  const branches = s.anyOf as Array<Record<string, unknown>> | undefined;
  if (branches?.length === 2) {
    const nonNull = branches.filter((b) => !(b.type === 'null' && Object.keys(b).length === 1));
    if (nonNull.length === 1 && !nonNull[0]!.anyOf && nonNull[0]!.type !== undefined) {
      const { anyOf: _branches, ...rest } = s;
      return { ...rest, ...nonNull[0], nullable: true };
    }
  }
  // fast-json-stringify writes required properties before the others; without `required` it
  // writes them all in the schema's order, as zod did (a missing one is left out, not an error).
  if (s.properties) delete s.required;
  return s;
}

/**
 * Responses serialised by fast-json-stringify, compiled once per route and status from the
 * route's zod schema (z.toJSONSchema, its output side): it writes only the properties the
 * schema has, in its order, as zod's parse did before JSON.stringify, without walking every
 * value through zod on each request. A schema JSON Schema cannot express (a transform, a date)
 * keeps the zod serialiser of fastify-type-provider-zod. What zod's parse guarded (a value of
 * the wrong type or a missing property is an error, not coerced or left out) is guarded by the
 * tests instead: every answer the API tests receive is checked against the OpenAPI document
 * rendered from the same zod schemas (tests/support/contract.ts, tests/security/contract.test.ts).
 */
export const responseSerializerCompiler: FastifySerializerCompiler<z.ZodType> = (route) => {
  const schema = route.schema;
  let json: unknown;
  try {
    json = forStringify(z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'throw' }));
  } catch {
    return zodSerializerCompiler(route);
  }
  return fastJson(json as Parameters<typeof fastJson>[0]) as (data: unknown) => string;
};
