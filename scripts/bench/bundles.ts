import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { TABLES } from '../../functions/store/tables.js';
import { runTool } from './processes.js';

/** The handlers the stack deploys, each bundled on its own. */
export const HANDLER_ENTRIES = [
  'techmail.ts',
  'fan-out.ts',
  'on-demand.ts',
  'mailboxes-api.ts',
  'incidents-api.ts',
] as const;

/**
 * The banner `lib/techmail-functions.ts` gives every bundle: mailparser's
 * CommonJS dependencies call `require`, which an ES module lacks.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as techmailCreateRequire } from 'node:module'; const require = techmailCreateRequire(import.meta.url);";

/** Longest one import may take before its process is killed. */
const IMPORT_TIMEOUT_MS = 30_000;

/**
 * Times one dynamic import in the fresh process; `performance.now()`
 * around the import leaves Node's own start-up out. Its CPU time is taken
 * too, which a loaded machine distorts much less than the wall time.
 */
const IMPORT_SCRIPT =
  'const t = performance.now(); const c = process.cpuUsage(); await import(process.argv[1]); const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ ms: performance.now() - t, cpuMs: (u.user + u.system) / 1000 }));';

/** One bundle's size and cold-import time. */
export interface BundleTiming {
  readonly entry: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** Median import time as the stack runs it (no `--enable-source-maps`). */
  readonly importMs: number;
  /** Median CPU time of those imports. */
  readonly importCpuMs: number;
  /** Median import time with `--enable-source-maps`. */
  readonly importMsWithSourceMaps: number;
  /** Every import time measured as the stack runs it. */
  readonly samplesMs: readonly number[];
}

/**
 * Bundles each handler as `NodejsFunction` does in the stack (esbuild, ESM,
 * target node22, `module,main` fields, minified, names kept, source map
 * without sources, the `createRequire` banner, nothing external), then
 * imports each bundle `runs` times in a fresh `node` with dummy
 * configuration pointing every AWS endpoint at a closed local port.
 *
 * @param projectDir the project directory
 * @param outDir where the bundles are written (replaced)
 * @param runs fresh-process imports per bundle and setting
 * @returns size and median import times per bundle
 */
export async function measureBundles(
  projectDir: string,
  outDir: string,
  runs: number,
): Promise<BundleTiming[]> {
  await rm(outDir, { recursive: true, force: true });
  const timings: BundleTiming[] = [];
  for (const entry of HANDLER_ENTRIES) {
    const outfile = path.join(outDir, path.basename(entry, '.ts'), 'index.mjs');
    await mkdir(path.dirname(outfile), { recursive: true });
    await bundle(path.join(projectDir, 'functions', entry), outfile);
    const plain = await importTimes(outfile, runs, false);
    const withMaps = await importTimes(outfile, runs, true);
    const wall = plain.map((sample) => sample.ms);
    timings.push({
      entry,
      bytes: (await stat(outfile)).size,
      sourceMapBytes: (await stat(`${outfile}.map`)).size,
      importMs: median(wall),
      importCpuMs: median(plain.map((sample) => sample.cpuMs)),
      importMsWithSourceMaps: median(withMaps.map((sample) => sample.ms)),
      samplesMs: wall,
    });
  }

  return timings;
}

/** One fresh-process import: wall and CPU milliseconds. */
interface ImportSample {
  readonly ms: number;
  readonly cpuMs: number;
}

async function bundle(entryPoint: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'error',
  });
}

async function importTimes(
  file: string,
  runs: number,
  sourceMaps: boolean,
): Promise<ImportSample[]> {
  const times: ImportSample[] = [];
  for (let run = 0; run < runs; run += 1) {
    const exit = await runTool(
      process.execPath,
      ['--input-type=module', '-e', IMPORT_SCRIPT, pathToFileURL(file).href],
      { env: handlerEnvironment(sourceMaps), timeoutMs: IMPORT_TIMEOUT_MS },
    );
    if (exit.code !== 0) {
      throw new Error(
        `importing ${file} failed (${exit.code ?? exit.signal}): ${exit.stderr.trim()}`,
      );
    }
    times.push(JSON.parse(exit.stdout) as ImportSample);
  }

  return times;
}

/**
 * The variables the stack sets on every function, with dummy values, plus
 * fake credentials and a closed loopback port for every AWS endpoint, so
 * nothing at import can reach a network.
 */
function handlerEnvironment(sourceMaps: boolean): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_OPTIONS: sourceMaps ? '--enable-source-maps' : '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    ...Object.fromEntries(
      TABLES.map((table) => [table.envVar, table.localName]),
    ),
    BLOB_BUCKET: 'techmail-bench',
    SECRET_PREFIX: 'techmail/',
    TECHMAIL_FUNCTION_NAME: 'techmail',
    TECHMAIL_LEASE_SECONDS: '900',
    POWERTOOLS_SERVICE_NAME: 'techmail',
    POWERTOOLS_METRICS_NAMESPACE: 'Techmail',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);

  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
