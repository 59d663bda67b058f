import { status } from '@grpc/grpc-js';
import { type Connection, isGrpcServiceError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES, type SearchAttributeName, type SearchAttributeTypeName } from '../domain/search-attributes';

type IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const { IndexedValueType } = proto.temporal.api.enums.v1;
const INDEXED: Record<SearchAttributeTypeName, IndexedValueType> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};
const NAMES = Object.keys(SEARCH_ATTRIBUTES) as SearchAttributeName[];

/** The part of a Temporal connection set-up talks to (a client's Connection). */
export type OperatorConnection = Pick<Connection, 'operatorService' | 'workflowService'>;

/** Why a process cannot start on this namespace; `message` is the zh/en line it logs before exiting. */
export class SearchAttributeSetupError extends Error {
  constructor(
    readonly reason: 'namespace-missing' | 'permission-denied' | 'wrong-type' | 'not-registered',
    message: string,
  ) {
    super(message);
    this.name = 'SearchAttributeSetupError';
  }
}

/** The CLI command an operator runs to register `names` by hand (self-hosted; Temporal Cloud uses tcld or its web UI). */
export function registerCommand(namespace: string, names: readonly SearchAttributeName[] = NAMES): string {
  const pairs = names.map((n) => `--name ${n} --type ${SEARCH_ATTRIBUTES[n]}`).join(' ');
  return `temporal operator search-attribute create --namespace ${namespace} ${pairs}`;
}

function typeName(t: IndexedValueType | null | undefined): string {
  const raw = IndexedValueType[t ?? IndexedValueType.INDEXED_VALUE_TYPE_UNSPECIFIED] ?? String(t);
  const word = raw.replace('INDEXED_VALUE_TYPE_', '').toLowerCase();
  return word.charAt(0).toUpperCase() + word.slice(1);
}

async function registered(connection: OperatorConnection, namespace: string): Promise<Map<string, IndexedValueType>> {
  const res = await connection.operatorService.listSearchAttributes({ namespace });
  return new Map(Object.entries(res.customAttributes ?? {}));
}

function clashesIn(have: Map<string, IndexedValueType>): Array<{ name: SearchAttributeName; registered: string }> {
  return NAMES.filter((n) => have.has(n) && have.get(n) !== INDEXED[SEARCH_ATTRIBUTES[n]]).map((n) => ({
    name: n,
    registered: typeName(have.get(n)),
  }));
}

/**
 * The product's search attributes that `namespace` lacks or holds with another type; empty when
 * workflows can upsert all of them. Throws when the server cannot be asked (readiness: not ready).
 */
export async function missingSearchAttributes(connection: OperatorConnection, namespace: string): Promise<string[]> {
  const have = await registered(connection, namespace);
  return NAMES.filter((n) => have.get(n) !== INDEXED[SEARCH_ATTRIBUTES[n]]);
}

const code = (err: unknown) => (isGrpcServiceError(err) ? err.code : undefined);
const detail = (err: unknown) => (isGrpcServiceError(err) ? err.details || err.message : String(err));

/**
 * Registers the product's search attributes in `namespace` when they are missing, before a
 * worker polls: a workflow that upserts an unregistered one fails every workflow task with
 * BadSearchAttributes. Never creates the namespace (that is the operator's decision, with its
 * retention). Throws SearchAttributeSetupError, with the reason in words, when it cannot; returns
 * the names it added.
 */
