import { Client, Connection, type ClientInterceptors } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import type { Config } from './config';
import { dataConverterFor, parseKey } from './payload-codec';
import { activeTracing } from './tracing';

/** Everything Temporal-related a process takes from configuration: address, TLS or API key, payload key. */
export function temporalOptions(config: Config, address = config.TEMPORAL_ADDRESS) {
  const tls =
    config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY
      ? {
          clientCertPair: { crt: readFileSync(config.TEMPORAL_TLS_CERT), key: readFileSync(config.TEMPORAL_TLS_KEY) },
          ...(config.TEMPORAL_TLS_CA ? { serverRootCACertificate: readFileSync(config.TEMPORAL_TLS_CA) } : {}),
        }
      : config.TEMPORAL_API_KEY
        ? true
        : undefined;
  const connection = {
    address,
    ...(tls ? { tls } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
  const oldKeys = (config.PAYLOAD_KEYS_OLD ?? '').split(',').filter(Boolean).map(parseKey);
  const dataConverter = dataConverterFor(config.PAYLOAD_KEY ? parseKey(config.PAYLOAD_KEY) : undefined, oldKeys);
  return { connection, dataConverter, namespace: config.TEMPORAL_NAMESPACE };
}

export async function connectClient(
  config: Config,
  address?: string,
  lazy = false,
): Promise<{ client: Client; connection: Connection }> {
  const o = temporalOptions(config, address);
  const connection = lazy ? Connection.lazy(o.connection) : await Connection.connect(o.connection);
  return {
    connection,
    client: new Client({
      connection,
      namespace: o.namespace,
      ...(o.dataConverter ? { dataConverter: o.dataConverter } : {}),
      ...(activeTracing() ? { interceptors: await clientTracingInterceptors() } : {}),
    }),
  };
}

/**
 * Spans for starts, Updates, signals and queries, whose context travels to the workflow in the
 * calls' Temporal headers (lib/tracing.ts); loaded only while the process traces.
 */
async function clientTracingInterceptors(): Promise<ClientInterceptors> {
  const { OpenTelemetryWorkflowClientInterceptor } = await import('@temporalio/interceptors-opentelemetry');
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

export function connectNative(config: Config, address?: string): Promise<NativeConnection> {
  return NativeConnection.connect(temporalOptions(config, address).connection);
}
