// Finds the Temporal CLI, or builds it from the Go module proxy. Nothing is downloaded at run time
// except through `go install`, the one route this machine's network allows.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { Logger } from '../common/logger';

/** The CLI tag that can be `go install`ed: later tags carry a `replace` directive. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export class TemporalCliMissingError extends Error {
  constructor(readonly detail: string) {
    super(
      `${detail}\nInstall Go (https://go.dev/dl/ or 'apt-get install golang') so Reflex can build it, ` +
        `or run 'go install ${TEMPORAL_CLI_MODULE}' yourself and set TEMPORAL_CLI_PATH to the binary, ` +
        `or point TEMPORAL_ADDRESS at an existing Temporal server.`,
    );
    this.name = 'TemporalCliMissingError';
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where to look, in order: TEMPORAL_CLI_PATH, then PATH, then the project-local tools folder. */
export function findTemporalCli(toolsDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TEMPORAL_CLI_PATH) {
    if (isExecutable(env.TEMPORAL_CLI_PATH)) return resolve(env.TEMPORAL_CLI_PATH);
    throw new TemporalCliMissingError(
      `TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file.`,
    );
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'temporal');
    if (isExecutable(candidate)) return candidate;
  }
  const local = join(toolsDir, 'temporal');
  return isExecutable(local) ? local : undefined;
}

/** Where Go is usually installed when it is not on PATH. */
export const GO_INSTALL_DIRS = ['/usr/local/go/bin', '/usr/lib/go/bin'];

function findGo(env: NodeJS.ProcessEnv, installDirs: readonly string[]): string | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...installDirs];
  return dirs.map((d) => join(d, 'go')).find(isExecutable);
}

/** Builds the CLI into `toolsDir` with `go install` (a few minutes, once). */
export async function buildTemporalCli(
  toolsDir: string,
  log: Logger,
  env = process.env,
  goInstallDirs: readonly string[] = GO_INSTALL_DIRS,
  /** How often it says it is still building. */
  progressEveryMs = 30_000,
): Promise<string> {
  const go = findGo(env, goInstallDirs);
  if (!go)
    throw new TemporalCliMissingError('No Temporal CLI was found, and Go is not installed to build one.');
  mkdirSync(toolsDir, { recursive: true });
  log.info(
    { module: TEMPORAL_CLI_MODULE, into: toolsDir },
    'No Temporal CLI found: building it with go install. About 4 minutes the first time on a small machine (under a minute with a warm Go cache); it is kept and built only once.',
  );
  const began = Date.now();
  // Minutes of silence look like a hang: say it is still going.
  const progress = setInterval(() => {
    const s = Math.round((Date.now() - began) / 1000);
    log.info(`Still building the Temporal CLI (${Math.floor(s / 60)} min ${s % 60} s so far)…`);
  }, progressEveryMs);
  try {
    await new Promise<void>((done, fail) => {
      const child = spawn(go, ['install', TEMPORAL_CLI_MODULE], {
        env: { ...env, GOBIN: resolve(toolsDir) },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', fail);
      child.on('exit', (code) =>
        code === 0 ? done() : fail(new TemporalCliMissingError(`go install exited with code ${code}.`)),
      );
    });
  } finally {
    clearInterval(progress);
  }
  log.info({ seconds: Math.round((Date.now() - began) / 1000) }, 'Temporal CLI built');
  return join(toolsDir, 'temporal');
}

/** Finds the CLI or builds it. */
export async function ensureTemporalCli(toolsDir: string, log: Logger, env = process.env): Promise<string> {
  return findTemporalCli(toolsDir, env) ?? (await buildTemporalCli(toolsDir, log, env));
}
