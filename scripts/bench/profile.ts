import { readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';

/** The parts of a V8 `.cpuprofile` (as `--cpu-prof` writes it) read here. */
export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  /** Microseconds on the monotonic clock (`process.hrtime`'s clock). */
  readonly startTime: number;
  readonly endTime: number;
  /** Node id of each sample, in time order. */
  readonly samples: readonly number[];
  /** Microseconds since the previous sample (the first: since start). */
  readonly timeDeltas: readonly number[];
}

/** One call-tree node of a CPU profile. */
export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

/** Time attributed to one function or module. */
export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time, 0 to 1. */
  readonly share: number;
}

/** Where the sampled time of a profile went. */
export interface ProfileSummary {
  /** Time covered by the samples taken into account. */
  readonly sampledMs: number;
  /** Of that, time the thread was idle (waiting for I/O or timers). */
  readonly idleMs: number;
  /** Self time per function, largest first. */
  readonly functions: readonly ProfileEntry[];
  /**
   * Self time per package or project file; time in Node internals and
   * native code counts for the nearest package or project frame above it.
   */
  readonly modulesSelf: readonly ProfileEntry[];
  /**
   * Time with the package or project file anywhere on the stack (callees
   * included); Node internals and V8 pseudo-frames are left out.
   */
  readonly modulesInclusive: readonly ProfileEntry[];
  /**
   * Time by the outermost package or project file on the stack: who
   * started the work (e.g. `dynalite` serving a request, or
   * `functions/techmail/run-mailbox.ts` resuming after an await).
   */
  readonly entryModules: readonly ProfileEntry[];
}

/** Options of {@link summarizeProfile}. */
export interface SummarizeOptions {
  /** Absolute project directory; files under it are named relative to it. */
  readonly projectDir: string;
  /**
   * Only samples taken in this window (monotonic microseconds) count.
   * @default the whole profile
   */
  readonly window?: { readonly fromUs: number; readonly toUs: number };
  /**
   * Entries kept per list.
   * @default 15
   */
  readonly top?: number;
}

const IDLE = '(idle)';

/**
 * Attributes a CPU profile's samples to functions and modules. A sample
 * counts for the time until the next sample, as DevTools does.
 *
 * @param profile the parsed `.cpuprofile`
 * @param options project directory, time window and list length
 * @returns the time per function and per module, largest first
 * @example
 * const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
 * summarizeProfile(profile, { projectDir: process.cwd() }).functions[0];
 */
export function summarizeProfile(
  profile: CpuProfile,
  options: SummarizeOptions,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = parentMap(profile.nodes);
  const functions = new Map<string, number>();
  const modulesSelf = new Map<string, number>();
  const modulesInclusive = new Map<string, number>();
  const entryModules = new Map<string, number>();
  let sampledUs = 0;
  let idleUs = 0;
  forEachSample(profile, options.window, (nodeId, weightUs) => {
    const node = byId.get(nodeId);
    if (!node) return;
    sampledUs += weightUs;
    if (node.callFrame.functionName === IDLE) {
      idleUs += weightUs;
      return;
    }
    add(functions, describeFunction(node, options.projectDir), weightUs);
    const stack = codeModules(node, byId, parents, options.projectDir);
    add(modulesSelf, stack[0] ?? moduleOf(node, options.projectDir), weightUs);
    for (const name of new Set(stack)) add(modulesInclusive, name, weightUs);
    add(
      entryModules,
      stack.at(-1) ?? moduleOf(node, options.projectDir),
      weightUs,
    );
  });
  const busyUs = sampledUs - idleUs;
  const top = options.top ?? 15;

  return {
    sampledMs: sampledUs / 1000,
    idleMs: idleUs / 1000,
    functions: ranked(functions, busyUs, top),
    modulesSelf: ranked(modulesSelf, busyUs, top),
    modulesInclusive: ranked(modulesInclusive, busyUs, top),
    entryModules: ranked(entryModules, busyUs, top),
  };
}

/**
 * Names the module a frame belongs to: the npm package, the project file,
 * the Node internal area, or V8's pseudo-frame such as `(garbage collector)`.
 *
 * @param node the profile node
 * @param projectDir absolute project directory
 * @returns e.g. `mailparser`, `functions/pop3/response-reader.ts`,
 *   `node:internal/streams`
 */
export function moduleOf(node: CpuProfileNode, projectDir: string): string {
  const file = fileOf(node.callFrame.url, projectDir);
  if (file === '') return node.callFrame.functionName || '(native)';
  if (file.startsWith('node:')) return file.split('/').slice(0, 2).join('/');
  if (!node.callFrame.url.includes('/node_modules/')) return file;
  const [scope, name] = file.split('/');

  return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? file);
}