export async function ensureSearchAttributes(
  connection: OperatorConnection,
  namespace: string,
  opts: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<SearchAttributeName[]> {
  const log = opts.log ?? (() => {});
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    if (code(err) === status.NOT_FOUND)
      throw new SearchAttributeSetupError(
        'namespace-missing',
        `命名空间 ${namespace} 不存在，请先创建 / namespace "${namespace}" does not exist on this Temporal server: create it first (e.g. temporal operator namespace create --namespace ${namespace} --retention 30d); it is not created automatically`,
      );
    if (code(err) === status.PERMISSION_DENIED)
      throw new SearchAttributeSetupError(
        'permission-denied',
        `无权访问命名空间 ${namespace} / not allowed to read namespace "${namespace}": ${detail(err)}`,
      );
    throw err;
  }
  const have = await registered(connection, namespace);
  const clashes = clashesIn(have);
  if (clashes.length)
    throw new SearchAttributeSetupError(
      'wrong-type',
      `检索属性类型不符：${clashes.map((c) => `${c.name} 已注册为 ${c.registered}，需要 ${SEARCH_ATTRIBUTES[c.name]}`).join('；')} / search attributes registered with another type in namespace "${namespace}": ${clashes.map((c) => `${c.name} is ${c.registered}, the product needs ${SEARCH_ATTRIBUTES[c.name]}`).join('; ')}; a type cannot be changed in place: remove them (temporal operator search-attribute remove) or use another namespace`,
    );
  const missing = NAMES.filter((n) => !have.has(n));
  if (missing.length === 0) return [];

  log(`registering search attributes ${missing.join(', ')} in namespace ${namespace}`);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((n) => [n, INDEXED[SEARCH_ATTRIBUTES[n]]])),
      });
    } catch (err) {
      if (code(err) === status.PERMISSION_DENIED || code(err) === status.UNIMPLEMENTED)
        throw new SearchAttributeSetupError(
          'permission-denied',
          `无权注册检索属性 ${missing.join('、')}，请管理员先行注册 / not allowed to register search attributes ${missing.join(', ')} in namespace "${namespace}" (${detail(err)}): have an administrator register them (${registerCommand(namespace, missing)}; on Temporal Cloud with tcld or the web UI)`,
        );
      // Refused for good (e.g. no free field of that type left in SQL visibility): say why.
      if (code(err) !== status.UNAVAILABLE && code(err) !== status.DEADLINE_EXCEEDED)
        throw new SearchAttributeSetupError(
          'not-registered',
          `检索属性注册被拒绝：${missing.join('、')} / adding search attributes ${missing.join(', ')} to namespace "${namespace}" was refused: ${detail(err)}; register them by hand (${registerCommand(namespace, missing)})`,
        );
      // Another worker adding them at the same moment is refused ("mapping unavailable"): list again.
      log(`adding search attributes failed, checking again: ${detail(err)}`);
    }
    const now = await registered(connection, namespace);
    if (missing.every((n) => now.get(n) === INDEXED[SEARCH_ATTRIBUTES[n]])) break;
    if (Date.now() > deadline)
      throw new SearchAttributeSetupError(
        'not-registered',
        `检索属性注册未生效：${missing.filter((n) => !now.has(n)).join('、')} / search attributes ${missing.filter((n) => !now.has(n)).join(', ')} are still not listed in namespace "${namespace}" after ${Math.round((opts.timeoutMs ?? 30_000) / 1000)} s: register them by hand (${registerCommand(namespace, missing)})`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
  // Listed is read from the namespace record; the services that validate upserts (history)
  // read their namespace cache, refreshed every 2 s by default (system.namespaceCacheRefreshInterval).
  await new Promise((r) => setTimeout(r, 5_000));
  log(`search attributes ${missing.join(', ')} registered in namespace ${namespace}`);
  return missing;
}

/**
 * Called by the processes that run workers before they poll: registers what is missing, or ends
 * the process with the reason (exit 78, configuration) rather than fail every workflow task.
 */
export async function setUpSearchAttributesOrExit(
  connection: OperatorConnection,
  namespace: string,
  role: string,
  beforeExit: () => Promise<void> = async () => {},
): Promise<void> {
  try {
    await ensureSearchAttributes(connection, namespace, { log: (line) => console.log(line) });
  } catch (err) {
    if (!(err instanceof SearchAttributeSetupError)) throw err;
    console.error(`${role} refuses to start: ${err.message}`);
    await beforeExit();
    process.exit(78);
  }
}
