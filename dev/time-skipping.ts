// CommonJS: a default import works under plain Node ESM (benchmarks) as well as in vitest.
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { toolPath } from './tools';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const TYPES: Record<string, (typeof IndexedValueType)[keyof typeof IndexedValueType]> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

let runtimeInstalled = false;

/**
 * The time-skipping test server (the Java SDK's, native) from .tools: months of timers pass in
 * seconds. It takes no search attributes at start, so they are registered through its operator
 * service first. For tests and for benchmarks that need a simulated year.
 */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // already installed in this process
    }
    runtimeInstalled = true;
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: toolPath('temporal-test-server') } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([k, v]) => [k, TYPES[v]!])),
  });
  return env;
}
