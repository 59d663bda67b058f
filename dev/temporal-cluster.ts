import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { ROOT } from '../lib/root';
import { startEmbeddedPostgres, type EmbeddedPg } from './embedded-postgres';
import { freePort } from './ports';
import { toolPath } from './tools';

const run = promisify(execFile);

/** The server the cluster drill runs: built from its Go module (README, "Toolchain notes"). */
export const TEMPORAL_SERVER_VERSION = 'v1.32.2';
/** v1.32 needs Go ≥ 1.26.10; this toolchain comes from the Go module proxy. */
const GO_TOOLCHAIN = 'go1.27.3';
const BIN_DIR = path.join(ROOT, '.tools', 'temporal-server');
/** The PostgreSQL schema, copied from the module (dev/temporal-cluster/SOURCE.md). */
const SCHEMA_DIR = path.join(ROOT, 'dev', 'temporal-cluster', 'schema');

/**
 * The Temporal server and its schema tool, built once into .tools/temporal-server with `go
 * install` (about 10 minutes on two cores; needs the Go module proxy and fills the module cache).
 */
export async function temporalServerBinaries(
  log: (line: string) => void = () => {},
): Promise<{ server: string; sql: string }> {
  const bins = { server: path.join(BIN_DIR, 'server'), sql: path.join(BIN_DIR, 'sql') };
  for (const [name, pkg] of [
    ['server', 'cmd/server'],
    ['sql', 'cmd/tools/sql'],
  ] as const) {
    if (existsSync(bins[name])) continue;
    log(`building the Temporal ${name} ${TEMPORAL_SERVER_VERSION} into ${BIN_DIR} (about 10 minutes the first time)`);
    await run('go', ['install', `go.temporal.io/server/${pkg}@${TEMPORAL_SERVER_VERSION}`], {
      env: { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, GOBIN: BIN_DIR },
      maxBuffer: 64 * 1024 * 1024,
    });
  }
  return bins;
}

/** The processes of the cluster, each a separate `server start --service …`. */
export const CLUSTER_SERVICES = ['frontend', 'matching', 'history-1', 'history-2', 'worker'] as const;
export type ClusterService = (typeof CLUSTER_SERVICES)[number];