/**
 * Shortens a frame's URL: a dependency's path starts at its package, a
 * project file's at the project directory.
 */
function fileOf(url: string, projectDir: string): string {
  const path = url.replace(/[?#].*$/, '').replace(/^file:\/\//, '');
  const inPackage = path.lastIndexOf('/node_modules/');
  if (inPackage >= 0) return path.slice(inPackage + '/node_modules/'.length);
  const root = projectDir.endsWith('/') ? projectDir : `${projectDir}/`;

  return path.startsWith(root) ? path.slice(root.length) : path;
}

/**
 * Renders a summary as short ranked lists for the console.
 *
 * @param summary the summary
 * @returns the lists, one entry per line
 */
export function formatProfileSummary(summary: ProfileSummary): string {
  const list = (title: string, entries: readonly ProfileEntry[]) => [
    title,
    ...entries.map(
      (entry) =>
        `  ${(entry.share * 100).toFixed(1).padStart(5)} %  ${entry.ms.toFixed(0).padStart(6)} ms  ${entry.name}`,
    ),
  ];
  const busyMs = summary.sampledMs - summary.idleMs;

  return [
    `sampled ${summary.sampledMs.toFixed(0)} ms, busy ${busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms`,
    ...list('functions by self time:', summary.functions),
    ...list('modules by self time:', summary.modulesSelf),
    ...list('modules by inclusive time:', summary.modulesInclusive),
    ...list('time by outermost module on the stack:', summary.entryModules),
  ].join('\n');
}

function forEachSample(
  profile: CpuProfile,
  window: SummarizeOptions['window'],
  visit: (nodeId: number, weightUs: number) => void,
): void {
  let at = profile.startTime;
  profile.samples.forEach((nodeId, index) => {
    at += profile.timeDeltas[index] ?? 0;
    const weight = profile.timeDeltas[index + 1] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    visit(nodeId, weight);
  });
}

function parentMap(nodes: readonly CpuProfileNode[]): Map<number, number> {
  const parents = new Map<number, number>();
  for (const node of nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
  }

  return parents;
}

/** Modules of the package and project frames, from the leaf to the root. */
function codeModules(
  leaf: CpuProfileNode,
  byId: ReadonlyMap<number, CpuProfileNode>,
  parents: ReadonlyMap<number, number>,
  projectDir: string,
): string[] {
  const names: string[] = [];
  let node: CpuProfileNode | undefined = leaf;
  // The depth bound guards against a malformed profile with a cycle.
  for (let depth = 0; node && depth < byId.size; depth += 1) {
    const { url } = node.callFrame;
    if (url !== '' && !url.startsWith('node:')) {
      names.push(moduleOf(node, projectDir));
    }
    const parentId = parents.get(node.id);
    node = parentId === undefined ? undefined : byId.get(parentId);
  }

  return names;
}

function describeFunction(node: CpuProfileNode, projectDir: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (url === '') return name;

  return `${name} (${fileOf(url, projectDir)}:${lineNumber + 1})`;
}

function add(totals: Map<string, number>, key: string, weight: number): void {
  totals.set(key, (totals.get(key) ?? 0) + weight);
}

function ranked(
  totals: ReadonlyMap<string, number>,
  busyUs: number,
  top: number,
): ProfileEntry[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({
      name,
      ms: us / 1000,
      share: busyUs > 0 ? us / busyUs : 0,
    }));
}

/**
 * Finds the main-thread profile `--cpu-prof` wrote for a process, renames
 * it to `<name>.cpuprofile` and summarises it.
 *
 * @param dir the `--cpu-prof-dir`
 * @param pid the profiled process
 * @param name the file's new base name
 * @param options as for {@link summarizeProfile}
 * @returns the profile's new path and its summary
 * @throws Error when no profile of that process is found
 */
export async function collectProfile(
  dir: string,
  pid: number,
  name: string,
  options: SummarizeOptions,
): Promise<{ file: string; summary: ProfileSummary }> {
  // Node names profiles CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile;
  // thread 0 is the main thread (tsx's loader runs on another).
  const written = (await readdir(dir)).find((file) =>
    new RegExp(`^CPU\\.\\d+\\.\\d+\\.${pid}\\.0\\.\\d+\\.cpuprofile$`).test(
      file,
    ),
  );
  if (!written) throw new Error(`no CPU profile of process ${pid} in ${dir}`);
  const file = path.join(dir, `${name}.cpuprofile`);
  await rename(path.join(dir, written), file);
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;

  return { file, summary: summarizeProfile(profile, options) };
}
