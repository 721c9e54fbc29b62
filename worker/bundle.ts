// The workflow bundle: built once by `npm run build` beside the compiled code, and used at start only
// when it was built from exactly the workflow code and SDK this process has; otherwise bundled at start.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { temporalLogger, type Logger } from '../common/logger';

/** Beside `dist/worker/`, so `dist/workflow-bundle.js`; a run from the TypeScript sources finds none. */
const BUNDLE_PATH = join(__dirname, '..', 'workflow-bundle.js');
const STAMP_PATH = join(__dirname, '..', 'workflow-bundle.json');
/** The packages webpack copies into the bundle beside `workflows/` (and the bundler itself). */
const BUNDLED_PACKAGES = ['@temporalio/workflow', '@temporalio/common', '@temporalio/worker', 'mustache'];
/**
 * How the bundle is made, beside the code in it; part of the fingerprint, so a bundle made another way
 * is not used. Bump it when the options below change.
 */
const BUNDLE_RECIPE = 'preload-workflows-1';

/** Where a prebuilt bundle came from: written beside it, compared at start. */
interface BundleStamp {
  fingerprint: string;
  builtAt: string;
}

/**
 * A SHA-256 over every compiled file under `workflows/` (name and content) and the versions of the
 * packages bundled with them. Why: a stale bundle would run old workflow code against new histories, a
 * nondeterminism failure in production; a mismatch therefore means "bundle at start", never "use it".
 */
export function workflowsFingerprint(): string {
  const root = dirname(require.resolve('../workflows'));
  const hash = createHash('sha256');
  for (const file of sourceFiles(root)) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  for (const name of BUNDLED_PACKAGES) {
    const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
      version: string;
    };
    hash.update(`${name}@${manifest.version}\0`);
  }
  hash.update(BUNDLE_RECIPE);
  return hash.digest('hex');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return /\.(js|ts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
}

const noop = () => undefined;
const SILENT = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/**
 * Bundles the workflows with webpack: its report at debug level and only its problems above (none
 * without a log). `preload: false` is for the benchmark that measures what preloading saves.
 */
export async function bundleWorkflows(log?: Logger, { preload = true } = {}): Promise<string> {
  const base = log ? temporalLogger(log, 'bundler') : undefined;
  const quiet = base
    ? {
        ...base,
        info: base.debug,
        log: (level: Parameters<typeof base.log>[0], message: string, meta?: Record<string, unknown>) =>
          base.log(level === 'INFO' ? 'DEBUG' : level, message, meta),
      }
    : SILENT;
  const workflowsPath = require.resolve('../workflows');
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    // Reflex's workflow modules, mustache and the SDK's public modules are evaluated once per worker,
    // not once per incident: with the reused V8 context every workflow otherwise gets its own copy of
    // each module (31 KiB of heap and 0.3 ms per workflow, again on every replay after an eviction:
    // `npm run bench:modules`). Safe because none of these modules keeps per-incident state at module
    // scope: they hold constants, definitions and two pure caches (compiled condition patterns and
    // parsed templates, both keyed by playbook text); the SDK freezes what the modules export. The
    // lint config refuses module-scope state under workflows/ (test/sandbox-border.test.ts).
    preloadModules: preload ? [workflowsPath] : [],
    logger: quiet,
  });
  return code;
}

/** Writes the bundle and its stamp beside the compiled code (the build's last step). */
export async function writePrebuiltBundle(log?: Logger): Promise<string> {
  const code = await bundleWorkflows(log);
  writeFileSync(BUNDLE_PATH, code);
  const stamp: BundleStamp = { fingerprint: workflowsFingerprint(), builtAt: new Date().toISOString() };
  writeFileSync(STAMP_PATH, `${JSON.stringify(stamp, null, 2)}\n`);
  return BUNDLE_PATH;
}

/** Why the prebuilt bundle cannot be used, or undefined when it can. */
export function prebuiltBundleProblem(): string | undefined {
  if (!existsSync(BUNDLE_PATH) || !existsSync(STAMP_PATH))
    return 'no prebuilt bundle beside the compiled code';
  let stamp: Partial<BundleStamp>;
  try {
    stamp = JSON.parse(readFileSync(STAMP_PATH, 'utf8')) as Partial<BundleStamp>;
  } catch {
    return 'the prebuilt bundle has an unreadable stamp';
  }
  if (stamp.fingerprint !== workflowsFingerprint())
    return 'the prebuilt bundle was built from other workflow code';
  return undefined;
}

/**
 * The bundle a worker starts with: the prebuilt one when it matches (no webpack in this process: about
 * 80 MiB less resident memory and seconds less to start, measured in docs/BENCHMARKS.md), else a bundle
 * made now, saying why at info level.
 */
export async function workflowBundleForStart(
  log?: Logger,
): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  const problem = prebuiltBundleProblem();
  if (problem === undefined) {
    log?.info({ source: 'prebuilt', path: BUNDLE_PATH }, 'workflow bundle');
    return { codePath: BUNDLE_PATH };
  }
  log?.info({ source: 'bundled at start', reason: problem }, 'workflow bundle');
  return { code: await bundleWorkflows(log) };
}

if (require.main === module) {
  writePrebuiltBundle().catch((error: unknown) => {
    process.stderr.write(
      `workflow bundle failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