export interface TemporalCluster {
  /** The frontend, host:port. */
  address: string;
  namespace: string;
  /** PostgreSQL holding `temporal` and `temporal_visibility`. */
  postgres: EmbeddedPg;
  process(service: ClusterService): ChildProcess;
  /** SIGKILL one service process, as a crashed pod. */
  kill(service: ClusterService): Promise<void>;
  /** Starts a killed service process again with its old configuration. */
  restart(service: ClusterService): Promise<void>;
  /** The Temporal CLI against this cluster: `temporal <args> --address … --namespace …`. */
  cli(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A free port under 32768: the cluster_membership table keeps membership ports in a smallint,
 * and the kernel's ephemeral ports (what freePort gets) start above it.
 */
async function lowFreePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

interface Ports {
  grpc: number;
  membership: number;
  http?: number;
}

/**
 * A Temporal cluster as production runs one, on this machine: the server built from its module,
 * persistence and SQL visibility on PostgreSQL (an embedded one of its own, schema set up by the
 * server's sql tool), and each service a separate process — frontend, matching, two history
 * processes sharing the shards, and the system worker. Creates `namespace` with the CLI (the
 * product never creates one) and registers nothing else: the product's worker registers its
 * search attributes (lib/search-attributes-setup.ts). Data and logs under `dir`.
 */
export async function startTemporalCluster(opts: {
  dir: string;
  namespace?: string;
  /** The frontend's port; a free one by default. */
  port?: number;
  log?: (line: string) => void;
}): Promise<TemporalCluster> {
  const log = opts.log ?? (() => {});
  const namespace = opts.namespace ?? 'default';
  const bins = await temporalServerBinaries(log);
  // Run as root, embedded PostgreSQL runs as the user `postgres`, which must reach its folder.
  await chmod(opts.dir, 0o755);
  await mkdir(path.join(opts.dir, 'config'), { recursive: true });
  await mkdir(path.join(opts.dir, 'logs'), { recursive: true });

  const pgPort = await freePort();
  log(`starting PostgreSQL for Temporal on 127.0.0.1:${pgPort}`);
  const postgres = await startEmbeddedPostgres({ dir: path.join(opts.dir, 'postgres'), port: pgPort, quiet: true });
  const sqlArgs = (db: string) => [
    '--plugin',
    'postgres12',
    '--ep',
    '127.0.0.1',
    '-p',
    String(pgPort),
    '-u',
    'duban',
    '--pw',
    'duban',
    '--db',
    db,
  ];
  for (const [db, schema] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    log(`setting up the schema of ${db} with the sql tool`);
    await postgres.createDatabase(db);
    // setup-schema -v 0.0 creates the version table only; update-schema applies every version.
    await run(bins.sql, [...sqlArgs(db), 'setup-schema', '-v', '0.0']);
    await run(bins.sql, [...sqlArgs(db), 'update-schema', '-d', path.join(SCHEMA_DIR, schema, 'versioned')]);
  }

  const ports = async (http = false): Promise<Ports> => ({
    grpc: await lowFreePort(),
    membership: await lowFreePort(),
    ...(http ? { http: await lowFreePort() } : {}),
  });
  const frontend = { ...(await ports(true)), grpc: opts.port ?? (await lowFreePort()) };
  const servicePorts: Record<ClusterService, Ports> = {
    frontend,
    matching: await ports(),
    'history-1': await ports(),
    'history-2': await ports(),
    worker: await ports(),
  };
  const address = `127.0.0.1:${frontend.grpc}`;
  const dynamicConfig = path.join(opts.dir, 'config', 'dynamic.yaml');
  // JSON is YAML: the server reads these files with its YAML loader.
  await writeFile(
    dynamicConfig,
    JSON.stringify({
      'limit.maxIDLength': [{ value: 255, constraints: {} }],
      // As the dev server: an activity scheduled by a completed workflow task may run on that worker at once.
      'system.enableActivityEagerExecution': [{ value: true, constraints: {} }],
    }),
  );
  const datastore = (database: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `127.0.0.1:${pgPort}`,
      connectProtocol: 'tcp',
      user: 'duban',
      password: 'duban',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (p: Ports) => ({
    rpc: {
      grpcPort: p.grpc,
      membershipPort: p.membership,
      bindOnLocalHost: true,
      ...(p.http ? { httpPort: p.http } : {}),
    },
  });
  // One configuration per process: the two history processes differ in their ports only.
  const configFor = (history: Ports) => ({
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 8,
      datastores: {
        'postgres-default': datastore('temporal', 20),
        'postgres-visibility': datastore('temporal_visibility', 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: rpc(servicePorts.frontend),
      matching: rpc(servicePorts.matching),
      history: rpc(history),
      worker: rpc(servicePorts.worker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: address },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    // The system worker (schedules, batch operations) reaches the frontend here.
    publicClient: { hostPort: address },
    dynamicConfigClient: { filepath: dynamicConfig, pollInterval: '10s' },
  });
  for (const service of CLUSTER_SERVICES)
    await writeFile(
      path.join(opts.dir, 'config', `${service}.yaml`),
      JSON.stringify(configFor(service === 'history-2' ? servicePorts['history-2'] : servicePorts['history-1'])),
    );

  const processes = new Map<ClusterService, ChildProcess>();
  const cli = async (args: string[]) =>
    (await run(toolPath('temporal'), [...args, '--address', address, '--namespace', namespace])).stdout;
  const answering = async <T>(what: string, probe: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const dead = [...processes].find(([, p]) => p.exitCode !== null);
      if (dead) throw new Error(`Temporal ${dead[0]} exited (${dead[1].exitCode}): see ${opts.dir}/logs`);
      try {
        return await probe();
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message} (logs in ${opts.dir}/logs)`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const killOnExit = () => {
    for (const p of processes.values()) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const launch = (service: ClusterService) => {
    const out = openSync(path.join(opts.dir, 'logs', `${service}.log`), 'a');
    const child = spawn(
      bins.server,
      [
        '--config-file',
        path.join(opts.dir, 'config', `${service}.yaml`),
        '--allow-no-auth',
        'start',
        '--service',
        service.replace(/-\d$/, ''),
      ],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    processes.set(service, child);
  };
  log(`starting ${CLUSTER_SERVICES.join(', ')} as separate processes (logs in ${path.join(opts.dir, 'logs')})`);
  // Each process writes the cluster's metadata record at start when it is missing, and the
  // losers of that race exit: one first, the others once the record is there.
  const [first, ...others] = CLUSTER_SERVICES;
  launch(first);
  await answering('the cluster metadata was not written', async () => {
    const db = new pg.Client({ connectionString: postgres.url('temporal') });
    await db.connect();
    try {
      if ((await db.query('SELECT 1 FROM cluster_metadata_info')).rowCount === 0) throw new Error('not yet');
    } finally {
      await db.end();
    }
  });
  for (const service of others) launch(service);

  const connection = await answering('the frontend did not answer', () =>
    Connection.connect({ address, connectTimeout: 1000 }),
  );
  try {
    await answering('the cluster did not come up', () => connection.workflowService.getSystemInfo({}));
    await answering('the namespace could not be created', () =>
      cli(['operator', 'namespace', 'create', '--retention', '3d']).catch(async (err: Error) => {
        // Created by an earlier attempt whose answer was lost.
        await connection.workflowService.describeNamespace({ namespace }).catch(() => {
          throw err;
        });
      }),
    );
    // A workflow starts only once the namespace is in the frontend's cache and history owns the shard.
    const client = new Client({ connection, namespace });
    await answering('no workflow could be started', async () => {
      const probe = await client.workflow.start('cluster-probe', {
        taskQueue: 'cluster-probe',
        workflowId: `cluster-probe-${Date.now()}`,
      });
      await probe.terminate('cluster start-up probe');
    });
  } finally {
    await connection.close();
  }
  log(`Temporal cluster ready on ${address}, namespace ${namespace}`);

  const kill = async (service: ClusterService) => {
    const child = processes.get(service)!;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    address,
    namespace,
    postgres,
    process: (service) => processes.get(service)!,
    kill,
    async restart(service) {
      await kill(service);
      launch(service);
    },
    cli,
    async stop() {
      await Promise.all(
        [...processes.values()].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
              child.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              child.kill('SIGTERM');
            }),
        ),
      );
      process.off('exit', killOnExit);
      await postgres.stop();
    },
  };
}
