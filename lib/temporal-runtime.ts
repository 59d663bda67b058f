/**
 * The Temporal SDK's Runtime for a process that runs a worker: installed once, before any
 * NativeConnection or Worker exists (Runtime.install refuses later). It logs JSON lines in the
 * same shape as the API's (pino: numeric level, time, msg), the SDK's own fields included
 * (workflowId, runId, activityType… in workflow and activity context), and exports the SDK's
 * worker metrics by Prometheus on a loopback port that lib/metrics-server.ts appends to the
 * process's /metrics.
 */
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import net from 'node:net';

const PINO_LEVELS: Record<LogLevel, number> = { TRACE: 10, DEBUG: 20, INFO: 30, WARN: 40, ERROR: 50 };

/** Errors as their message and stack; bigints as strings: what JSON.stringify cannot say by itself. */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
  return value;
}

/** One log entry as one JSON line (pino's field names, so API and worker logs read alike). */
export function jsonLogLine(entry: LogEntry): string {
  const line = {
    level: PINO_LEVELS[entry.level],
    time: Number(entry.timestampNanos / 1_000_000n),
    pid: process.pid,
    ...entry.meta,
    msg: entry.message,
  };
  return JSON.stringify(line, jsonValue);
}

/** A port that was free a moment ago on loopback, for the SDK exporter (which cannot report one it picked). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Installs the Runtime: JSON logs at `level` (the native core's own warnings forwarded into the
 * same stream), and with `sdkMetrics` the SDK's Prometheus exporter on a free loopback port.
 * Returns that exporter's URL, or undefined without metrics.
 */
export async function installRuntime(opts: { level?: LogLevel; sdkMetrics: boolean }): Promise<string | undefined> {
  const port = opts.sdkMetrics ? await freeLoopbackPort() : undefined;
  Runtime.install({
    logger: new DefaultLogger(opts.level ?? 'INFO', (entry) => process.stdout.write(`${jsonLogLine(entry)}\n`)),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(port ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } } : {}),
    },
  });
  return port ? `http://127.0.0.1:${port}/metrics` : undefined;
}

/** The process's logger once the Runtime is installed (worker/main.ts's own lines go through it too). */
export function runtimeLogger() {
  return Runtime.instance().logger;
}
