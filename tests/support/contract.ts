/**
 * The API's contract as the tests hold it to: every response a test receives is checked against
 * the OpenAPI document the app serves — its status declared for that operation, and a JSON body
 * that matches the declared schema with no field the schema does not name.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

type Schema = Record<string, unknown>;
interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
}

/** Objects are closed unless the document says otherwise: an undeclared field is a breach. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema as Schema))
    out[k] =
      k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'definitions'
        ? mapValues(v as Schema, closed)
        : closed(v);
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}
const mapValues = (o: Schema, f: (v: unknown) => unknown) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export function contractChecker(doc: OpenApiDoc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  const templates = Object.keys(doc.paths).map((template) => ({
    template,
    regex: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const compiled = new Map<string, ValidateFunction>();

  /** What is wrong with one response (empty when it keeps the contract); null when no documented operation answered it. */
  return function check(
    method: string,
    url: string,
    status: number,
    contentType: string | undefined,
    body: string,
  ): string[] | null {
    let path = url.split('?')[0] ?? '';
    try {
      path = decodeURIComponent(path);
    } catch {
      return null;
    }
    const m = method.toLowerCase();
    const found = templates.find((t) => t.regex.test(path) && doc.paths[t.template]?.[m]);
    if (!found) return null;
    const op = doc.paths[found.template]![m]!;
    const where = `${method} ${found.template} → ${status}`;
    const response = op.responses?.[String(status)];
    if (!response) return [`${where}: status not declared (declared: ${Object.keys(op.responses ?? {}).join(', ')})`];
    if (!contentType?.includes('json')) return [];
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return [`${where}: a JSON body where the document declares none`];
    const key = `${where}`;
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(closed(schema) as Schema);
      compiled.set(key, validate);
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return [`${where}: body is not JSON`];
    }
    if (validate(json)) return [];
    return (validate.errors ?? [])
      .slice(0, 5)
      .map(
        (e) =>
          `${where}: ${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
      );
  };
}

export type ContractChecker = ReturnType<typeof contractChecker>;
